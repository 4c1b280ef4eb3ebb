"""The catalog's rules as data (SPEC §2): requirement kinds and how they combine.

Rules are written in YAML under rosters/catalog/ (one file per local) and validated with these
models; a malformed file is refused with the file and the field named (rosters.catalog_loader).

Periods (a refresher, a work-days window, a deadline after an anchor, the time in a group) are
`Period`s written in calendar units, `{years: 2}`, `{months: 6}`, `{days: 90}` or a combination,
and computed in calendar terms everywhere. The integer fields of earlier files (`window_days`,
`refresher_days`, `due_days_after`) are still read, as periods of that many days.
"""
from __future__ import annotations

from datetime import date, timedelta
from functools import cached_property, lru_cache
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from common.periods import CalendarPeriod

DEFAULT_WARNING_DAYS = 30
_DAY = timedelta(days=1)


class Period(CalendarPeriod):
    """A span of calendar time: any combination of years, months and days (at least one).

    `add_to(day)` moves the calendar by the years and months first — a day the target month
    lacks (29 February in a common year, 31 April) becomes that month's last day — then adds the
    days. Whatever is valid for a period from D is valid through `add_to(D) - 1 day` and lapses
    on `add_to(D)`, the same calendar date later: a 2-year refresher completed 2023-06-02 is
    valid through 2025-06-01 and lapses 2025-06-02; one completed 2024-02-29 lapses 2026-02-28.
    """

    def add_to(self, day: date) -> date:
        if not (self.years or self.months):
            return day + timedelta(days=self.days)
        return _calendar_add(self.years, self.months, self.days, day)

    def window_start(self, on: date) -> date:
        """The first day D for which `on` is still inside the period from D (add_to(D) > on):
        "within the last 3 years" on `on` means on or after this day."""
        if not (self.years or self.months):
            return on - timedelta(days=self.days - 1)
        return _window_start(self.years, self.months, self.days, on)

    def describe(self) -> str:
        """'2 years', '1 year and 6 months', '90 days'."""
        parts = [f"{n} {unit}{'s' if n != 1 else ''}"
                 for n, unit in ((self.years, "year"), (self.months, "month"), (self.days, "day")) if n]
        return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]

    def as_window(self) -> str:
        """'the last year', 'the last 3 years', 'the last 90 days' (365 days read as a year)."""
        if self == Period(days=365) or self == Period(years=1):
            return "the last year"
        if not (self.years or self.months) and self.days % 365 == 0:
            return f"the last {self.days // 365} years"
        return f"the last {self.describe()}"

    @property
    def approximate_days(self) -> int:
        return self.years * 365 + self.months * 30 + self.days


# the engine asks the same few periods about the same dates many times over (a sweep: every record,
# every breakpoint); the calendar arithmetic is pure, so its answers are kept
@lru_cache(maxsize=1 << 16)
def _calendar_add(years: int, months: int, days: int, day: date) -> date:
    return CalendarPeriod.add_to(Period.model_construct(years=years, months=months, days=days), day)


@lru_cache(maxsize=1 << 16)
def _window_start(years: int, months: int, days: int, on: date) -> date:
    period = Period.model_construct(years=years, months=months, days=days)
    guess = on - timedelta(days=years * 366 + months * 31 + days)
    while period.add_to(guess) <= on:   # add_to never decreases, so this walks to the edge
        guess += _DAY
    while period.add_to(guess - _DAY) > on:
        guess -= _DAY
    return guess


def _days(value):
    return value if value is None or isinstance(value, (dict, Period)) else {"days": value}


def _legacy(data, old: str, new: str):
    """`old: N` (an integer number of days, as earlier catalog files say) → `new: {days: N}`."""
    if isinstance(data, dict) and old in data:
        data = dict(data)
        if data.get(new) is not None:
            raise ValueError(f"give {new} or {old}, not both")
        data[new] = _days(data.pop(old))
    return data


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    label: str | None = None  # shown to people; a default is made from the rule if absent


class WorkDays(Rule):
    """N verified work days in the classification within a rolling window (`window: {days: 365}`
    or `{years: 3}`; `window_days: N` is read as `{days: N}`)."""
    kind: Literal["work_days"] = "work_days"
    days: int = Field(gt=0)
    window: Period
    union_only: bool = False  # count only days worked under a union contract
    # count days in these classifications too (e.g. any Local #600 camera classification)
    also_counts: tuple[str, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def legacy_window_days(cls, data):
        return _legacy(data, "window_days", "window")


Code = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_\-]+$")]
Anchor = Literal["placed", "training_eligible", "applied"]


class _Timed(Rule):
    """A course-like rule: an optional refresher (completed again before it lapses) and an
    optional deadline `due_after` the anchor (e.g. 90 days after becoming active)."""
    refresher: Period | None = None
    due_after: Period | None = None
    anchor: Anchor = "placed"

    @model_validator(mode="before")
    @classmethod
    def legacy_day_counts(cls, data):
        return _legacy(_legacy(data, "refresher_days", "refresher"), "due_days_after", "due_after")


class Course(_Timed):
    """A course completed (and, with a refresher period, completed again before it lapses)."""
    kind: Literal["course"] = "course"
    code: Code
    # any of these completions satisfies the rule (e.g. HP2 also satisfies an HP1 requirement)
    satisfied_by: tuple[Code, ...] = ()


class Document(Rule):
    """A document of this type, approved by staff and not expired."""
    kind: Literal["document"] = "document"
    type: Code


