"""Password hashing with argon2 (argon2-cffi's recommended parameters), and the bounded
pool a server runs it in.

Each hash or check takes about 50 ms of CPU and 64 MiB of memory by design, so a
server runs at most `CONCURRENT_HASHES` at once, off its event loop: a burst of
registrations or logins queues instead of taking all memory and every core.
"""

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

T = TypeVar("T")
CONCURRENT_HASHES = 2
_hasher = PasswordHasher()
_pool = ThreadPoolExecutor(CONCURRENT_HASHES, thread_name_prefix="faxnum-password")


async def with_password_work(work: Callable[[], T]) -> T:
    """Run `work` (which hashes or checks passwords) in the bounded pool."""
    return await asyncio.get_running_loop().run_in_executor(_pool, work)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False
