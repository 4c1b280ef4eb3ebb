"""Who may take which course, and if not, why and what unlocks it. Pure: the course catalog, the
person's classification records (training.projection) and completions in, an answer out.

- application courses (A, HP1/HP2, C19) unlock with a record that is Training Eligible (one
  verified work day) or placed;
- craft courses once the person is placed on a roster or a training list;
- every prerequisite ("A" and harassment prevention) must be completed and current first;
- a course completed and still current is refused, except within the catalog's renewal window
  before it lapses (a refresher taken in time keeps the person compliant).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from training.courses import Catalog, Course

ELIGIBLE = frozenset({"in_progress_training_eligible", "compliant", "approaching_deadline", "not_compliant"})
DAY = timedelta(days=1)
PLACED = frozenset({"compliant", "approaching_deadline", "not_compliant"})

NO_RECORD = ("Training opens once you apply for a classification and have one verified work day in it.",
             "Apply for a classification, then report one verified work day in your classification.")
NOT_TRAINING_ELIGIBLE = ("This course unlocks when one of your classification records is Training Eligible.",
                         "Report one verified work day in your classification.")
NOT_PLACED = ("Craft courses open once you are placed on a roster or a training list.",
              "Meet your classification's application requirements to be placed on the roster.")


@dataclass(frozen=True)
class Taken:
    """A completion as eligibility sees it."""
    course_code: str
    completed_on: date
    expires_on: date | None

    def current_on(self, day: date) -> bool:
        return self.completed_on <= day and (self.expires_on is None or day <= self.expires_on)


@dataclass(frozen=True)
class RecordState:
    status: str
    placed_on: date | None = None
    closed: bool = False
    training_list: bool = False    # a non-roster training list: no work day needed to start training

    @property
    def placed(self) -> bool:
        return self.placed_on is not None or self.status in PLACED

    @property
    def training_eligible(self) -> bool:
        return self.placed or self.status in ELIGIBLE or (self.training_list and not self.closed)


@dataclass(frozen=True)
class Answer:
    may_enroll: bool
    why_not: str | None = None
    unlocks_with: str | None = None
    current: bool = False
    completed_on: date | None = None
    expires_on: date | None = None


def best_completion(completions: Iterable[Taken], codes: set[str], day: date) -> Taken | None:
    """The completion of any of `codes`, up to `day`, that stays valid longest."""
    taken = [c for c in completions if c.course_code in codes and c.completed_on <= day]
    if not taken:
        return None
    return max(taken, key=lambda c: (c.expires_on or date.max, c.completed_on))


def decide(catalog: Catalog, course: Course, records: list[RecordState], completions: list[Taken],
           day: date) -> Answer:
    best = best_completion(completions, {course.code}, day)
    current = best is not None and best.current_on(day)
    facts = {"current": current, "completed_on": best.completed_on if best else None,
             "expires_on": best.expires_on if best else None}
    if current:
        renew_from = _renewal_opens(catalog, best.expires_on) if best.expires_on else None
        if best.expires_on is None or (renew_from and day < renew_from):
            through = f"; it is valid through {best.expires_on:%m/%d/%Y}" if best.expires_on else "; it does not expire"
            why = f"You completed {course.code} on {best.completed_on:%m/%d/%Y}{through}."
            unlocks = f"You can take it again from {renew_from:%m/%d/%Y}." if renew_from else None
            return Answer(False, why, unlocks, **facts)
    open_records = [r for r in records if not r.closed or r.placed]
    if course.kind == "application":
        if not open_records:
            return Answer(False, *NO_RECORD, **facts)
        if not any(r.training_eligible for r in open_records):
            return Answer(False, *NOT_TRAINING_ELIGIBLE, **facts)
    elif course.kind == "craft":
        if not any(r.placed for r in records):
            return Answer(False, *NOT_PLACED, **facts)
    for prerequisite in course.prerequisites:
        done = best_completion(completions, catalog.prerequisite_codes(prerequisite), day)
        if done is None or not done.current_on(day):
            title = catalog.prerequisite_title(prerequisite)
            lapsed = " (your completion has expired)" if done is not None else ""
            return Answer(False, f"{course.code} needs {title} first{lapsed}.", f"Finish {title} first.", **facts)
    return Answer(True, **facts)


def _renewal_opens(catalog: Catalog, expires_on: date) -> date:
    """The first day a current completion may be renewed: the day D, counted in calendar terms,
    from which `renew_within` reaches the day it lapses."""
    lapses_on = expires_on + DAY
    day = lapses_on - timedelta(days=catalog.renew_within.approximate_days() + 3)
    while catalog.renew_within.add_to(day) < lapses_on:
        day += DAY
    return day
