"""Whether one requirement is met on one date, with the numbers and dates that explain it."""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, timedelta

from rosters.engine.facts import Facts
from rosters.engine.rules import AllOf, AnyOf, Course, Document, Questionnaire, TimeInGroup, WorkDays

TABS = {"work_days": "work_experience", "course": "training", "questionnaire": "training",
        "document": "documents", "time_in_group": "other", "any_of": "other", "all_of": "other"}


@dataclass
class Check:
    """One requirement on one date."""
    met: bool
    detail: str
    # met: the last day it stays met without anything new; unmet with a deadline: the deadline
    until: date | None = None
    pending: bool = False          # not met, but not due yet (a deadline still ahead)
    next_step: str | None = None
    numbers: dict = field(default_factory=dict)
    changes_on: tuple[date, ...] = ()  # dates on which this requirement's answer can change


def label_of(rule, classification_name: str = "") -> str:
    if rule.label:
        return rule.label
    if isinstance(rule, WorkDays):
        kind = "union work days" if rule.union_only else "work days"
        return f"{rule.days} verified {kind} in {_window(rule.window_days)}"
    if isinstance(rule, Course):
        return f"Safety Pass course {rule.code}"
    if isinstance(rule, Document):
        return rule.type.replace("_", " ").capitalize()
    if isinstance(rule, Questionnaire):
        return f"{rule.if_no} or {rule.if_yes} (chosen by a short questionnaire)"
    if isinstance(rule, TimeInGroup):
        return f"{rule.years} Years Active, Upgrade" if rule.years else f"{rule.days} Days Active, Upgrade"
    joiner = " or " if isinstance(rule, AnyOf) else " and "
    return joiner.join(label_of(r) for r in rule.rules)


def _window(days: int) -> str:
    if days % 365 == 0:
        years = days // 365
        return "the last year" if years == 1 else f"the last {years} years"
    return f"the last {days} days"


def check(rule, facts: Facts, classification: str, on: date, anchors: dict[str, date | None],
          cache: dict | None = None) -> Check:
    """`cache` (one dict per evaluation) keeps the sorted work-day lists between the many dates
    an evaluation checks; it must not outlive the facts it was filled from."""
    cache = {} if cache is None else cache
    if isinstance(rule, WorkDays):
        return _work_days(rule, facts, classification, on, cache)
    if isinstance(rule, Course):
        return _course(rule.code, rule.satisfied_by, rule.refresher_days, rule, facts, on, anchors)
    if isinstance(rule, Document):
        return _document(rule, facts, on, cache)
    if isinstance(rule, Questionnaire):
        return _questionnaire(rule, facts, on, anchors)
    if isinstance(rule, (AnyOf, AllOf)):
        return _combined(rule, facts, classification, on, anchors, cache)
    raise TypeError(f"{type(rule).__name__} is not checked on a date")  # time_in_group: timeline


def _qualifying_days(rule: WorkDays, facts: Facts, classification: str, cache: dict):
    key = ("work_days", classification, rule.also_counts, rule.union_only, rule.window_days)
    if key not in cache:
        counted_in = {classification, *rule.also_counts}
        counted = sorted({d.on for d in facts.work_days if d.verified and d.classification in counted_in
                          and (d.union or not rule.union_only)})
        every_day = sorted({d.on for d in facts.work_days if d.classification in counted_in})
        changes = tuple(sorted({*every_day, *(d + timedelta(days=rule.window_days) for d in every_day)}))
        cache[key] = (counted, changes)
    return cache[key]


def _work_days(rule: WorkDays, facts: Facts, classification: str, on: date, cache: dict) -> Check:
    counted, changes = _qualifying_days(rule, facts, classification, cache)
    upto = bisect_right(counted, on)
    have = upto - bisect_right(counted, on - timedelta(days=rule.window_days))
    numbers = {"have": have, "need": rule.days, "window_days": rule.window_days}
    window = _window(rule.window_days)
    if have >= rule.days:
        # the Nth most recent day leaves the window first: that is when the count drops below N
        last = counted[upto - rule.days] + timedelta(days=rule.window_days - 1)
        return Check(True, f"{have} of {rule.days} days in {window}", until=last, numbers=numbers,
                     changes_on=changes)
    short = rule.days - have
    return Check(False, f"{have} of {rule.days} days in {window}; {short} more needed",
                 next_step=f"Work {short} more verified day{'s' if short != 1 else ''} in this "
                           "classification (payroll reports them, or submit proof of employment).",
                 numbers=numbers, changes_on=changes)


