"""Today, in one place, so tests and sweeps can speak of another day."""
from __future__ import annotations

from datetime import date, datetime, timezone


def today() -> date:
    return date.today()


def now() -> datetime:
    return datetime.now(timezone.utc)
