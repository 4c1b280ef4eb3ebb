"""Event contracts: one module per producing service (SPEC §5).

Every event is a flat past-tense fact. Change an event only by adding optional fields; readers
ignore fields they do not know (`extra="ignore"`); a breaking change is a new type.
"""
from __future__ import annotations

import uuid
from datetime import UTC, datetime
from functools import lru_cache
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field


def utcnow() -> datetime:
    return datetime.now(UTC)


class Event(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    # Set by each subclass: the producing service and the routing key of the fact.
    source: ClassVar[str]
    event_type: ClassVar[str]
    # Fields holding a live secret (a single-use link) that only the subscriber may keep: the
    # outbox relay overwrites them in its stored copy once the event is out (common.publisher).
    secret_fields: ClassVar[tuple[str, ...]] = ()

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    occurred_at: datetime = Field(default_factory=utcnow)
    schema_version: int = 1
    # the work that caused this fact (a request, a sweep, a payroll batch): an id, for the logs
    # (common.logs); filled in by the outbox when the event is published
    correlation_id: str | None = None

    @classmethod
    def full_name(cls) -> str:
        return f"{cls.source}.{cls.event_type}"


def all_event_types() -> list[type[Event]]:
    """Every contract of every producing service, for topology and contract tests."""
    from common.events import accounts, documents, notifications, rosters, training  # noqa: F401

    found: list[type[Event]] = []

    def walk(cls):
        for sub in cls.__subclasses__():
            if "event_type" in sub.__dict__:
                found.append(sub)
            walk(sub)

    walk(Event)
    return sorted(found, key=lambda c: c.full_name())


@lru_cache(maxsize=1)
def _by_name() -> dict[tuple[str, str], type[Event]]:
    return {(cls.source, cls.event_type): cls for cls in all_event_types()}


def event_class(source: str, event_type: str) -> type[Event] | None:
    return _by_name().get((source, event_type))
