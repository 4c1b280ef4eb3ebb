"""The engine made fast for the daily sweep (issue 12) answers exactly as before, and knows the
first day on which time alone may change an answer (`Evaluation.next_review_on`), over random
histories of every kind of fact and requirement. The engine as it was is kept in
tests/support/engine_reference/."""
from __future__ import annotations

import dataclasses
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rosters.engine.evaluate import evaluate, work_needs
from rosters.engine.facts import (
    Answer,
    ApprovedDocument,
    Completion,
    Extension,
    Facts,
    Record,
    Suspension,
    WorkDay,
    WorkHistory,
)
from rosters.engine.requirements import MET, PENDING, UNMET, check, label_of, state
from rosters.engine.rules import AllOf, AnyOf, Classification, Course, Document, Questionnaire, TimeInGroup, WorkDays

from tests.support.engine_reference.evaluate import evaluate as evaluate_before
from tests.unit.test_engine_golden import CAMERA, DRIVER_G3, GRIP
from tests.unit.test_engine_properties import EVERYTHING

START = date(2024, 1, 1)
CODE = "600-CAMERA-G2"

# every requirement kind, combined, with calendar periods, deadlines from each anchor, a union-only
# count, days counted from another classification, a refresher and a course satisfied by another
RICH = Classification(
    code=CODE, name="IATSE, Local #600 (Camera Group 2)", local="600", group=2, advances_to="600-CAMERA-G1",
    warning={"months": 1},
    application=(AnyOf(rules=(WorkDays(days=4, window={"days": 60}, also_counts=("600-DIT",)),
                              WorkDays(days=2, window={"months": 2}, union_only=True))),
                 Course(code="A", due_after={"days": 30}, anchor="training_eligible"),
                 Document(type="dot_medical_certificate")),
    ongoing=(AllOf(rules=(Document(type="cdl_class_a"), Course(code="B", refresher={"months": 6}))),
             Questionnaire(question="supervisor", if_yes="HP2", if_no="HP1", refresher={"months": 8},
                           due_after={"days": 20}, anchor="placed"),
             Course(code="K", due_after={"months": 2}, anchor="training_eligible"),
             AnyOf(rules=(Document(type="dot_medical_certificate"), Course(code="C19", satisfied_by=("C20",)))),
             TimeInGroup(months=10)))
CLASSIFICATIONS = (RICH, EVERYTHING, GRIP, DRIVER_G3, CAMERA)
EXTENDABLE = [label_of(r) for r in (RICH.ongoing[1], RICH.ongoing[2], RICH.application[1])]

offsets = st.integers(0, 500)


def dated(offset: int) -> date:
    return START + timedelta(days=offset)


def facts_for(code: str):
    return st.one_of(
        st.builds(lambda o, v, u, c: WorkDay(dated(o), c, union=u, verified_on=dated(o + v) if v is not None else None),
                  offsets, st.none() | st.integers(0, 40), st.booleans(),
                  st.sampled_from([code, "600-DIT", "80-GRIP"])),
        st.builds(lambda o, c, e: Completion(c, dated(o), dated(o + e) if e is not None else None),
                  offsets, st.sampled_from(["A", "B", "C19", "C20", "HP1", "HP2", "K"]),
                  st.none() | st.integers(0, 300)),
        st.builds(lambda o, t, e: ApprovedDocument(t, dated(o), dated(o + e) if e is not None else None),
                  offsets, st.sampled_from(["dot_medical_certificate", "cdl_class_a", "cdl_class_b"]),
                  st.none() | st.integers(0, 300)),
        st.builds(lambda o, a: Answer("supervisor", a, dated(o)), offsets, st.booleans()),
        st.builds(lambda o, n: Suspension(code, dated(o), dated(o + n) if n is not None else None),
                  offsets, st.none() | st.integers(0, 30)),
        st.builds(lambda o, n, label: Extension(code, label, dated(o + n), dated(o)),
                  offsets, st.integers(0, 120), st.sampled_from(EXTENDABLE)),
    )


def as_facts(items) -> Facts:
    return Facts(work_days=tuple(f for f in items if isinstance(f, WorkDay)),
                 completions=tuple(f for f in items if isinstance(f, Completion)),
                 documents=tuple(f for f in items if isinstance(f, ApprovedDocument)),
                 answers=tuple(f for f in items if isinstance(f, Answer)),
                 suspensions=tuple(f for f in items if isinstance(f, Suspension)),
                 extensions=tuple(f for f in items if isinstance(f, Extension)))


