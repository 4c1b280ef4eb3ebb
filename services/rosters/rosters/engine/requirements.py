"""Whether one requirement is met on one date, with the numbers and dates that explain it.

Only facts known on that date count: a work day from its verification, a completion from the
day it was completed, a document from its approval, an answer from the day it was given."""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import date, timedelta

from rosters.engine.facts import Completion, FactIndex, Facts
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


# labels and tabs are asked for on every check; worked out once per rule object (kept alive by
# the entry, so an id is never reused while its answer is remembered)
_LABELS: dict[int, tuple[object, str]] = {}
_TABS: dict[int, tuple[object, str]] = {}
_REMEMBERED = 20_000


def _remembered(memo: dict, rule, work) -> str:
    hit = memo.get(id(rule))
    if hit is not None and hit[0] is rule:
        return hit[1]
    if len(memo) >= _REMEMBERED:
        memo.clear()
    value = work(rule)
    memo[id(rule)] = (rule, value)
    return value


def label_of(rule, classification_name: str = "") -> str:
    return _remembered(_LABELS, rule, _label)


def _label(rule) -> str:
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
    """What the engine works out from the facts (sorted days, the validity of completions) is
    kept with the facts (`Facts.index`), for every record of the person and every date checked;
    `cache` is no longer needed and is ignored."""
    index = facts.index()
    if isinstance(rule, WorkDays):
        return _work_days(rule, index, classification, on)
    if isinstance(rule, Course):
        return _course(rule.code, rule.satisfied_by, rule, index, on, anchors, classification=classification)
    if isinstance(rule, Document):
        return _document(rule, index, on)
    if isinstance(rule, Questionnaire):
        return _questionnaire(rule, index, on, anchors, classification)
    if isinstance(rule, (AnyOf, AllOf)):
        return _combined(rule, facts, classification, on, anchors)
    raise TypeError(f"{type(rule).__name__} is not checked on a date")  # time_in_group: timeline


def _kept(index: FactIndex, key: tuple, rule, work):
    """`work()` once per facts and key; `rule` (kept in the entry) is part of the key by identity."""
    hit = index.cache.get(key)
    if hit is not None and hit[0] is rule:
        return hit[1]
    value = work()
    index.cache[key] = (rule, value)
    return value


def counted_classifications(rule: WorkDays, classification: str) -> tuple[str, ...]:
    return (classification, *rule.also_counts)


def _qualifying_days(rule: WorkDays, index: FactIndex, classification: str):
    """(dates, counts_from, latest counts_from, changes): each qualifying date once, sorted, with
    the first day it counts (its verification, if later than the day worked)."""
    def work():
        first_counted = index.work.days(counted_classifications(rule, classification), rule.union_only)
        dates = sorted(first_counted)
        froms = [first_counted[d] for d in dates]
        changes = tuple(sorted({*dates, *froms, *(rule.window.add_to(d) for d in dates)}))
        return dates, froms, max(froms, default=date.min), changes
    return _kept(index, ("work_days", id(rule), classification), rule, work)


def _work_days(rule: WorkDays, index: FactIndex, classification: str, on: date) -> Check:
    dates, froms, latest_from, changes = _qualifying_days(rule, index, classification)
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


def _period_key(period: Period | None) -> tuple | None:
    return None if period is None else (period.years, period.months, period.days)


def _completions(codes: frozenset[str], refresher: Period | None, index: FactIndex):
    """([(completion, valid through)] in the facts' order, the days they change anything)."""
    return _completions_by_key((codes, _period_key(refresher)), refresher, index)


def _completions_by_key(key: tuple, refresher: Period | None, index: FactIndex):
    found = index.cache.get(key)
    if found is None:
        codes = key[0]
        taken = [(c, valid_through(c, refresher)) for c in index.completions if c.course in codes]
        changes = frozenset({c.on for c, _ in taken} | {end + DAY for _, end in taken if end})
        found = index.cache[key] = (taken, changes)
    return found


def _course_changes(codes: set[str], refresher: Period | None, index: FactIndex) -> frozenset[date]:
    return _completions(frozenset(codes), refresher, index)[1]


def _course(code: str, satisfied_by: tuple[str, ...], rule, index: FactIndex, on: date,
            anchors: dict[str, date | None], extra_changes: frozenset[date] = frozenset(),
            classification: str = "") -> Check:
    entries, base = _completions(frozenset((code, *satisfied_by)), rule.refresher, index)
    changes = set(base)
    changes.update(extra_changes)
    deadline = _deadline(rule, anchors)
    if deadline:
        changes.add(deadline + DAY)
        extensions = _extensions(rule, index, classification)
        for e in extensions:
            changes.update((e.granted_on, e.until + DAY))
        if extensions:
            deadline = max([deadline, *(e.until for e in extensions if e.granted_on <= on)])
    changes_on = tuple(sorted(changes))
    taken = [(c, end) for c, end in entries if c.on <= on]
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


def _extensions(rule, index: FactIndex, classification: str):
    if not index.extensions:  # most people have none: no need for the rule's label
        return ()
    return index.extensions.get((classification, label_of(rule)), ())


def _extended(rule, facts: Facts, classification: str, deadline: date, on: date) -> date:
    """The deadline with the approved extensions known on `on` (rosters.extensions): never earlier."""
    granted = [e.until for e in _extensions(rule, facts.index(), classification) if e.granted_on <= on]
    return max([deadline, *granted])


