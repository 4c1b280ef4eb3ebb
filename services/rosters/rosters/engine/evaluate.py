"""A classification record as of a date: status, one row per requirement, the compliance
timeline and the Anticipated Advancement Date (SPEC §3).

Nothing dated after the as-of date changes an evaluation: every fact is read as known on the
day checked (requirements.py), anchors and placement look only at days up to the as-of date,
and the timeline stops there."""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, timedelta

from common.contracts.rosters import STATUS_LABELS
from rosters.engine.facts import Facts, Record, Suspension
from rosters.engine.requirements import (
    DAY,
    MET,
    TABS,
    UNMET,
    Check,
    _state,
    check,
    counted_classifications,
    label_of,
    tab_of,
)
from rosters.engine.rules import AllOf, AnyOf, Classification, Period, TimeInGroup, WorkDays

LABELS = STATUS_LABELS  # the codes and labels are part of the API contract


@dataclass
class Row:
    phase: str          # "application" | "ongoing" | "advancement"
    kind: str
    tab: str            # work_experience | training | documents | other
    label: str
    state: str          # "met" | "due" | "unmet"
    detail: str
    due_on: date | None = None
    next_step: str | None = None
    numbers: dict = field(default_factory=dict)


@dataclass
class Interval:
    start: date
    end: date           # inclusive
    compliant: bool

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass
class Evaluation:
    classification: str
    status: str
    label: str
    as_of: date
    # None: not known, as the work days were not loaded (a placed record whose rules need none)
    training_eligible: bool | None
    placed_on: date | None
    rows: list[Row]
    timeline: list[Interval] = field(default_factory=list)
    anticipated_advancement_on: date | None = None
    advances_to: str | None = None
    lapses_on: date | None = None   # a compliant record's first day out of compliance, if nothing changes
    # the first day after `as_of` on which time alone may change this evaluation (its status, dates
    # or requirement rows), with no new fact; None: never (rosters.sweep re-evaluates from then)
    next_review_on: date | None = field(default=None, compare=False)


def _eligible_from(record: Record, facts: Facts, on: date) -> date | None:
    """The first day, up to `on`, on which a verified day in the classification was known."""
    first = facts.index().work.first_counted(record.classification)
    return first if first is not None and first <= on else None


def training_eligible(record: Record, facts: Facts, on: date) -> bool:
    return _eligible_from(record, facts, on) is not None


def _walk(rules):
    for rule in rules:
        yield rule
        if isinstance(rule, (AnyOf, AllOf)):
            yield from _walk(rule.rules)


def _anchored_to_eligibility(rules) -> bool:
    return any(getattr(r, "due_after", None) and getattr(r, "anchor", None) == "training_eligible"
               for r in _walk(rules))


def work_needs(record: Record, rules: Classification, as_of: date) -> dict[str, str]:
    """What an evaluation as of `as_of` reads of the person's work days, by classification:
    "days" (every day worked) or "first" (the first day one counted); others are not read.
    A record not yet placed reads its days (placement, eligibility); a placed one reads none
    unless its ongoing rules count days or run from eligibility (rosters.facts_store loads
    only these, so the sweep never reads millions of work days it does not need)."""
    needs: dict[str, str] = {}
    placing = record.placed_on is None or record.placed_on > as_of
    for rule in _work_day_rules((*rules.application_rules, *rules.ongoing) if placing else rules.ongoing):
        for code in counted_classifications(rule, record.classification):
            needs[code] = "days"
    if placing or _anchored_to_eligibility(rules.ongoing):
        needs.setdefault(record.classification, "first")
    return needs


def _anchors(record: Record, facts: Facts, placed_on: date | None, as_of: date) -> dict[str, date | None]:
    known = facts.index().work.knows(record.classification)
    # not loaded: no rule reads it (work_needs); a rule that did would fail, never be wrong
    return {"placed": placed_on, "applied": record.applied_on,
            "training_eligible": _eligible_from(record, facts, as_of) if known else _NOT_LOADED}


