"""A classification record as of a date: status, one row per requirement, the compliance
timeline and the Anticipated Advancement Date (SPEC §3).

Nothing dated after the as-of date changes an evaluation: every fact is read as known on the
day checked (requirements.py), anchors and placement look only at days up to the as-of date,
and the timeline stops there."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from rosters.engine.facts import Facts, Record, Suspension
from rosters.engine.rules import Classification, Period, TimeInGroup

from common.contracts.rosters import STATUS_LABELS
from tests.support.engine_reference.requirements import DAY, TABS, Check, check, label_of, tab_of

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
    training_eligible: bool
    placed_on: date | None
    rows: list[Row]
    timeline: list[Interval] = field(default_factory=list)
    anticipated_advancement_on: date | None = None
    advances_to: str | None = None
    lapses_on: date | None = None   # a compliant record's first day out of compliance, if nothing changes


def _eligible_from(record: Record, facts: Facts, on: date) -> date | None:
    """The first day, up to `on`, on which a verified day in the classification was known."""
    return min((d.counts_from for d in facts.work_days
                if d.verified and d.classification == record.classification and d.counts_from <= on),
               default=None)


def training_eligible(record: Record, facts: Facts, on: date) -> bool:
    return _eligible_from(record, facts, on) is not None


def _anchors(record: Record, facts: Facts, placed_on: date | None, as_of: date) -> dict[str, date | None]:
    return {"placed": placed_on, "applied": record.applied_on,
            "training_eligible": _eligible_from(record, facts, as_of)}


def _checks(rules, record: Record, facts: Facts, on: date, anchors, cache=None) -> list[tuple[object, Check]]:
    return [(r, check(r, facts, record.classification, on, anchors, cache)) for r in rules
            if not isinstance(r, TimeInGroup)]


def _cost(rule) -> int:
    # placement search checks the cheap rules first and stops at the first unmet one
    return {"document": 0, "course": 1, "questionnaire": 1}.get(rule.kind, 2)


def _all_met(checks) -> bool:
    return all(c.met or c.pending for _, c in checks)


# --- placement, timeline, advancement --------------------------------------------------------------

def placement_date(record: Record, rules: Classification, facts: Facts, until: date) -> date | None:
    """The first day every application requirement was met (the placement), or None yet.
    Requirements become met only on a day something new is known, so those days suffice."""
    if record.placed_on:  # stored when placement happened; before that day, not yet placed
        return record.placed_on if record.placed_on <= until else None
    candidates = {record.applied_on}
    candidates.update(d.counts_from for d in facts.work_days)
    candidates.update(c.on for c in facts.completions)
    candidates.update(d.approved_on for d in facts.documents)
    candidates.update(a.on for a in facts.answers if a.on)
    ordered_rules = sorted((r for r in rules.application_rules if not isinstance(r, TimeInGroup)), key=_cost)
    cache: dict = {}
    eligible_from = _eligible_from(record, facts, until)
    for day in sorted(d for d in candidates if record.applied_on <= d <= until):
        anchors = {"placed": None, "applied": record.applied_on,
                   "training_eligible": eligible_from if eligible_from and eligible_from <= day else None}
        if all(check(r, facts, record.classification, day, anchors, cache).met for r in ordered_rules):
            return day
    return None


def _suspensions(record: Record, facts: Facts, until: date) -> list[Suspension]:
    return [s for s in facts.suspensions if s.classification == record.classification and s.start <= until]


def suspension_on(record: Record, facts: Facts, on: date) -> Suspension | None:
    return next((s for s in _suspensions(record, facts, on) if s.covers(on)), None)


def compliance_timeline(record: Record, rules: Classification, facts: Facts, placed_on: date,
                        until: date) -> list[Interval]:
    """Intervals from placement to `until` in which the ongoing requirements were all met and
    staff had not taken the person off the roster. Answers only change on the dates the
    requirements name, so checking those suffices."""
    if until < placed_on:
        return []
    anchors = _anchors(record, facts, placed_on, until)
    cache: dict = {}
    probe = _checks(rules.ongoing, record, facts, until, anchors, cache)
    breakpoints = {placed_on}
    for _, c in probe:
        breakpoints.update(d for d in c.changes_on if placed_on < d <= until)
    for s in _suspensions(record, facts, until):
        breakpoints.update(d for d in (s.start, s.end + DAY if s.end else None) if d and placed_on < d <= until)
    intervals: list[Interval] = []
    ordered = sorted(breakpoints)
    for i, start in enumerate(ordered):
        end = ordered[i + 1] - DAY if i + 1 < len(ordered) else until
        ok = (suspension_on(record, facts, start) is None
              and _all_met(_checks(rules.ongoing, record, facts, start, anchors, cache)))
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
    eligible = training_eligible(record, facts, as_of)
    placed_on = placement_date(record, rules, facts, as_of)
    result = Evaluation(classification=rules.code, status="", label="", as_of=as_of,
                        training_eligible=eligible, placed_on=placed_on, rows=[],
                        advances_to=rules.advances_to)
    if record.closed_on and record.closed_on <= as_of:
        result.status = "closed"
    elif placed_on is None:
        anchors = _anchors(record, facts, None, as_of)
        result.rows = [_row("application", r, c, as_of, warning)
                       for r, c in _checks(rules.application_rules, record, facts, as_of, anchors)]
        result.status = "in_progress_training_eligible" if eligible else "in_progress_not_training_eligible"
    else:
        anchors = _anchors(record, facts, placed_on, as_of)
        checks = _checks(rules.ongoing, record, facts, as_of, anchors)
        result.rows = [_row("ongoing", r, c, as_of, warning) for r, c in checks]
        suspended = suspension_on(record, facts, as_of)
        if suspended is not None:
            result.rows.insert(0, _suspension_row(suspended))
        result.timeline = compliance_timeline(record, rules, facts, placed_on, as_of)
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
    return result


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