def _document(rule: Document, index: FactIndex, on: date) -> Check:
    key = ("document", rule.type)
    found = index.cache.get(key)
    if found is None:
        mine = index.documents.get(rule.type, [])
        found = index.cache[key] = (mine, tuple(sorted({d.approved_on for d in mine}
                                                       | {d.expires_on + DAY for d in mine if d.expires_on})))
    mine, changes = found
    known = [d for d in mine if d.approved_on <= on]
    valid = [d for d in known if d.expires_on is None or on <= d.expires_on]
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


def _questionnaire(rule: Questionnaire, index: FactIndex, on: date, anchors, classification: str = "") -> Check:
    # a changed answer changes the course from the day it was given, never before
    answered = frozenset(a.on for a in index.answers.get(rule.question, ()) if a.on)
    answer = index.answer_on(rule.question, on)
    if answer is None:
        changes = answered | _course_changes({rule.if_yes, rule.if_no}, rule.refresher, index)
        return Check(False, "Questionnaire not answered", changes_on=tuple(sorted(changes)),
                     next_step="Answer the short questionnaire when you enroll; it picks your course.")
    other = rule.if_no if answer else rule.if_yes
    extra = answered | _course_changes({other}, rule.refresher, index)
    # the longer course covers the shorter one: a supervisor course always counts
    code, also = (rule.if_yes, ()) if answer else (rule.if_no, (rule.if_yes,))
    return _course(code, also, rule, index, on, anchors, extra, classification)


# --- met, not yet due, or unmet: the same answers as `check`, without the words ---------------------
# (the timeline and the placement search ask this on many dates; tests/unit/test_engine_equivalence.py
# holds them to `check` and to the engine as it was)

UNMET, PENDING, MET = 0, 1, 2


def state(rule, facts: Facts, classification: str, on: date, anchors: dict[str, date | None]) -> int:
    return _state(rule, facts.index(), classification, on, anchors)


_COURSE_KEYS: dict[int, tuple[object, tuple]] = {}


def _course_keys(rule) -> tuple:
    """A course rule's completions keys (_completions): (its codes,) or, for a questionnaire,
    (the "yes" course, the "no" course with the "yes" one, which covers it)."""
    def work(rule):
        refresher = _period_key(rule.refresher)
        if isinstance(rule, Course):
            return ((frozenset((rule.code, *rule.satisfied_by)), refresher),)
        return ((frozenset((rule.if_yes,)), refresher), (frozenset((rule.if_no, rule.if_yes)), refresher))
    return _remembered(_COURSE_KEYS, rule, work)


def _state(rule, index: FactIndex, classification: str, on: date, anchors: dict[str, date | None]) -> int:
    kind = type(rule)
    if kind is Document:
        return MET if any(d.approved_on <= on and (d.expires_on is None or on <= d.expires_on)
                          for d in index.documents.get(rule.type, ())) else UNMET
    if kind is Course:
        return _course_state(_course_keys(rule)[0], rule, index, on, anchors, classification)
    if kind is Questionnaire:
        answer = index.answer_on(rule.question, on)
        if answer is None:
            return UNMET
        return _course_state(_course_keys(rule)[0 if answer else 1], rule, index, on, anchors, classification)
    if kind is WorkDays:
        return _work_days_state(rule, index, classification, on)
    if kind is AnyOf:
        parts = [_state(r, index, classification, on, anchors) for r in rule.rules]
        return MET if MET in parts else PENDING if PENDING in parts else UNMET
    if kind is AllOf:
        parts = [_state(r, index, classification, on, anchors) for r in rule.rules]
        unmet = [p for p in parts if p != MET]
        return MET if not unmet else PENDING if all(p == PENDING for p in unmet) else UNMET
    # a subclass of a kind of rule: the full check answers the same
    full = check(rule, _FactsOf(index), classification, on, anchors)
    return MET if full.met else PENDING if full.pending else UNMET


class _FactsOf:
    """Facts whose index is already built (the few calls that go through `check` from an index)."""
    __slots__ = ("_index",)

    def __init__(self, index: FactIndex):
        self._index = index

    def index(self) -> FactIndex:
        return self._index


def _work_days_state(rule: WorkDays, index: FactIndex, classification: str, on: date) -> int:
    dates, froms, latest_from, _ = _qualifying_days(rule, index, classification)
    low, high = bisect_left(dates, rule.window.window_start(on)), bisect_right(dates, on)
    if latest_from <= on:
        have = high - low
    else:
        have = sum(1 for i in range(low, high) if froms[i] <= on)
    return MET if have >= rule.days else UNMET


def _course_state(key: tuple, rule, index: FactIndex, on: date, anchors, classification: str) -> int:
    entries, _ = _completions_by_key(key, rule.refresher, index)
    if any(c.on <= on and (end is None or on <= end) for c, end in entries):
        return MET
    deadline = _deadline(rule, anchors)
    if deadline:
        extensions = _extensions(rule, index, classification)
        if extensions:
            deadline = max([deadline, *(e.until for e in extensions if e.granted_on <= on)])
        if on <= deadline:
            return PENDING
    return UNMET


def leaf_kinds(rule) -> set[str]:
    """The requirement kinds under a rule (a combination's parts, all the way down)."""
    if isinstance(rule, (AnyOf, AllOf)):
        return set().union(*(leaf_kinds(r) for r in rule.rules))
    return {rule.kind}


def tab_of(rule) -> str:
    """The detail tab a requirement shows on: a choice between documents is a document row."""
    return _remembered(_TABS, rule, _tab)


def _tab(rule) -> str:
    kinds = leaf_kinds(rule)
    return TABS[kinds.pop()] if len(kinds) == 1 else TABS[rule.kind]


def _combined(rule, facts: Facts, classification: str, on: date, anchors) -> Check:
    parts = [check(r, facts, classification, on, anchors) for r in rule.rules]
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
