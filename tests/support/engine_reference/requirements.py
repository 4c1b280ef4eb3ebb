"""Whether one requirement is met on one date, with the numbers and dates that explain it.

Only facts known on that date count: a work day from its verification, a completion from the
day it was completed, a document from its approval, an answer from the day it was given."""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import date, timedelta

from rosters.engine.facts import Completion, Facts
from rosters.engine.rules import AllOf, AnyOf, Course, Document, Period, Questionnaire, TimeInGroup, WorkDays

TABS = {"work_days": "work_experience", "course": "training", "questionnaire": "training",
        "document": "documents", "time_in_group": "other", "any_of": "other", "all_of": "other",
        "suspension": "other"}
DAY = timedelta(days=1)


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
        return f"{rule.days} verified {kind} in {rule.window.as_window()}"
    if isinstance(rule, Course):
        return f"Safety Pass course {rule.code}"
    if isinstance(rule, Document):
        return rule.type.replace("_", " ").capitalize()
    if isinstance(rule, Questionnaire):
        return f"{rule.if_no} or {rule.if_yes} (chosen by a short questionnaire)"
    if isinstance(rule, TimeInGroup):
        words = " ".join(w if w == "and" else w.capitalize() for w in rule.period.describe().split())
        return f"{words} Active, Upgrade"
    joiner = " or " if isinstance(rule, AnyOf) else " and "
    return joiner.join(label_of(r) for r in rule.rules)


def check(rule, facts: Facts, classification: str, on: date, anchors: dict[str, date | None],
          cache: dict | None = None) -> Check:
    """`cache` (one dict per evaluation) keeps the sorted work-day lists between the many dates
    an evaluation checks; it must not outlive the facts it was filled from."""
    cache = {} if cache is None else cache
    if isinstance(rule, WorkDays):
        return _work_days(rule, facts, classification, on, cache)
    if isinstance(rule, Course):
        return _course(rule.code, rule.satisfied_by, rule, facts, on, anchors, classification=classification)
    if isinstance(rule, Document):
        return _document(rule, facts, on, cache)
    if isinstance(rule, Questionnaire):
        return _questionnaire(rule, facts, on, anchors, classification)
    if isinstance(rule, (AnyOf, AllOf)):
        return _combined(rule, facts, classification, on, anchors, cache)
    raise TypeError(f"{type(rule).__name__} is not checked on a date")  # time_in_group: timeline


def _qualifying_days(rule: WorkDays, facts: Facts, classification: str, cache: dict):
    """(dates, counts_from, latest counts_from, changes): each qualifying date once, sorted, with
    the first day it counts (its verification, if later than the day worked)."""
    key = ("work_days", classification, rule.also_counts, rule.union_only, rule.window)
    if key not in cache:
        counted_in = {classification, *rule.also_counts}
        first_counted: dict[date, date] = {}
        for d in facts.work_days:
            if d.verified and d.classification in counted_in and (d.union or not rule.union_only):
                first_counted[d.on] = min(first_counted.get(d.on, date.max), d.counts_from)
        dates = sorted(first_counted)
        froms = [first_counted[d] for d in dates]
        changes = tuple(sorted({*dates, *froms, *(rule.window.add_to(d) for d in dates)}))
        cache[key] = (dates, froms, max(froms, default=date.min), changes)
    return cache[key]


def _work_days(rule: WorkDays, facts: Facts, classification: str, on: date, cache: dict) -> Check:
    dates, froms, latest_from, changes = _qualifying_days(rule, facts, classification, cache)
    start = rule.window.window_start(on)
    low, high = bisect_left(dates, start), bisect_right(dates, on)
    if latest_from <= on:  # every day known by now: a count of the slice
        have = high - low
        nth = dates[high - rule.days] if have >= rule.days else None
    else:                  # some verified only later: those do not count yet
        known = [dates[i] for i in range(low, high) if froms[i] <= on]
        have = len(known)
        nth = known[-rule.days] if have >= rule.days else None
    numbers = {"have": have, "need": rule.days, "window_days": (on - start).days + 1,
               "window": rule.window.describe()}
    window = rule.window.as_window()
    if nth is not None:
        # the Nth most recent day leaves the window first: that is when the count drops below N
        return Check(True, f"{have} of {rule.days} days in {window}", until=rule.window.add_to(nth) - DAY,
                     numbers=numbers, changes_on=changes)
    short = rule.days - have
    return Check(False, f"{have} of {rule.days} days in {window}; {short} more needed",
                 next_step=f"Work {short} more verified day{'s' if short != 1 else ''} in this "
                           "classification (payroll reports them, or submit proof of employment).",
                 numbers=numbers, changes_on=changes)


