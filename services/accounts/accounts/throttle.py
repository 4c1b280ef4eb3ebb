"""Login throttling per account e-mail and per client address.

After MAX_FAILURES failures within WINDOW the key is locked for LOCKOUT; a successful log-in
clears the account's count. The answer says how long to wait.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

from sqlalchemy.orm import Session

from accounts.models import LoginThrottle
from common.errors import TooManyRequests

WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)
MAX_FAILURES = {"account": 5, "address": 30}


def configure(config) -> None:
    """The per-address limit may need raising where many people share one address (an office
    behind one router): HUB_LOGIN_MAX_FAILURES_PER_ADDRESS."""
    from common import config as hub_config

    MAX_FAILURES["address"] = int(hub_config.setting("HUB_LOGIN_MAX_FAILURES_PER_ADDRESS", "30", config))


def now() -> datetime:
    return datetime.now(timezone.utc)


def keys(email: str, client_ip: str | None) -> list[tuple[str, str]]:
    found = [("account", f"account:{email.lower()}")]
    if client_ip:
        found.append(("address", f"address:{client_ip}"))
    return found


def check(session: Session, email: str, client_ip: str | None) -> None:
    """Refuse before even checking the password if a key is locked."""
    for _, key in keys(email, client_ip):
        row = session.get(LoginThrottle, key)
        if row is not None and row.locked_until is not None and row.locked_until > now():
            minutes = max(1, math.ceil((row.locked_until - now()).total_seconds() / 60))
            raise TooManyRequests(
                f"Too many failed log-in attempts. Try again in {minutes} minute"
                f"{'' if minutes == 1 else 's'}, or use “Forgot your password?”.",
                {"retry_after_minutes": minutes})


def record_failure(session: Session, email: str, client_ip: str | None) -> None:
    for kind, key in keys(email, client_ip):
        row = session.get(LoginThrottle, key)
        if row is None or now() - row.window_started_at > WINDOW:
            if row is None:
                row = LoginThrottle(key=key)
                session.add(row)
            row.failures, row.window_started_at, row.locked_until = 0, now(), None
        row.failures += 1
        if row.failures >= MAX_FAILURES[kind]:
            row.locked_until = now() + LOCKOUT


def record_success(session: Session, email: str) -> None:
    row = session.get(LoginThrottle, f"account:{email.lower()}")
    if row is not None:
        session.delete(row)
