"""The operator's key-encryption secrets: checked for strength, or generated once into
the data directory (mode 0600) and reused by every later process.

Several secrets may be given, newest first (comma-separated in FAXNUM_SECRET_KEY, one
per line in the file): the first seals, all of them open (see `key_cipher`).
"""

import base64
import hashlib
import hmac
import itertools
import math
import os
import re
import secrets
import string
from collections.abc import Iterator
from pathlib import Path

SECRET_FILE = "secret.key"  # noqa: S105 (a file name, not a secret)
MIN_SECRET_LENGTH = 32
MIN_SECRET_BITS = 72
# Words of the placeholders people paste ("your-secret-key-here-change-me"); six
# letters or more, so that a random secret holds one by chance far too rarely to matter.
PLACEHOLDER_WORDS = ("secret", "change", "password", "example", "default", "replace")
_PLACEHOLDER = re.compile(
    "|".join(
        [
            *PLACEHOLDER_WORDS,
            # Shapes of pasted placeholders, anchored so that random text cannot match.
            r"^your[\W_]",
            r"[\W_]here$",
            r"fill[\W_]?in",
            r"lorem[\W_]?ipsum",
            r"quick[\W_]?brown",
            "31415926",  # pi
            # Digests of nothing (sha256, sha1, md5), pasted as if they were keys.
            "e3b0c44298fc1c149afbf4c8996fb924",
            "da39a3ee5e6b4b0d3255bfef95601890",
            "d41d8cd98f00b204e9800998ecf8427e",
        ]
    )
)
GENERATE_HINT = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"


class WeakSecret(ValueError):
    pass


def check_strength(secret: str) -> None:
    """Refuse what an attacker could guess: short, repetitive, or a placeholder."""
    if (
        len(secret) < MIN_SECRET_LENGTH
        or estimated_bits(secret) < MIN_SECRET_BITS
        or _PLACEHOLDER.search(secret.lower() if secret.isupper() else secret) is not None
    ):
        raise WeakSecret(
            f"a secret must be at least {MIN_SECRET_LENGTH} random characters, not a "
            f"repeated or guessable pattern (e.g. from `{GENERATE_HINT}`)"
        )


def estimated_bits(secret: str) -> float:
    """How much a guesser must cover, judged on the whole string: each new piece of it
    (a Lempel-Ziv phrase: repeats of what came before count once) costs the bits of
    one character of the character classes it uses. It is read several ways (see
    `_readings`) and the lowest counts, so that a run (`abcdef...`), a run with
    separators or a keyboard walk (`qwerty...`) is as cheap as a repeat. A random
    32-character hex string scores 72 or more (300,000 drawn),
    `secrets.token_urlsafe(32)` 160 or more, a 12-character pattern written three
    times, a run or a keyboard walk under 35."""
    alphabet = sum(size for members, size in _CLASSES if any(c in members for c in secret))
    alphabet += 1 if any(not any(c in m for m, _ in _CLASSES) for c in secret) else 0
    pieces = min(_phrases(reading) + extra for reading, extra in _readings(secret))
    return pieces * math.log2(max(alphabet, 2))


def _readings(secret: str) -> Iterator[tuple[str, int]]:
    """The string as written; the steps between neighbours and between every other
    character (runs, and runs with separators); the steps across a keyboard (walks such
    as qwerty or 1qaz2wsx). Each with how many characters its steps leave out."""
    yield secret, 0
    for stride in (1, 2):
        pairs = zip(secret, secret[stride:], strict=False)
        yield "".join(chr(0x10000 + ord(b) - ord(a)) for a, b in pairs), stride
    keys = [_KEY_AT.get(character.lower()) for character in secret]
    if all(key is not None for key in keys):
        places = [key for key in keys if key is not None]
        moves = itertools.pairwise(places)
        yield "".join(chr(0x10000 + 32 * (r2 - r1) + (c2 - c1)) for (r1, c1), (r2, c2) in moves), 1


_KEY_AT = {
    key: (row, column)
    for row, keys in enumerate(("1234567890-=", "qwertyuiop[]", "asdfghjkl;'", "zxcvbnm,./"))
    for column, key in enumerate(keys)
}


_CLASSES = (
    (frozenset(string.digits), 10),
    (frozenset(string.ascii_lowercase), 26),
    (frozenset(string.ascii_uppercase), 26),
    (frozenset(string.punctuation + " "), 33),
)


def _phrases(text: str) -> int:
    """Lempel-Ziv (1976) complexity: how many pieces the text splits into when each
    piece is the shortest that does not occur earlier."""
    count = position = 0
    while position < len(text):
        length = 1
        while (
            position + length <= len(text)
            and text[position : position + length] in text[: position + length - 1]
        ):
            length += 1
        count += 1
        position += length
    return count


def split_secrets(text: str) -> list[bytes]:
    return [part.strip().encode() for part in text.replace("\n", ",").split(",") if part.strip()]


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def derived_secret(secret: bytes, purpose: str) -> str:
    """A value only the holder of `secret` can compute, the same every time: one
    secret gives each purpose its own, and none of them gives the secret away."""
    digest = hmac.new(secret, purpose.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:22]


def local_secrets(data_dir: Path) -> list[bytes]:
    """The data directory's secrets; none when it has no secret file."""
    path = data_dir / SECRET_FILE
    return split_secrets(path.read_text()) if path.exists() else []


def keep_local_secret(data_dir: Path, secret: bytes) -> list[bytes]:
    """Write a generated secret as the data directory's (mode 0600), unless another
    process wrote one first: the secrets the file holds now, which everyone uses."""
    path = data_dir / SECRET_FILE
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return split_secrets(path.read_text())
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secret.decode() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return [secret]


def write_local_secrets(data_dir: Path, all_secrets: list[str]) -> None:
    """Replace the file atomically (a crash leaves the old or the new one, whole)."""
    path = data_dir / SECRET_FILE
    temporary = path.with_name(SECRET_FILE + ".new")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write("\n".join(all_secrets) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
