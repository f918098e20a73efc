"""An in-process `limits` storage for the moving window, expiring lazily on access.

The stock `memory://` storage starts a timer thread every 10 ms while requests flow
to expire old entries; on the event loop's hot path those thread starts cost more than
the limiting itself and show up as latency spikes.
Here each key's window is pruned when it is used, and idle keys are swept now and then.
"""

import threading
import time
from collections import deque

from limits.storage import MovingWindowSupport, Storage

SWEEP_EVERY_S = 60.0


class InProcessStorage(Storage, MovingWindowSupport):
    STORAGE_SCHEME = ["inprocess"]  # noqa: RUF012 (`limits` declares it so on its base)

    def __init__(
        self, uri: str | None = None, wrap_exceptions: bool = False, **options: str
    ) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, deque[float]]] = {}  # key -> (expiry, times)
        self._counters: dict[str, tuple[int, float]] = {}  # key -> (count, expires at)
        self._next_sweep = time.time() + SWEEP_EVERY_S

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return ValueError

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        now = time.time()
        with self._lock:
            self._sweep(now)
            times = self._window(key, expiry, now)
            if len(times) + amount > limit:
                return False
            times.extend([now] * amount)
            return True

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        now = time.time()
        with self._lock:
            times = self._window(key, expiry, now)
            return (times[0], len(times)) if times else (now, 0)

    def _window(self, key: str, expiry: int, now: float) -> deque[float]:
        times = self._windows.setdefault(key, (float(expiry), deque()))[1]
        while times and times[0] <= now - expiry:
            times.popleft()
        return times

    def _sweep(self, now: float) -> None:
        if now < self._next_sweep:
            return
        self._next_sweep = now + SWEEP_EVERY_S
        for key, (expiry, times) in list(self._windows.items()):
            if not times or times[-1] <= now - expiry:
                del self._windows[key]
        for key, (_, expires_at) in list(self._counters.items()):
            if expires_at <= now:
                del self._counters[key]

    # Fixed-window counters: part of the `Storage` contract, unused by the moving window.
    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        with self._lock:
            count, expires_at = self._counters.get(key, (0, now + expiry))
            if expires_at <= now:
                count, expires_at = 0, now + expiry
            self._counters[key] = (count + amount, expires_at)
            return count + amount

    def get(self, key: str) -> int:
        count, expires_at = self._counters.get(key, (0, 0.0))
        return count if expires_at > time.time() else 0

    def get_expiry(self, key: str) -> float:
        return self._counters.get(key, (0, time.time()))[1]

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        with self._lock:
            cleared = len(self._windows) + len(self._counters)
            self._windows.clear()
            self._counters.clear()
            return cleared

    def clear(self, key: str) -> None:
        with self._lock:
            self._windows.pop(key, None)
            self._counters.pop(key, None)
