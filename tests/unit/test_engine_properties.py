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
    for before, after in zip(timeline, timeline[1:]):
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
def test_advancement_is_two_years_plus_exactly_the_days_out_of_compliance(certs):
    evaluation = evaluate(RECORD, DRIVER_G3, facts_with(certs), AS_OF)
    lost = sum(i.days for i in evaluation.timeline if not i.compliant)
    assert evaluation.anticipated_advancement_on == date(2024, 1, 1) + timedelta(days=lost)