class _NotLoaded:
    def __bool__(self):
        raise LookupError("the work days were not loaded: eligibility is not known")


_NOT_LOADED = _NotLoaded()


def _checks(rules, record: Record, facts: Facts, on: date, anchors, cache=None) -> list[tuple[object, Check]]:
    return [(r, check(r, facts, record.classification, on, anchors)) for r in rules
            if not isinstance(r, TimeInGroup)]


def _cost(rule) -> int:
    # placement search checks the cheap rules first and stops at the first unmet one
    return {"document": 0, "course": 1, "questionnaire": 1}.get(rule.kind, 2)


def _all_met(checks) -> bool:
    return all(c.met or c.pending for _, c in checks)


def _work_day_rules(rules):
    return (r for r in _walk(rules) if isinstance(r, WorkDays))


# --- placement, timeline, advancement --------------------------------------------------------------

def _placement_candidates(record: Record, rules: Classification, facts: Facts) -> set[date]:
    """The days a requirement can become met: a fact became known (a work day counted by the
    rules, a completion, an approval, an answer), or the application itself. All met begins on
    one of them, so the placement is the first of them on which all are met."""
    index = facts.index()
    candidates = {record.applied_on, *index.known_on}
    for rule in _work_day_rules(rules.application_rules):
        candidates.update(index.work.days(counted_classifications(rule, record.classification)).values())
    return candidates


def placement_date(record: Record, rules: Classification, facts: Facts, until: date) -> date | None:
    """The first day every application requirement was met (the placement), or None yet.
    Requirements become met only on a day something new is known, so those days suffice."""
    if record.placed_on:  # stored when placement happened; before that day, not yet placed
        return record.placed_on if record.placed_on <= until else None
    ordered_rules = sorted((r for r in rules.application_rules if not isinstance(r, TimeInGroup)), key=_cost)
    eligible_from = _eligible_from(record, facts, until)
    index, code = facts.index(), record.classification
    for day in sorted(d for d in _placement_candidates(record, rules, facts) if record.applied_on <= d <= until):
        anchors = {"placed": None, "applied": record.applied_on,
                   "training_eligible": eligible_from if eligible_from and eligible_from <= day else None}
        if all(_state(r, index, code, day, anchors) == MET for r in ordered_rules):
            return day
    return None


def _suspensions(record: Record, facts: Facts, until: date) -> list[Suspension]:
    return [s for s in facts.index().suspensions.get(record.classification, ()) if s.start <= until]


def suspension_on(record: Record, facts: Facts, on: date) -> Suspension | None:
    return next((s for s in _suspensions(record, facts, on) if s.covers(on)), None)


def compliance_timeline(record: Record, rules: Classification, facts: Facts, placed_on: date,
                        until: date, checks: list | None = None) -> list[Interval]:
    """Intervals from placement to `until` in which the ongoing requirements were all met and
    staff had not taken the person off the roster. A requirement's answer changes only on the
    dates it names, so each is checked on its own dates, and the record on all of them.
    `checks`: the ongoing requirements checked on `until` already (evaluate has them)."""
    if until < placed_on:
        return []
    anchors = _anchors(record, facts, placed_on, until)
    if checks is None:
        checks = _checks(rules.ongoing, record, facts, until, anchors)
    breakpoints = {placed_on}
    answers = []  # per requirement: its own dates, sorted, and whether it was met (or not yet due) on each
    index, code = facts.index(), record.classification
    for rule, probe in checks:
        own = sorted({placed_on, *(d for d in probe.changes_on if placed_on < d <= until)})
        # the last of its own dates answers as on `until` (nothing changes it in between)
        oks = [(probe.met or probe.pending) if i == len(own) - 1
               else _state(rule, index, code, day, anchors) != UNMET for i, day in enumerate(own)]
        answers.append((own, oks))
        breakpoints.update(own)
    suspensions = _suspensions(record, facts, until)
    for s in suspensions:
        breakpoints.update(d for d in (s.start, s.end + DAY if s.end else None) if d and placed_on < d <= until)
    intervals: list[Interval] = []
    ordered = sorted(breakpoints)
    for i, start in enumerate(ordered):
        end = ordered[i + 1] - DAY if i + 1 < len(ordered) else until
        ok = (not any(s.covers(start) for s in suspensions)
              and all(oks[bisect_right(own, start) - 1] for own, oks in answers))
        if intervals and intervals[-1].compliant == ok:
            intervals[-1].end = end
        else:
            intervals.append(Interval(start, end, ok))
    return intervals