def valid_through(completion: Completion, refresher: Period | None) -> date | None:
    """The last day a completion counts: its own expiry or the refresher's, whichever is first."""
    ends = [completion.expires_on] if completion.expires_on else []
    if refresher is not None:
        ends.append(refresher.add_to(completion.on) - DAY)
    return min(ends, default=None)


def _course_changes(codes: set[str], refresher: Period | None, facts: Facts) -> set[date]:
    changes: set[date] = set()
    for c in facts.completions:
        if c.course in codes:
            changes.add(c.on)
            end = valid_through(c, refresher)
            if end:
                changes.add(end + DAY)
    return changes


def _course(code: str, satisfied_by: tuple[str, ...], rule, facts: Facts, on: date,
            anchors: dict[str, date | None], extra_changes: set[date] = frozenset(),
            classification: str = "") -> Check:
    codes = {code, *satisfied_by}
    refresher = rule.refresher
    changes = _course_changes(codes, refresher, facts) | set(extra_changes)
    deadline = _deadline(rule, anchors)
    if deadline:
        changes.add(deadline + DAY)
        for e in _extensions(rule, facts, classification):
            changes.update((e.granted_on, e.until + DAY))
        deadline = _extended(rule, facts, classification, deadline, on)
    changes_on = tuple(sorted(changes))
    taken = [(c, valid_through(c, refresher)) for c in facts.completions if c.course in codes and c.on <= on]
    valid = [(c, end) for c, end in taken if end is None or on <= end]
    if valid:
        # the completion that keeps the requirement met longest, as for documents
        best, end = max(valid, key=lambda ce: (ce[1] or date.max, ce[0].on))
        detail = f"Completed {best.course} on {best.on:%m/%d/%Y}"
        if end:
            detail += f"; valid through {end:%m/%d/%Y}"
        return Check(True, detail, until=end, changes_on=changes_on)
    lapsed = None
    if taken:
        last_end = max(end for _, end in taken)
        lapsed_course = max((c for c, end in taken if end == last_end), key=lambda c: c.on)
        lapsed = f"{lapsed_course.course} lapsed on {last_end + DAY:%m/%d/%Y}"
    step = f"Enroll in {code} and complete it."
    if deadline and on <= deadline:
        return Check(False, lapsed or f"Due by {deadline:%m/%d/%Y}", until=deadline, pending=True,
                     next_step=step, changes_on=changes_on)
    return Check(False, lapsed or "Not completed yet", until=deadline, next_step=step, changes_on=changes_on)


def _deadline(rule, anchors: dict[str, date | None]) -> date | None:
    if getattr(rule, "due_after", None) and anchors.get(rule.anchor):
        return rule.due_after.add_to(anchors[rule.anchor])
    return None


def _extensions(rule, facts: Facts, classification: str):
    label = label_of(rule)
    return [e for e in facts.extensions if e.classification == classification and e.requirement == label]


def _extended(rule, facts: Facts, classification: str, deadline: date, on: date) -> date:
    """The deadline with the approved extensions known on `on` (rosters.extensions): never earlier."""
    granted = [e.until for e in _extensions(rule, facts, classification) if e.granted_on <= on]
    return max([deadline, *granted])


