"""The business's clock: "today" is the day in the Hub's time zone, never the host's.

A document valid through the 15th is valid all day on the 15th in Burbank, even when the
containers run in UTC (ARCHITECTURE.md, "Time and dates"). Every "today", sweep day and date
shown comes from here; instants (audit, outbox, sessions) stay in UTC.
"""
from __future__ import annotations

import os
from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "America/Los_Angeles"


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"HUB_TIMEZONE={name!r} is not a known time zone "
                         "(use an IANA name such as America/Los_Angeles)") from None


def hub_timezone() -> ZoneInfo:
    return _zone(os.environ.get("HUB_TIMEZONE") or DEFAULT_TIMEZONE)


def now() -> datetime:
    """This instant, timezone-aware, in UTC (how instants are stored)."""
    return datetime.now(UTC)


def today() -> date:
    """The business day it is now in the Hub's time zone."""
    return now().astimezone(hub_timezone()).date()


def local_day(instant: datetime) -> date:
    """The business day on which an instant fell."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(hub_timezone()).date()
