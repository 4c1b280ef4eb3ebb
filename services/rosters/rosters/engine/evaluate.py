"""A classification record as of a date: status, one row per requirement, the compliance
timeline and the Anticipated Advancement Date (SPEC §3)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from rosters.engine.facts import Facts, Record
from rosters.engine.requirements import TABS, Check, check, label_of
from rosters.engine.rules import Classification, TimeInGroup

WARNING_DAYS = 30

LABELS = {
    "in_progress_not_training_eligible": "In Progress - Not Training Eligible",
    "in_progress_training_eligible": "In Progress - Training Eligible",
    "compliant": "Compliant",
    "approaching_deadline": "Approaching Deadlines",
    "not_compliant": "Not Compliant",
    "pending_advancement": "Pending (In Progress)",
    "closed": "Closed",
}


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


def training_eligible(record: Record, facts: Facts, on: date) -> bool:
    return any(d.verified and d.classification == record.classification and d.on <= on
               for d in facts.work_days)


def _anchors(record: Record, facts: Facts, placed_on: date | None) -> dict[str, date | None]:
    eligible = min((d.on for d in facts.work_days
                    if d.verified and d.classification == record.classification), default=None)
    return {"placed": placed_on, "applied": record.applied_on, "training_eligible": eligible}


def _checks(rules, record: Record, facts: Facts, on: date, anchors, cache=None) -> list[tuple[object, Check]]:
    return [(r, check(r, facts, record.classification, on, anchors, cache)) for r in rules
            if not isinstance(r, TimeInGroup)]


def _cost(rule) -> int:
    # placement search checks the cheap rules first and stops at the first unmet one
    return {"document": 0, "course": 1, "questionnaire": 1}.get(rule.kind, 2)


def _all_met(checks) -> bool:
    return all(c.met or c.pending for _, c in checks)


def placement_date(record: Record, rules: Classification, facts: Facts, until: date) -> date | None:
    """The first day every application requirement was met (the placement), or None yet."""
    if record.placed_on:  # stored when placement happened; before that day, not yet placed
        return record.placed_on if record.placed_on <= until else None
    candidates = {record.applied_on}
    candidates.update(d.on for d in facts.work_days)
    candidates.update(c.on for c in facts.completions)
    candidates.update(d.approved_on for d in facts.documents)
    anchors = _anchors(record, facts, None)
    ordered_rules = sorted((r for r in rules.application if not isinstance(r, TimeInGroup)), key=_cost)
    cache: dict = {}
    for day in sorted(d for d in candidates if record.applied_on <= d <= until):
        if all(check(r, facts, record.classification, day, anchors, cache).met for r in ordered_rules):
            return day
    return None


def compliance_timeline(record: Record, rules: Classification, facts: Facts, placed_on: date,
                        until: date) -> list[Interval]:
    """Intervals from placement to `until` in which the ongoing requirements were all met.
    Answers only change on the dates the requirements name, so checking those suffices."""
    if until < placed_on:
        return []
    anchors = _anchors(record, facts, placed_on)
    cache: dict = {}
    probe = _checks(rules.ongoing, record, facts, until, anchors, cache)
    breakpoints = {placed_on}
    for _, c in probe:
        breakpoints.update(d for d in c.changes_on if placed_on < d <= until)
    intervals: list[Interval] = []
    ordered = sorted(breakpoints)
    for i, start in enumerate(ordered):
        end = ordered[i + 1] - timedelta(days=1) if i + 1 < len(ordered) else until
        ok = _all_met(_checks(rules.ongoing, record, facts, start, anchors, cache))
        if intervals and intervals[-1].compliant == ok:
            intervals[-1].end = end
        else:
            intervals.append(Interval(start, end, ok))
    return intervals


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


def advancement_date(rule: TimeInGroup, group_start: date, timeline: list[Interval]) -> date:
    """Group start + the required active time + every non-compliant day since the start
    (seed 002: days suspended do not count toward advancing). Compliance after the timeline
    is assumed — the date moves if that turns out false."""
    required_end = _add_years(group_start, rule.years) if rule.years else group_start + timedelta(days=rule.days)
    lost = sum((i.end - max(i.start, group_start)).days + 1
               for i in timeline if not i.compliant and i.end >= group_start)
    return required_end + timedelta(days=lost)


def _row(phase: str, rule, c: Check, as_of: date, warning_days: int) -> Row:
    if c.met:
        soon = c.until is not None and c.until <= as_of + timedelta(days=warning_days)
        state = "due" if soon else "met"
    else:
        state = "due" if c.pending else "unmet"
    return Row(phase=phase, kind=rule.kind, tab=TABS[rule.kind], label=label_of(rule), state=state,
               detail=c.detail, due_on=c.until, next_step=c.next_step if state != "met" else None,
               numbers=c.numbers)


def evaluate(record: Record, rules: Classification, facts: Facts, as_of: date,
             warning_days: int = WARNING_DAYS) -> Evaluation:
    eligible = training_eligible(record, facts, as_of)
    placed_on = placement_date(record, rules, facts, as_of)
    result = Evaluation(classification=rules.code, status="", label="", as_of=as_of,
                        training_eligible=eligible, placed_on=placed_on, rows=[],
                        advances_to=rules.advances_to)
    if record.closed_on and record.closed_on <= as_of:
        result.status = "closed"
    elif placed_on is None:
        anchors = _anchors(record, facts, None)
        result.rows = [_row("application", r, c, as_of, warning_days)
                       for r, c in _checks(rules.application, record, facts, as_of, anchors)]
        result.status = "in_progress_training_eligible" if eligible else "in_progress_not_training_eligible"
    else:
        anchors = _anchors(record, facts, placed_on)
        checks = _checks(rules.ongoing, record, facts, as_of, anchors)
        result.rows = [_row("ongoing", r, c, as_of, warning_days) for r, c in checks]
        result.timeline = compliance_timeline(record, rules, facts, placed_on, as_of)
        compliant = _all_met(checks)
        lapse_candidates = [c.until + timedelta(days=1) for _, c in checks if c.until and (c.met or c.pending)]
        result.lapses_on = min(lapse_candidates, default=None) if compliant else None
        if not compliant:
            result.status = "not_compliant"
        elif any(row.state == "due" and row.due_on and row.due_on <= as_of + timedelta(days=warning_days)
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
    date_text = f"{current.anticipated_advancement_on:%m/%d/%Y}" if current.anticipated_advancement_on else "not yet known"
    row = Row(phase="advancement", kind="time_in_group", tab="other", label=label_of(rule), state="unmet",
              detail=f"Anticipated Advancement Date: {date_text}", due_on=current.anticipated_advancement_on,
              next_step="Stay compliant with every requirement: days out of compliance do not count "
                        "toward advancing in grouping.")
    return Evaluation(classification=next_rules.code, status="pending_advancement",
                      label=LABELS["pending_advancement"], as_of=current.as_of,
                      training_eligible=current.training_eligible, placed_on=None, rows=[row],
                      anticipated_advancement_on=current.anticipated_advancement_on)
