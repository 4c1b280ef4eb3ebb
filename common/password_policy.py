"""The password policy, shared by the contracts (so clients and the gateway can check a password
before sending it) and the accounts service.

zxcvbn ships frequency lists of common and breached passwords, names and words, and scores how
guessable a password is; we refuse anything it scores below 2 ("too guessable").
"""
from __future__ import annotations

from zxcvbn import zxcvbn

MIN_LENGTH = 10
MAX_LENGTH = 200
MIN_SCORE = 2
RULES = (f"{MIN_LENGTH} to {MAX_LENGTH} characters, not common or easy to guess "
         "(scored by zxcvbn; the person's own name and e-mail do not help)")


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
