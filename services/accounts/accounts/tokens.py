"""Secrets handed to people: bearer tokens, invitation and reset links, payroll API keys.
Only SHA-256 digests are stored, so a copy of the database opens nothing."""
from __future__ import annotations

import hashlib
import secrets


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256((secret or "").encode()).hexdigest()
