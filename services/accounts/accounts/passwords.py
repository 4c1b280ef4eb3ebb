"""Passwords: argon2id hashes, and a policy that refuses short, common or guessable ones.

zxcvbn ships frequency lists of common and breached passwords, names and words, and scores how
guessable a password is; we refuse anything it scores below 2 ("too guessable").
"""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

MIN_LENGTH = 10
MAX_LENGTH = 200
MIN_SCORE = 2

hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified against when an e-mail is unknown, so both answers take the same time.
DUMMY_HASH = hasher.hash("not-a-real-password-0")


def password_problem(password: str, user_inputs: tuple[str, ...] = ()) -> str | None:
    """A plain-language reason to refuse `password`, or None if it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    result = zxcvbn(password[:100], user_inputs=[u for u in user_inputs if u])
    if result["score"] < MIN_SCORE:
        hint = result["feedback"].get("warning") or "It is too easy to guess."
        return f"That password is too common or easy to guess ({hint.rstrip('.')}). Try a longer phrase."
    return None


def hash_password(password: str) -> str:
    return hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return hasher.verify(stored_hash or DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False