def _document(rule: Document, facts: Facts, on: date, cache: dict) -> Check:
    key = ("document", rule.type)
    if key not in cache:
        mine = [d for d in facts.documents if d.type == rule.type]
        cache[key] = (mine, tuple(sorted({d.approved_on for d in mine}
                                         | {d.expires_on + DAY for d in mine if d.expires_on})))
    mine, changes = cache[key]
    known = [d for d in mine if d.approved_on <= on]
    valid = [d for d in known if d.expires_on is None or on <= d.expires_on]
    if valid:
        best = max(valid, key=lambda d: d.expires_on or date.max)
    # which document type the row is about, so a page can show the person's files of that type
    numbers = {"document_types": [rule.type]}
    if valid:
        best = max(valid, key=lambda d: d.expires_on or date.max)
        if best.expires_on is None:
            return Check(True, "Approved", changes_on=changes, numbers=numbers)
        return Check(True, f"Approved; expires {best.expires_on:%m/%d/%Y}", until=best.expires_on,
                     changes_on=changes, numbers=numbers)
    expired = [d for d in known if d.expires_on and d.expires_on < on]
    detail = (f"Expired on {max(d.expires_on for d in expired):%m/%d/%Y}" if expired
              else "Not on file")
    return Check(False, detail, next_step="Upload it under Required Documents; staff will review it.",
                 changes_on=changes, numbers=numbers)


def _questionnaire(rule: Questionnaire, facts: Facts, on: date, anchors, classification: str = "") -> Check:
    # a changed answer changes the course from the day it was given, never before
    answered = {a.on for a in facts.answers if a.question == rule.question and a.on}
    answer = facts.answer_on(rule.question, on)
    if answer is None:
        changes = answered | _course_changes({rule.if_yes, rule.if_no}, rule.refresher, facts)
        return Check(False, "Questionnaire not answered", changes_on=tuple(sorted(changes)),
                     next_step="Answer the short questionnaire when you enroll; it picks your course.")
    other = rule.if_no if answer else rule.if_yes
    extra = answered | _course_changes({other}, rule.refresher, facts)
    # the longer course covers the shorter one: a supervisor course always counts
    code, also = (rule.if_yes, ()) if answer else (rule.if_no, (rule.if_yes,))
    return _course(code, also, rule, facts, on, anchors, extra, classification)


def leaf_kinds(rule) -> set[str]:
    """The requirement kinds under a rule (a combination's parts, all the way down)."""
    if isinstance(rule, (AnyOf, AllOf)):
        return set().union(*(leaf_kinds(r) for r in rule.rules))
    return {rule.kind}


def tab_of(rule) -> str:
    """The detail tab a requirement shows on: a choice between documents is a document row."""
    kinds = leaf_kinds(rule)
    return TABS[kinds.pop()] if len(kinds) == 1 else TABS[rule.kind]


def _combined(rule, facts: Facts, classification: str, on: date, anchors, cache: dict) -> Check:
    parts = [check(r, facts, classification, on, anchors, cache) for r in rule.rules]
    changes = tuple(sorted({d for p in parts for d in p.changes_on}))
    document_types = [t for p in parts for t in p.numbers.get("document_types", [])]
    details = "; ".join(f"{label_of(r)}: {p.detail}" for r, p in zip(rule.rules, parts, strict=True))
    if isinstance(rule, AnyOf):
        met = [p for p in parts if p.met]
        numbers = {"document_types": document_types} if document_types else {}
        if met:
            return Check(True, details,
                         until=max((p.until for p in met), default=None) if all(p.until for p in met) else None,
                         changes_on=changes, numbers=numbers)
        # the same next step for each choice is said once
        steps = list(dict.fromkeys(p.next_step for p in parts if p.next_step))
        return Check(False, details, next_step=" Or: ".join(steps), pending=any(p.pending for p in parts),
                     changes_on=changes, numbers=numbers)
    numbers = {"document_types": document_types} if document_types else {}
    unmet = [p for p in parts if not p.met]
    if not unmet:
        untils = [p.until for p in parts if p.until]
        return Check(True, details, until=min(untils) if untils else None, changes_on=changes, numbers=numbers)
    steps = list(dict.fromkeys(p.next_step for p in unmet if p.next_step))
    return Check(False, details, next_step=" ".join(steps), pending=all(p.pending for p in unmet),
                 changes_on=changes, numbers=numbers)