def _course(code: str, satisfied_by: tuple[str, ...], refresher_days: int | None, rule, facts: Facts,
            on: date, anchors: dict[str, date | None]) -> Check:
    codes = {code, *satisfied_by}
    taken = sorted((c for c in facts.completions if c.course in codes and c.on <= on), key=lambda c: c.on)
    changes = {c.on for c in facts.completions if c.course in codes}
    for c in facts.completions:
        if c.course in codes:
            changes.update(d + timedelta(days=1) for d in _valid_through(c, refresher_days) if d)
    deadline = _deadline(rule, anchors)
    if deadline:
        changes.add(deadline + timedelta(days=1))
    if taken:
        latest = taken[-1]
        valid_through = min((d for d in _valid_through(latest, refresher_days) if d), default=None)
        if valid_through is None or on <= valid_through:
            detail = f"Completed {latest.course} on {latest.on:%m/%d/%Y}"
            if valid_through:
                detail += f"; valid through {valid_through:%m/%d/%Y}"
            return Check(True, detail, until=valid_through, changes_on=tuple(sorted(changes)))
        lapsed = f"{latest.course} lapsed on {valid_through + timedelta(days=1):%m/%d/%Y}"
    else:
        lapsed = None
    step = f"Enroll in {code} and complete it."
    if deadline and on <= deadline:
        return Check(False, lapsed or f"Due by {deadline:%m/%d/%Y}", until=deadline, pending=True,
                     next_step=step, changes_on=tuple(sorted(changes)))
    return Check(False, lapsed or "Not completed yet", until=deadline, next_step=step,
                 changes_on=tuple(sorted(changes)))


def _valid_through(completion, refresher_days: int | None) -> tuple[date | None, date | None]:
    refresher = completion.on + timedelta(days=refresher_days - 1) if refresher_days else None
    return completion.expires_on, refresher


def _deadline(rule, anchors: dict[str, date | None]) -> date | None:
    if getattr(rule, "due_days_after", None) and anchors.get(rule.anchor):
        return anchors[rule.anchor] + timedelta(days=rule.due_days_after)
    return None


def _document(rule: Document, facts: Facts, on: date, cache: dict) -> Check:
    key = ("document", rule.type)
    if key not in cache:
        mine = [d for d in facts.documents if d.type == rule.type]
        cache[key] = (mine, tuple(sorted({d.approved_on for d in mine}
                                         | {d.expires_on + timedelta(days=1) for d in mine if d.expires_on})))
    mine, changes = cache[key]
    valid = [d for d in mine if d.approved_on <= on and (d.expires_on is None or on <= d.expires_on)]
    if valid:
        best = max(valid, key=lambda d: d.expires_on or date.max)
        if best.expires_on is None:
            return Check(True, "Approved", changes_on=changes)
        return Check(True, f"Approved; expires {best.expires_on:%m/%d/%Y}", until=best.expires_on,
                     changes_on=changes)
    expired = [d for d in mine if d.expires_on and d.expires_on < on]
    detail = (f"Expired on {max(d.expires_on for d in expired):%m/%d/%Y}" if expired
              else "Not on file")
    return Check(False, detail, next_step="Upload it under Required Documents; staff will review it.",
                 changes_on=changes)


def _questionnaire(rule: Questionnaire, facts: Facts, on: date, anchors) -> Check:
    answer = facts.answers.get(rule.question)
    if answer is None:
        return Check(False, "Questionnaire not answered",
                     next_step="Answer the short questionnaire when you enroll; it picks your course.")
    # the longer course covers the shorter one: a supervisor course always counts
    code, also = (rule.if_yes, ()) if answer else (rule.if_no, (rule.if_yes,))
    return _course(code, also, rule.refresher_days, rule, facts, on, anchors)


def _combined(rule, facts: Facts, classification: str, on: date, anchors, cache: dict) -> Check:
    parts = [check(r, facts, classification, on, anchors, cache) for r in rule.rules]
    changes = tuple(sorted({d for p in parts for d in p.changes_on}))
    details = "; ".join(f"{label_of(r)}: {p.detail}" for r, p in zip(rule.rules, parts))
    if isinstance(rule, AnyOf):
        met = [p for p in parts if p.met]
        if met:
            return Check(True, details, until=max((p.until for p in met), default=None) if all(p.until for p in met) else None,
                         changes_on=changes)
        return Check(False, details, next_step=" Or: ".join(p.next_step for p in parts if p.next_step),
                     pending=any(p.pending for p in parts), changes_on=changes)
    unmet = [p for p in parts if not p.met]
    if not unmet:
        untils = [p.until for p in parts if p.until]
        return Check(True, details, until=min(untils) if untils else None, changes_on=changes)
    return Check(False, details, next_step=" ".join(p.next_step for p in unmet if p.next_step),
                 pending=all(p.pending for p in unmet), changes_on=changes)
