"""Passwords: argon2id hashes. The policy (length, guessability) is common.password_policy."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from common.password_policy import MAX_LENGTH, MIN_LENGTH, MIN_SCORE, password_problem  # noqa: F401

hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified against when an e-mail is unknown, so both answers take the same time.
DUMMY_HASH = hasher.hash("not-a-real-password-0")


def _off_the_loop(function, *args):
    """Run `function` in eventlet's thread pool when eventlet drives this process (a service):
    argon2 spends ~0.1-0.4 s of CPU in C, and on the event loop it would stop every other worker
    of the accounts service meanwhile, so each login stalled every authenticated request of the
    Hub (issue 12: one client logging in continuously made them 13 times slower). argon2 releases
    the GIL while it hashes, so the loop goes on serving."""
    from eventlet import patcher

    if patcher.is_monkey_patched("thread"):
        from eventlet import tpool

        return tpool.execute(function, *args)
    return function(*args)


def hash_password(password: str) -> str:
    return _off_the_loop(hasher.hash, password)


def _verify(stored_hash: str | None, password: str) -> bool:
    try:
        return hasher.verify(stored_hash or DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def verify_password(stored_hash: str | None, password: str) -> bool:
    return _off_the_loop(_verify, stored_hash, password)
