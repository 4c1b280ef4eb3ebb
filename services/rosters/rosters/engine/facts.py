"""A person's dated facts: everything the engine needs, gathered by the rosters service from its
own tables and from documents/training events. Every fact carries the date from which it is
known, so that an evaluation as of a date sees only what was true and known by then."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal


@dataclass(frozen=True)
class WorkDay:
    on: date
    classification: str
    verified: bool = True
    union: bool = True
    # the day it was verified: it counts from then on, never earlier (None: as soon as worked)
    verified_on: date | None = None

    @property
    def counts_from(self) -> date:
        return max(self.on, self.verified_on) if self.verified_on else self.on


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
class Answer:
    """A questionnaire answer given on a date; it is in force until another answer to the same
    question is given (None: given before answers were dated, in force from the start)."""
    question: str
    answer: bool
    on: date | None = None


@dataclass(frozen=True)
class Suspension:
    """Staff took the person off the roster of one classification (a suspension, or a
    withdrawal) from `start` through `end` (inclusive; None: until lifted). Those days do not
    count toward advancement in grouping."""
    classification: str
    start: date
    end: date | None = None
    reason: str = ""
    kind: Literal["suspension", "withdrawal"] = "suspension"

    def covers(self, on: date) -> bool:
        return self.start <= on and (self.end is None or on <= self.end)


@dataclass(frozen=True)
class Extension:
    """Staff approved more time for one requirement (by its label) of one classification: from
    `granted_on` (the day it was decided, when it became known) its deadline is `until`."""
    classification: str
    requirement: str
    until: date
    granted_on: date


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
    # dated answers; a plain {question: answer} mapping is read as answers given from the start
    answers: tuple[Answer, ...] = ()
    suspensions: tuple[Suspension, ...] = ()
    extensions: tuple[Extension, ...] = ()

    def __post_init__(self):
        if isinstance(self.answers, dict):
            object.__setattr__(self, "answers", tuple(Answer(q, bool(a)) for q, a in self.answers.items()))

    def answer_on(self, question: str, on: date) -> bool | None:
        """The answer in force on `on`: the latest given on or before it."""
        given = [a for a in self.answers if a.question == question and (a.on is None or a.on <= on)]
        if not given:
            return None
        return max(given, key=lambda a: a.on or date.min).answer