@st.composite
def histories(draw):
    rules = draw(st.sampled_from(CLASSIFICATIONS))
    items = draw(st.lists(facts_for(rules.code), max_size=30))
    placed = draw(st.none() | st.integers(0, 400))
    grouped = draw(st.none() | st.integers(0, 100)) if placed is not None and rules.group else None
    closed = draw(st.none() | st.integers(100, 500))
    record = Record(rules.code, applied_on=START, placed_on=dated(placed) if placed is not None else None,
                    group_started_on=dated(placed + grouped) if grouped is not None else None,
                    closed_on=dated(closed) if closed is not None else None)
    return record, rules, items, dated(draw(st.integers(0, 520)))


def plain(evaluation) -> dict:
    answer = dataclasses.asdict(evaluation)
    answer.pop("next_review_on", None)
    return answer


def observable(evaluation) -> tuple:
    """What the sweep stores or tells from an evaluation, and what each requirement row says."""
    return (evaluation.status, evaluation.placed_on, evaluation.training_eligible, evaluation.lapses_on,
            evaluation.anticipated_advancement_on,
            [(r.phase, r.kind, r.label, r.state, r.due_on, r.detail, r.next_step) for r in evaluation.rows])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_the_engine_answers_as_it_did_before_it_was_made_fast(history):
    record, rules, items, as_of = history
    assert plain(evaluate(record, rules, as_facts(items), as_of)) == \
        plain(evaluate_before(record, rules, as_facts(items), as_of))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_nothing_an_evaluation_says_changes_before_its_next_review_date(history):
    record, rules, items, as_of = history
    facts = as_facts(items)
    first = evaluate(record, rules, facts, as_of)
    assert first.next_review_on is None or first.next_review_on > as_of
    until = min(first.next_review_on or date.max, as_of + timedelta(days=150))
    day = as_of + timedelta(days=1)
    while day < until:
        assert observable(evaluate(record, rules, facts, day)) == observable(first), day
        day += timedelta(days=1)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_the_work_days_the_sweep_loads_are_all_an_evaluation_reads(history):
    """rosters.facts_store loads, per classification, the days, the first day counted, or
    nothing (engine.evaluate.work_needs); the evaluation is the same, bar eligibility left
    unknown on a placed record whose rules never read it."""
    record, rules, items, as_of = history
    needs = work_needs(record, rules, as_of)
    loaded = WorkHistory(frozenset(needs))
    firsts: dict = {}
    for d in (f for f in items if isinstance(f, WorkDay) and f.verified):
        if needs.get(d.classification) == "days":
            loaded.add(d.classification, d.on, d.counts_from, d.union)
        elif needs.get(d.classification) == "first":
            firsts[d.classification] = min(d.counts_from, firsts.get(d.classification, date.max))
    for code, first in firsts.items():
        loaded.first_only(code, first)
    full = evaluate(record, rules, as_facts(items), as_of)
    lean = evaluate(record, rules, dataclasses.replace(as_facts(items), work_days=(), history=loaded), as_of)
    unknown = lean.training_eligible is None
    if unknown:
        assert full.placed_on is not None
        lean.training_eligible = full.training_eligible
    assert plain(lean) == plain(full)
    # eligibility coming is no reason to look again at a record that does not read it
    assert lean.next_review_on == full.next_review_on or (
        unknown and full.next_review_on is not None and (lean.next_review_on or date.max) > full.next_review_on)


def _leaves(rules):
    for rule in rules:
        if isinstance(rule, (AnyOf, AllOf)):
            yield from _leaves(rule.rules)
        if not isinstance(rule, TimeInGroup):
            yield rule


RULES = list(_leaves((*RICH.application, *RICH.ongoing)))


@settings(max_examples=200, deadline=None)
@given(st.lists(facts_for(CODE), max_size=25), st.sampled_from(RULES), offsets, st.none() | offsets,
       st.none() | offsets)
def test_the_quick_answer_used_on_many_dates_agrees_with_the_full_check(items, rule, on, placed, eligible):
    facts = as_facts(items)
    anchors = {"placed": dated(placed) if placed is not None else None, "applied": START,
               "training_eligible": dated(eligible) if eligible is not None else None}
    full = check(rule, facts, CODE, dated(on), anchors)
    assert state(rule, facts, CODE, dated(on), anchors) == (MET if full.met else PENDING if full.pending else UNMET)


def test_rule_kinds_the_quick_answer_covers_are_every_kind_but_time_in_group():
    assert {type(r) for r in RULES} == {WorkDays, Course, Document, Questionnaire, AnyOf, AllOf}
