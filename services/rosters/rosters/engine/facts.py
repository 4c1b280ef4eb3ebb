"""A person's dated facts: everything the engine needs, gathered by the rosters service from its
own tables and from documents/training events. Every fact carries the date from which it is
known, so that an evaluation as of a date sees only what was true and known by then."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Literal


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class Completion:
    course: str
    on: date
    expires_on: date | None = None   # from the training service; refresher rules also apply


@dataclass(frozen=True, slots=True)
class ApprovedDocument:
    type: str
    approved_on: date
    expires_on: date | None = None   # valid through this day


@dataclass(frozen=True, slots=True)
class Answer:
    """A questionnaire answer given on a date; it is in force until another answer to the same
    question is given (None: given before answers were dated, in force from the start)."""
    question: str
    answer: bool
    on: date | None = None


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class Extension:
    """Staff approved more time for one requirement (by its label) of one classification: from
    `granted_on` (the day it was decided, when it became known) its deadline is `until`."""
    classification: str
    requirement: str
    until: date
    granted_on: date


@dataclass(frozen=True, slots=True)
class Record:
    """A person's classification record: when they applied, and (once known) were placed."""
    classification: str
    applied_on: date
    placed_on: date | None = None        # stored when placement happened
    group_started_on: date | None = None  # for grouped classifications; placed_on by default
    closed_on: date | None = None         # advanced out of this group, or withdrawn


class WorkHistory:
    """A person's verified work days by classification, as the engine reads them: for each
    classification, each day worked once with the first day it counts (of any of that day's
    entries, and of its union ones), and the first day any day in it counts.

    The store loads only what an evaluation reads (`rosters.engine.evaluate.work_needs`): a
    classification's days (`add`), only when its first day counted (`first_only`: a placed
    record needs no more), or nothing (`only` names what was loaded). Asking for what was not
    loaded is an error, never an empty answer."""
    __slots__ = ("_days", "_first", "_only")

    def __init__(self, only: set[str] | frozenset[str] | None = None):
        self._days: dict[str, tuple[dict[date, date], dict[date, date]]] = {}
        self._first: dict[str, date] = {}
        self._only = only

    @classmethod
    def of(cls, work_days) -> WorkHistory:
        history = cls()
        for d in work_days:
            if d.verified:
                history.add(d.classification, d.on, d.counts_from, d.union)
        return history

    def add(self, classification: str, on: date, counts_from: date, union: bool) -> None:
        every, unions = self._days.setdefault(classification, ({}, {}))
        if counts_from < every.get(on, date.max):
            every[on] = counts_from
        if union and counts_from < unions.get(on, date.max):
            unions[on] = counts_from
        if counts_from < self._first.get(classification, date.max):
            self._first[classification] = counts_from

    def first_only(self, classification: str, first: date) -> None:
        """Only the first day a day in `classification` counts is known (its days were not loaded)."""
        if classification not in self._days:
            self._first[classification] = min(first, self._first.get(classification, date.max))

    def knows(self, classification: str) -> bool:
        """Whether the first day counted in `classification` is known (loaded, or all was)."""
        return self._only is None or classification in self._only

    def covers(self, classification: str, need: str) -> bool:
        """Whether what `need` ("days" or "first") asks of `classification` was loaded."""
        if not self.knows(classification):
            return False
        return need == "first" or classification in self._days or classification not in self._first

    def first_counted(self, classification: str) -> date | None:
        if not self.knows(classification):
            raise LookupError(f"the work days in {classification} were not loaded")
        return self._first.get(classification)

    def days(self, classifications, union_only: bool = False) -> dict[date, date]:
        """{day worked: first day it counts} over these classifications."""
        found: dict[date, date] = {}
        for code in classifications:
            if code not in self._days:
                if code in self._first or not self.knows(code):
                    raise LookupError(f"the days worked in {code} were not loaded")
                continue
            for on, counts_from in self._days[code][1 if union_only else 0].items():
                if counts_from < found.get(on, date.max):
                    found[on] = counts_from
        return found


class FactIndex:
    """One person's facts arranged for the engine (by course, document type, question,
    classification), built once per `Facts` and kept with it; `cache` holds what the engine works
    out from them (sorted days, validity of completions), shared by the person's records and by
    every date an evaluation checks."""
    __slots__ = ("work", "completions", "documents", "answers", "extensions", "suspensions",
                 "known_on", "cache")

    def __init__(self, facts: Facts):
        self.work = facts.history if facts.history is not None else WorkHistory.of(facts.work_days)
        self.completions = facts.completions
        self.documents: dict[str, list[ApprovedDocument]] = defaultdict(list)
        for d in facts.documents:
            self.documents[d.type].append(d)
        self.answers: dict[str, list[Answer]] = defaultdict(list)
        for a in facts.answers:
            self.answers[a.question].append(a)
        self.extensions: dict[tuple[str, str], list[Extension]] = defaultdict(list)
        for e in facts.extensions:
            self.extensions[(e.classification, e.requirement)].append(e)
        self.suspensions: dict[str, list[Suspension]] = defaultdict(list)
        for s in facts.suspensions:
            self.suspensions[s.classification].append(s)
        # the days something other than a work day became known (placement happens on such a day)
        self.known_on = frozenset({c.on for c in facts.completions} | {d.approved_on for d in facts.documents}
                                  | {a.on for a in facts.answers if a.on})
        self.cache: dict = {}

    def answer_on(self, question: str, on: date) -> bool | None:
        given = [a for a in self.answers.get(question, ()) if a.on is None or a.on <= on]
        if not given:
            return None
        return max(given, key=lambda a: a.on or date.min).answer


@dataclass(frozen=True)
class Facts:
    work_days: tuple[WorkDay, ...] = ()
    completions: tuple[Completion, ...] = ()
    documents: tuple[ApprovedDocument, ...] = ()
    # dated answers; a plain {question: answer} mapping is read as answers given from the start
    answers: tuple[Answer, ...] = ()
    suspensions: tuple[Suspension, ...] = ()
    extensions: tuple[Extension, ...] = ()
    # the work days as the store loaded them (rosters.facts_store), in place of `work_days`
    history: WorkHistory | None = field(default=None, compare=False, repr=False)

    def __post_init__(self):
        if isinstance(self.answers, dict):
            object.__setattr__(self, "answers", tuple(Answer(q, bool(a)) for q, a in self.answers.items()))

    def index(self) -> FactIndex:
        found = self.__dict__.get("_index")
        if found is None:
            found = FactIndex(self)
            object.__setattr__(self, "_index", found)
        return found

    def __getstate__(self):  # the index is worked out again where it is needed
        return {k: v for k, v in self.__dict__.items() if k != "_index"}

    def __setstate__(self, state):
        self.__dict__.update(state)

    def answer_on(self, question: str, on: date) -> bool | None:
        """The answer in force on `on`: the latest given on or before it."""
        return self.index().answer_on(question, on)
