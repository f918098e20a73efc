"""The life of a DID, written down once: which change may happen from which state.

Every transition the store makes is one guarded update (`... WHERE state IN from`), so
two transactions can never both move one DID: the second finds the state changed and
changes nothing.

    available --reserve--> reserved --assign_reserved--> assigned
    available --assign--> assigned --release--> aging --recycle/unage--> available
    reserved --free--> available (cancelled or expired hold)
    available|aging --block--> blocked --unblock--> available
"""

from dataclasses import dataclass
from enum import StrEnum

from faxnum.domain.numbers import DidState


class DidEvent(StrEnum):
    RESERVE = "reserve"
    FREE = "free"  # a hold ends without an order: cancelled or expired
    ASSIGN = "assign"  # provisioned or ordered straight from stock
    ASSIGN_RESERVED = "assign_reserved"  # ordered from the caller's own hold
    RELEASE = "release"  # given back or released for non-payment: rests in aging
    RECYCLE = "recycle"  # aging over: back in stock
    UNAGE = "unage"  # the operator ends aging early
    BLOCK = "block"  # the operator takes it out of stock
    UNBLOCK = "unblock"


@dataclass(frozen=True)
class Transition:
    sources: frozenset[DidState]
    target: DidState

    @property
    def source_values(self) -> tuple[str, ...]:
        return tuple(sorted(state.value for state in self.sources))


_A, _R, _S, _G, _B = (
    DidState.AVAILABLE,
    DidState.RESERVED,
    DidState.ASSIGNED,
    DidState.AGING,
    DidState.BLOCKED,
)
TRANSITIONS: dict[DidEvent, Transition] = {
    DidEvent.RESERVE: Transition(frozenset({_A}), _R),
    DidEvent.FREE: Transition(frozenset({_R}), _A),
    DidEvent.ASSIGN: Transition(frozenset({_A}), _S),
    DidEvent.ASSIGN_RESERVED: Transition(frozenset({_R}), _S),
    DidEvent.RELEASE: Transition(frozenset({_S}), _G),
    DidEvent.RECYCLE: Transition(frozenset({_G}), _A),
    DidEvent.UNAGE: Transition(frozenset({_G}), _A),
    DidEvent.BLOCK: Transition(frozenset({_A, _G}), _B),
    DidEvent.UNBLOCK: Transition(frozenset({_B}), _A),
}


def transition(event: DidEvent) -> Transition:
    return TRANSITIONS[event]


def allowed(event: DidEvent, state: DidState) -> bool:
    return state in TRANSITIONS[event].sources