class TimeInGroup(Rule):
    """Time active and compliant in the current group before advancing to the next one, as a
    calendar period written inline, as contracts say it: `time_in_group: {years: 2}`."""
    kind: Literal["time_in_group"] = "time_in_group"
    period: Period

    @model_validator(mode="before")
    @classmethod
    def inline_period(cls, data):
        if isinstance(data, dict) and "period" not in data:
            data = dict(data)
            units = {unit: data.pop(unit) for unit in ("years", "months", "days") if unit in data}
            if not units:
                raise ValueError("give the time in the group as a period, e.g. {years: 2}")
            data["period"] = units
        return data


class Questionnaire(_Timed):
    """A short questionnaire picks which course applies (supervisor → HP2, otherwise HP1)."""
    kind: Literal["questionnaire"] = "questionnaire"
    question: Code                     # the answer's key, e.g. "supervisor"
    if_yes: Code                       # course code when the answer is yes
    if_no: Code


class AnyOf(Rule):
    kind: Literal["any_of"] = "any_of"
    rules: tuple[Requirement, ...] = Field(min_length=2)


class AllOf(Rule):
    kind: Literal["all_of"] = "all_of"
    rules: tuple[Requirement, ...] = Field(min_length=1)


Requirement = Annotated[WorkDays | Course | Document | TimeInGroup | Questionnaire | AnyOf | AllOf,
                        Field(discriminator="kind")]
AnyOf.model_rebuild()
AllOf.model_rebuild()


def _courses_of(rule) -> tuple[str, ...]:
    return (rule.code, *rule.satisfied_by) if isinstance(rule, Course) else (rule.if_yes, rule.if_no)


def _walk(rules):
    for rule in rules:
        yield rule
        if isinstance(rule, (AnyOf, AllOf)):
            yield from _walk(rule.rules)


class Classification(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)
    code: str = Field(pattern=r"^[A-Z0-9][A-Z0-9\-]{1,39}$")
    name: str                              # "Teamsters, Local #399 (Driver Group 3)"
    local: str                             # "399"
    roster: Literal["IER", "training_list"] = "IER"
    group: int | None = None               # 3, 2, 1 for grouped classifications
    advances_to: str | None = None         # the classification of the next group
    illustrative: bool = True              # figures are defaults, not from a contract text
    # "advancement_only": reached by advancing from the group below, never by applying
    entry: Literal["apply", "advancement_only"] = "apply"
    # "Approaching Deadlines" this long before something is due or lapses (SPEC §3: 30 days);
    # a catalog file may set it for all its classifications
    warning: Period = Period(days=DEFAULT_WARNING_DAYS)
    # to be placed on the roster (or, for a training list, to be listed as trained)
    application: tuple[Requirement, ...] = ()
    # to stay compliant once placed; days out of compliance suspend and delay advancement
    ongoing: tuple[Requirement, ...] = ()

    def model_copy(self, *, update=None, deep: bool = False):
        copy = super().model_copy(update=update, deep=deep)
        copy.__dict__.pop("application_rules", None)  # worked out again from the copy's rules
        return copy

    @cached_property
    def application_rules(self) -> tuple:
        """The application rules as placement checks them: a course (or questionnaire) without
        a refresher takes the refresher the ongoing rules give the same course, so a completion
        that places someone is still valid on the placement day (an HP1 taken 800 days ago
        must not place someone who is Not Compliant the same day)."""
        refreshers: dict[str, Period] = {}
        for rule in _walk(self.ongoing):
            if isinstance(rule, (Course, Questionnaire)) and rule.refresher is not None:
                for code in _courses_of(rule):
                    refreshers.setdefault(code, rule.refresher)

        def inherit(rule):
            if isinstance(rule, (Course, Questionnaire)) and rule.refresher is None:
                found = next((refreshers[c] for c in _courses_of(rule) if c in refreshers), None)
                return rule.model_copy(update={"refresher": found}) if found else rule
            if isinstance(rule, (AnyOf, AllOf)):
                return rule.model_copy(update={"rules": tuple(inherit(r) for r in rule.rules)})
            return rule

        return tuple(inherit(r) for r in self.application)

    @model_validator(mode="after")
    def groups_are_consistent(self):
        has_time = any(isinstance(r, TimeInGroup) for r in self.ongoing)
        if self.advances_to and not has_time:
            raise ValueError("advances_to needs a time_in_group rule in ongoing")
        if has_time and not self.advances_to:
            raise ValueError("a time_in_group rule needs advances_to")
        return self


class Local(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)
    code: str                              # "399"
    name: str                              # "Teamsters Local #399"
    union: str                             # "Teamsters", "IATSE", "The Animation Guild"


class CatalogFile(BaseModel):
    """One file of the catalog: a local, its classifications, and when these rules apply.
    `warning` here is the default of every classification of the file that names none."""
    model_config = ConfigDict(extra="forbid", frozen=True)
    version: int = Field(ge=1)
    effective: date
    local: Local
    warning: Period = Period(days=DEFAULT_WARNING_DAYS)
    classifications: tuple[Classification, ...] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def file_warning_is_the_default(cls, data):
        if isinstance(data, dict) and data.get("warning") is not None \
                and isinstance(data.get("classifications"), (list, tuple)):
            data = {**data, "classifications": [
                {**c, "warning": data["warning"]} if isinstance(c, dict) and "warning" not in c else c
                for c in data["classifications"]]}
        return data

    @model_validator(mode="after")
    def classifications_belong_to_the_local(self):
        for c in self.classifications:
            if c.local != self.local.code:
                raise ValueError(f"{c.code} names local {c.local!r} but the file is for {self.local.code!r}")
        return self