def advancement_date(rule: TimeInGroup, group_start: date, timeline: list[Interval]) -> date:
    """Group start + the required active time, moved one day later for each day out of
    compliance before the date is reached (seed 002: days suspended do not count toward
    advancing). Once reached, later lapses change nothing: the person has advanced. Compliance
    after the timeline is assumed — the date moves if that turns out false."""
    target = rule.period.add_to(group_start)
    for interval in sorted(timeline, key=lambda i: i.start):
        if interval.compliant or interval.end < group_start:
            continue
        start = max(interval.start, group_start)
        if start >= target:
            break  # reached before this lapse began
        # while out of compliance the date recedes a day a day: the whole lapse counts
        target += timedelta(days=(interval.end - start).days + 1)
    return target


def _row(phase: str, rule, c: Check, as_of: date, warning: Period) -> Row:
    if c.met:
        soon = c.until is not None and c.until <= warning.add_to(as_of)
        state = "due" if soon else "met"
    else:
        state = "due" if c.pending else "unmet"
    return Row(phase=phase, kind=rule.kind, tab=tab_of(rule), label=label_of(rule), state=state,
               detail=c.detail, due_on=c.until, next_step=c.next_step if state != "met" else None,
               numbers=c.numbers)


def _suspension_row(s: Suspension) -> Row:
    what = "Withdrawn from the roster" if s.kind == "withdrawal" else "Suspended by Contract Services"
    detail = f"Since {s.start:%m/%d/%Y}" + (f" through {s.end:%m/%d/%Y}" if s.end else "")
    if s.reason:
        detail += f": {s.reason}"
    return Row(phase="ongoing", kind="suspension", tab=TABS["suspension"], label=what, state="unmet",
               detail=detail, due_on=s.end,
               next_step="Contact Contract Services about returning to the roster.",
               numbers={"since": s.start.isoformat()})


def evaluate(record: Record, rules: Classification, facts: Facts, as_of: date,
             warning_days: int | None = None) -> Evaluation:
    warning = Period(days=warning_days) if warning_days is not None else rules.warning
    placed_on = placement_date(record, rules, facts, as_of)
    eligible = (training_eligible(record, facts, as_of)
                if placed_on is None or facts.index().work.knows(record.classification) else None)
    result = Evaluation(classification=rules.code, status="", label="", as_of=as_of,
                        training_eligible=eligible, placed_on=placed_on, rows=[],
                        advances_to=rules.advances_to)
    checks: list = []
    if record.closed_on and record.closed_on <= as_of:
        result.status = "closed"
    elif placed_on is None:
        anchors = _anchors(record, facts, None, as_of)
        checks = _checks(rules.application_rules, record, facts, as_of, anchors)
        result.rows = [_row("application", r, c, as_of, warning) for r, c in checks]
        result.status = "in_progress_training_eligible" if eligible else "in_progress_not_training_eligible"
    else:
        anchors = _anchors(record, facts, placed_on, as_of)
        checks = _checks(rules.ongoing, record, facts, as_of, anchors)
        result.rows = [_row("ongoing", r, c, as_of, warning) for r, c in checks]
        suspended = suspension_on(record, facts, as_of)
        if suspended is not None:
            result.rows.insert(0, _suspension_row(suspended))
        result.timeline = compliance_timeline(record, rules, facts, placed_on, as_of, checks)
        compliant = _all_met(checks) and suspended is None
        lapse_candidates = [c.until + DAY for _, c in checks if c.until and (c.met or c.pending)]
        result.lapses_on = min(lapse_candidates, default=None) if compliant else None
        if not compliant:
            result.status = "not_compliant"
        elif any(row.state == "due" and row.due_on and row.due_on <= warning.add_to(as_of)
                 for row in result.rows):
            result.status = "approaching_deadline"  # only inside the warning window (SPEC §3)
        else:
            result.status = "compliant"
        for rule in rules.ongoing:
            if isinstance(rule, TimeInGroup):
                start = record.group_started_on or placed_on
                result.anticipated_advancement_on = advancement_date(rule, start, result.timeline)
    result.label = LABELS[result.status]
    result.next_review_on = _next_review(record, rules, facts, result, checks, warning)
    return result


