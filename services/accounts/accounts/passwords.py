"""Passwords: argon2id hashes. The policy (length, guessability) is common.password_policy."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from common.password_policy import MAX_LENGTH, MIN_LENGTH, MIN_SCORE, password_problem  # noqa: F401

hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified against when an e-mail is unknown, so both answers take the same time.
DUMMY_HASH = hasher.hash("not-a-real-password-0")


def hash_password(password: str) -> str:
    return hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return hasher.verify(stored_hash or DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False
