"""Properties of the compliance timeline and the advancement date, over random histories."""
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from rosters.engine.evaluate import compliance_timeline, evaluate
from rosters.engine.facts import ApprovedDocument, Facts, Record

from tests.unit.test_engine_golden import DRIVER_G3

PLACED = date(2022, 1, 1)
AS_OF = date(2024, 6, 30)

# a history of medical certificates: (approved `start` days after placement, valid `length` days)
certificates = st.lists(st.tuples(st.integers(0, 900), st.integers(1, 400)), min_size=0, max_size=6)


def facts_with(certs) -> Facts:
    documents = [ApprovedDocument("cdl_class_a", PLACED - timedelta(days=30))]
    for start, length in certs:
        approved = PLACED + timedelta(days=start)
        documents.append(ApprovedDocument("dot_medical_certificate", approved, approved + timedelta(days=length - 1)))
    return Facts(documents=tuple(documents))


RECORD = Record("399-DRIVER-G3", applied_on=PLACED, placed_on=PLACED)


@settings(max_examples=60, deadline=None)
@given(certificates)
def test_the_timeline_covers_every_day_exactly_once(certs):
    timeline = compliance_timeline(RECORD, DRIVER_G3, facts_with(certs), PLACED, AS_OF)
    assert timeline[0].start == PLACED and timeline[-1].end == AS_OF
    for before, after in zip(timeline, timeline[1:], strict=False):
        assert after.start == before.end + timedelta(days=1)   # no gap, no overlap
        assert after.compliant != before.compliant              # merged where nothing changed
    assert sum(i.days for i in timeline) == (AS_OF - PLACED).days + 1


@settings(max_examples=60, deadline=None)
@given(certificates, st.integers(0, (AS_OF - PLACED).days))
def test_each_day_in_the_timeline_agrees_with_the_status_of_that_day(certs, offset):
    facts = facts_with(certs)
    day = PLACED + timedelta(days=offset)
    timeline = compliance_timeline(RECORD, DRIVER_G3, facts, PLACED, AS_OF)
    interval = next(i for i in timeline if i.start <= day <= i.end)
    assert interval.compliant == (evaluate(RECORD, DRIVER_G3, facts, day).status != "not_compliant")


@settings(max_examples=60, deadline=None)
@given(certificates, st.tuples(st.integers(0, 900), st.integers(1, 400)))
def test_another_valid_certificate_never_delays_advancement(certs, extra):
    before = evaluate(RECORD, DRIVER_G3, facts_with(certs), AS_OF)
    after = evaluate(RECORD, DRIVER_G3, facts_with(certs + [extra]), AS_OF)
    assert after.anticipated_advancement_on <= before.anticipated_advancement_on


@settings(max_examples=60, deadline=None)
@given(certificates)
def test_advancement_is_two_years_plus_exactly_the_days_out_of_compliance_before_it_is_reached(certs):
    evaluation = evaluate(RECORD, DRIVER_G3, facts_with(certs), AS_OF)
    out = {i.start + timedelta(days=n) for i in evaluation.timeline if not i.compliant for n in range(i.days)}
    target, day = date(2024, 1, 1), PLACED
    while day < target:  # a day at a time: each day out of compliance before the date moves it a day
        if day in out:
            target += timedelta(days=1)
        day += timedelta(days=1)
    assert evaluation.anticipated_advancement_on == target


# --- nothing dated after the as-of date changes an evaluation ---------------------------------------

from rosters.engine.facts import Answer, Completion, Suspension, WorkDay  # noqa: E402
from rosters.engine.rules import Classification, Course, Document, Questionnaire, TimeInGroup, WorkDays  # noqa: E402

EVERYTHING = Classification(
    code="399-DRIVER-G3", name="Teamsters, Local #399 (Driver Group 3)", local="399", group=3,
    advances_to="399-DRIVER-G2",
    application=(WorkDays(days=3, window={"days": 60}), Course(code="A"),
                 Course(code="C19", due_after={"days": 30}, anchor="training_eligible"),
                 Questionnaire(question="supervisor", if_yes="HP2", if_no="HP1")),
    ongoing=(Questionnaire(question="supervisor", if_yes="HP2", if_no="HP1", refresher={"months": 8}),
             Course(code="B", due_after={"days": 60}, anchor="placed"),
             Course(code="K", due_after={"months": 2}, anchor="training_eligible"),
             Document(type="dot_medical_certificate"), TimeInGroup(months=10)))
START = date(2024, 1, 1)
HISTORY_AS_OF = date(2024, 9, 1)
offsets = st.integers(0, 500)


def dated(offset: int) -> date:
    return START + timedelta(days=offset)


fact = st.one_of(
    st.builds(lambda o, v, u: WorkDay(dated(o), "399-DRIVER-G3", union=u,
                                      verified_on=dated(o + v) if v is not None else None),
              offsets, st.none() | st.integers(0, 40), st.booleans()),
    st.builds(lambda o, c, e: Completion(c, dated(o), dated(o + e) if e is not None else None),
              offsets, st.sampled_from(["A", "C19", "HP1", "HP2", "B", "K"]), st.none() | st.integers(0, 300)),
    st.builds(lambda o, e: ApprovedDocument("dot_medical_certificate", dated(o),
                                            dated(o + e) if e is not None else None),
              offsets, st.none() | st.integers(0, 300)),
    st.builds(lambda o, a: Answer("supervisor", a, dated(o)), offsets, st.booleans()),
    st.builds(lambda o, n: Suspension("399-DRIVER-G3", dated(o), dated(o + n) if n is not None else None),
              offsets, st.none() | st.integers(0, 30)),
)


def known_on(f, day: date) -> bool:
    """Whether a fact is dated on or before `day` (when it became known)."""
    if isinstance(f, WorkDay):
        return f.counts_from <= day
    if isinstance(f, Completion):
        return f.on <= day
    if isinstance(f, ApprovedDocument):
        return f.approved_on <= day
    if isinstance(f, Answer):
        return f.on <= day
    return f.start <= day


def as_facts(items) -> Facts:
    return Facts(work_days=tuple(f for f in items if isinstance(f, WorkDay)),
                 completions=tuple(f for f in items if isinstance(f, Completion)),
                 documents=tuple(f for f in items if isinstance(f, ApprovedDocument)),
                 answers=tuple(f for f in items if isinstance(f, Answer)),
                 suspensions=tuple(f for f in items if isinstance(f, Suspension)))


@settings(max_examples=150, deadline=None)
@given(st.lists(fact, max_size=25), st.integers(0, 400), st.booleans())
def test_facts_dated_after_the_as_of_date_never_change_the_evaluation(items, as_of_offset, stored_placement):
    as_of = dated(as_of_offset)
    known = [f for f in items if known_on(f, as_of)]
    record = Record("399-DRIVER-G3", applied_on=START)
    if stored_placement:
        record = Record("399-DRIVER-G3", applied_on=START, placed_on=START + timedelta(days=20))
    assert evaluate(record, EVERYTHING, as_facts(items), as_of) == evaluate(record, EVERYTHING, as_facts(known), as_of)