def warning_edge(warning: Period, due_on: date) -> date:
    """The first day on which `due_on` is inside the warning window (warning.add_to(day) >= due_on)."""
    return warning.window_start(due_on - DAY)


def _next_review(record: Record, rules: Classification, facts: Facts, result: Evaluation, checks,
                 warning: Period) -> date | None:
    """The first day after the as-of date on which this evaluation may read differently with no
    new fact: a requirement's own dates (a window edge, an expiry, a deadline, a refresher, a fact
    dated later), a due date entering the warning window, eligibility, placement candidates,
    suspensions beginning or ending, the lapse, advancement, and — while out of compliance in a
    group — every day, as each such day moves the Anticipated Advancement Date."""
    as_of = result.as_of
    later: list[date] = []

    def after(day: date | None) -> None:
        if day is not None and day > as_of:
            later.append(day)

    index = facts.index()
    after(record.closed_on)
    if index.work.knows(record.classification):
        after(index.work.first_counted(record.classification))
    for _, c in checks:
        i = bisect_right(c.changes_on, as_of)
        if i < len(c.changes_on):
            later.append(c.changes_on[i])
    for row in result.rows:
        if row.due_on is not None:
            after(warning_edge(warning, row.due_on))
    if result.placed_on is None:
        after(record.placed_on)
        if record.placed_on is None:
            after(min((d for d in _placement_candidates(record, rules, facts) if d > as_of), default=None))
    else:
        for s in index.suspensions.get(record.classification, ()):
            after(s.start)
            after(s.end + DAY if s.end else None)
        after(result.lapses_on)
        if result.anticipated_advancement_on is not None:
            after(result.anticipated_advancement_on)
            if result.timeline and not result.timeline[-1].compliant:
                after(as_of + DAY)
    return min(later, default=None)


def pending_advancement(current: Evaluation, rules: Classification, next_rules: Classification) -> Evaluation:
    """The record of the group a person is advancing toward (seed 002): its Other Requirements
    tab carries the time-in-group row with the Anticipated Advancement Date."""
    rule = next(r for r in rules.ongoing if isinstance(r, TimeInGroup))
    date_text = (f"{current.anticipated_advancement_on:%m/%d/%Y}" if current.anticipated_advancement_on
                 else "not yet known")
    row = Row(phase="advancement", kind="time_in_group", tab="other", label=label_of(rule), state="unmet",
              detail=f"Anticipated Advancement Date: {date_text}", due_on=current.anticipated_advancement_on,
              next_step="Stay compliant with every requirement: days out of compliance do not count "
                        "toward advancing in grouping.")
    return Evaluation(classification=next_rules.code, status="pending_advancement",
                      label=LABELS["pending_advancement"], as_of=current.as_of,
                      training_eligible=current.training_eligible, placed_on=None, rows=[row],
                      anticipated_advancement_on=current.anticipated_advancement_on)
