"""A person's dated facts: everything the engine needs, gathered by the rosters service from its
own tables and from documents/training events."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class WorkDay:
    on: date
    classification: str
    verified: bool = True
    union: bool = True


@dataclass(frozen=True)
class Completion:
    course: str
    on: date
    expires_on: date | None = None   # from the training service; refresher rules also apply


@dataclass(frozen=True)
class ApprovedDocument:
    type: str
    approved_on: date
    expires_on: date | None = None   # valid through this day


@dataclass(frozen=True)
class Record:
    """A person's classification record: when they applied, and (once known) were placed."""
    classification: str
    applied_on: date
    placed_on: date | None = None        # stored when placement happened
    group_started_on: date | None = None  # for grouped classifications; placed_on by default
    closed_on: date | None = None         # advanced out of this group, or withdrawn


@dataclass(frozen=True)
class Facts:
    work_days: tuple[WorkDay, ...] = ()
    completions: tuple[Completion, ...] = ()
    documents: tuple[ApprovedDocument, ...] = ()
    answers: dict = field(default_factory=dict)   # questionnaire answers, e.g. {"supervisor": True}
