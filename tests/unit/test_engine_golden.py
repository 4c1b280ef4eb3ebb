"""Golden tests of the rules engine: every requirement kind, and SPEC §4 journeys 1, 4 and 6
at the level of dated facts."""
from datetime import date, timedelta

import pytest

from rosters.engine.evaluate import evaluate, pending_advancement
from rosters.engine.facts import ApprovedDocument, Completion, Facts, Record, WorkDay
from rosters.engine.rules import (AnyOf, Classification, Course, Document, Questionnaire, TimeInGroup,
                                  WorkDays)

D = date


def days(code: str, start: date, count: int, step: int = 1, verified=True, union=True):
    return tuple(WorkDay(on=start + timedelta(days=i * step), classification=code, verified=verified,
                         union=union) for i in range(count))


GRIP = Classification(
    code="80-GRIP", name="IATSE, Local #80 (Grip)", local="80",
    application=(WorkDays(days=30, window_days=365), Course(code="A"),
                 Questionnaire(question="supervisor", if_yes="HP2", if_no="HP1"), Course(code="C19")),
    ongoing=(Questionnaire(question="supervisor", if_yes="HP2", if_no="HP1", refresher_days=730),
             Course(code="B", due_days_after=90, anchor="placed")))

DRIVER_G3 = Classification(
    code="399-DRIVER-G3", name="Teamsters, Local #399 (Driver Group 3)", local="399", group=3,
    advances_to="399-DRIVER-G2",
    application=(WorkDays(days=30, window_days=365), Document(type="dot_medical_certificate"),
                 AnyOf(rules=(Document(type="cdl_class_a"), Document(type="cdl_class_b")))),
    ongoing=(Document(type="dot_medical_certificate"),
             AnyOf(rules=(Document(type="cdl_class_a"), Document(type="cdl_class_b"))),
             TimeInGroup(years=2)))
DRIVER_G2 = Classification(code="399-DRIVER-G2", name="Teamsters, Local #399 (Driver Group 2)",
                           local="399", group=2)

CAMERA = Classification(
    code="600-CAMERA", name="IATSE, Local #600 (Camera Operator)", local="600",
    application=(AnyOf(rules=(WorkDays(days=100, window_days=3 * 365),
                              WorkDays(days=30, window_days=365, union_only=True))),))


def row(evaluation, kind):
    return next(r for r in evaluation.rows if r.kind == kind)


# --- journey 1: new to the industry --------------------------------------------------------------

def test_journey_1_new_grip_goes_from_not_training_eligible_to_placed():
    record = Record("80-GRIP", applied_on=D(2025, 1, 2))
    facts = Facts()
    first = evaluate(record, GRIP, facts, D(2025, 1, 3))
    assert first.status == "in_progress_not_training_eligible"
    assert first.label == "In Progress - Not Training Eligible"

    facts = Facts(work_days=days("80-GRIP", D(2025, 1, 6), 1))
    eligible = evaluate(record, GRIP, facts, D(2025, 1, 7))
    assert eligible.status == "in_progress_training_eligible" and eligible.training_eligible
    assert row(eligible, "work_days").detail == "1 of 30 days in the last year; 29 more needed"

    facts = Facts(work_days=days("80-GRIP", D(2025, 1, 6), 22),
                  completions=(Completion("A", D(2025, 1, 20)), Completion("HP1", D(2025, 1, 21)),
                               Completion("C19", D(2025, 1, 22))),
                  answers={"supervisor": False})
    almost = evaluate(record, GRIP, facts, D(2025, 2, 1))
    assert row(almost, "work_days").detail == "22 of 30 days in the last year; 8 more needed"
    assert row(almost, "work_days").state == "unmet" and almost.placed_on is None
    assert {r.state for r in almost.rows if r.kind != "work_days"} == {"met"}

    facts = Facts(work_days=days("80-GRIP", D(2025, 1, 6), 30), completions=facts.completions,
                  answers=facts.answers)
    placed = evaluate(record, GRIP, facts, D(2025, 3, 1))
    assert placed.placed_on == D(2025, 2, 4)  # the 30th day
    assert placed.status == "compliant"  # course B is due 90 days after placement: not yet close
    assert row(placed, "course").state == "due" and row(placed, "course").due_on == D(2025, 5, 5)
    assert evaluate(record, GRIP, facts, D(2025, 4, 10)).status == "approaching_deadline"


def test_a_course_due_after_placement_lapses_the_record_when_missed():
    record = Record("80-GRIP", applied_on=D(2025, 1, 2), placed_on=D(2025, 2, 4))
    facts = Facts(completions=(Completion("HP1", D(2025, 1, 21)),), answers={"supervisor": False})
    assert evaluate(record, GRIP, facts, D(2025, 5, 5)).status == "approaching_deadline"
    late = evaluate(record, GRIP, facts, D(2025, 5, 6))
    assert late.status == "not_compliant"
    assert row(late, "course").next_step == "Enroll in B and complete it."


# --- requirement kinds ------------------------------------------------------------------------

def test_unverified_or_other_classification_days_do_not_count():
    record = Record("80-GRIP", applied_on=D(2025, 1, 1))
    facts = Facts(work_days=days("80-GRIP", D(2025, 1, 2), 5, verified=False) + days("44-PROP", D(2025, 1, 2), 5))
    evaluation = evaluate(record, GRIP, facts, D(2025, 2, 1))
    assert row(evaluation, "work_days").numbers["have"] == 0
    assert evaluation.status == "in_progress_not_training_eligible"


def test_work_days_window_rolls_old_days_out():
    record = Record("600-CAMERA", applied_on=D(2020, 1, 1))
    facts = Facts(work_days=days("600-CAMERA", D(2020, 1, 2), 60, union=False))
    assert evaluate(record, CAMERA, facts, D(2021, 1, 1)).placed_on is None
    more = Facts(work_days=facts.work_days + days("600-CAMERA", D(2022, 6, 1), 40, union=False))
    placed = evaluate(record, CAMERA, more, D(2022, 8, 1))
    assert placed.placed_on == D(2022, 7, 10)  # 100 non-union days within 3 years


def test_local_600_any_of_accepts_thirty_union_days_in_one_year():
    record = Record("600-CAMERA", applied_on=D(2024, 1, 1))
    facts = Facts(work_days=days("600-CAMERA", D(2024, 2, 1), 30, union=True))
    assert evaluate(record, CAMERA, facts, D(2024, 6, 1)).placed_on == D(2024, 3, 1)


def test_questionnaire_picks_hp2_for_supervisors_and_hp2_also_covers_hp1():
    rule_class = Classification(code="839-ANIMATION", name="The Animation Guild, Local #839", local="839",
                                roster="training_list",
                                application=(Questionnaire(question="supervisor", if_yes="HP2", if_no="HP1"),))
    record = Record("839-ANIMATION", applied_on=D(2025, 1, 1))
    unanswered = evaluate(record, rule_class, Facts(), D(2025, 1, 2))
    assert row(unanswered, "questionnaire").next_step.startswith("Answer the short questionnaire")
    supervisor_with_hp1 = Facts(completions=(Completion("HP1", D(2025, 1, 2)),), answers={"supervisor": True})
    assert evaluate(record, rule_class, supervisor_with_hp1, D(2025, 1, 3)).placed_on is None
    crew_with_hp2 = Facts(completions=(Completion("HP2", D(2025, 1, 2)),), answers={"supervisor": False})
    assert evaluate(record, rule_class, crew_with_hp2, D(2025, 1, 3)).placed_on == D(2025, 1, 2)


def test_a_refresher_lapses_two_years_after_completion():
    record = Record("80-GRIP", applied_on=D(2022, 1, 1), placed_on=D(2022, 2, 1))
    facts = Facts(completions=(Completion("HP1", D(2022, 1, 15)), Completion("B", D(2022, 3, 1))),
                  answers={"supervisor": False})
    hp = row(evaluate(record, GRIP, facts, D(2023, 12, 1)), "questionnaire")
    assert hp.state == "met" and hp.due_on == D(2024, 1, 14)
    assert evaluate(record, GRIP, facts, D(2024, 1, 1)).status == "approaching_deadline"
    assert evaluate(record, GRIP, facts, D(2024, 1, 15)).status == "not_compliant"


def test_a_document_counts_only_while_approved_and_unexpired():
    record = Record("399-DRIVER-G3", applied_on=D(2024, 1, 1), placed_on=D(2024, 1, 1))
    facts = Facts(documents=(ApprovedDocument("cdl_class_b", D(2024, 1, 1)),
                             ApprovedDocument("dot_medical_certificate", D(2024, 1, 1), D(2024, 6, 30))))
    assert evaluate(record, DRIVER_G3, facts, D(2024, 5, 1)).status == "compliant"
    assert evaluate(record, DRIVER_G3, facts, D(2024, 6, 1)).status == "approaching_deadline"
    lapsed = evaluate(record, DRIVER_G3, facts, D(2024, 7, 1))
    assert lapsed.status == "not_compliant"
    medical = next(r for r in lapsed.rows if r.kind == "document")
    assert medical.detail == "Expired on 06/30/2024" and medical.state == "unmet"
    assert medical.tab == "documents"


# --- journey 4: grouping advancement (seed 002) ---------------------------------------------------

def driver_facts(medical_gap_days: int = 0):
    first_medical_ends = D(2023, 1, 31)
    renewed = first_medical_ends + timedelta(days=1 + medical_gap_days)
    return Facts(work_days=days("399-DRIVER-G3", D(2022, 1, 1), 30),
                 documents=(ApprovedDocument("cdl_class_a", D(2021, 12, 1), D(2030, 1, 1)),
                            ApprovedDocument("dot_medical_certificate", D(2021, 12, 1), first_medical_ends),
                            ApprovedDocument("dot_medical_certificate", renewed, D(2026, 1, 31))))


def test_journey_4_group_3_driver_has_an_anticipated_advancement_date_two_years_on():
    record = Record("399-DRIVER-G3", applied_on=D(2021, 12, 1))
    current = evaluate(record, DRIVER_G3, driver_facts(), D(2023, 6, 1))
    assert current.placed_on == D(2022, 1, 30)
    assert current.status == "compliant"
    assert current.anticipated_advancement_on == D(2024, 1, 30)
    pending = pending_advancement(current, DRIVER_G3, DRIVER_G2)
    assert pending.status == "pending_advancement" and pending.label == "Pending (In Progress)"
    assert pending.rows[0].label == "2 Years Active, Upgrade"
    assert pending.rows[0].detail == "Anticipated Advancement Date: 01/30/2024"
    assert pending.rows[0].tab == "other"


def test_journey_4_a_medical_certificate_lapsing_ten_days_moves_the_date_ten_days():
    record = Record("399-DRIVER-G3", applied_on=D(2021, 12, 1))
    on_time = evaluate(record, DRIVER_G3, driver_facts(0), D(2023, 6, 1))
    lapsed = evaluate(record, DRIVER_G3, driver_facts(10), D(2023, 6, 1))
    assert lapsed.anticipated_advancement_on - on_time.anticipated_advancement_on == timedelta(days=10)
    gap = [i for i in lapsed.timeline if not i.compliant]
    assert [(i.start, i.end, i.days) for i in gap] == [(D(2023, 2, 1), D(2023, 2, 10), 10)]
    during = evaluate(record, DRIVER_G3, driver_facts(10), D(2023, 2, 5))
    assert during.status == "not_compliant"


def test_a_closed_record_says_so():
    record = Record("399-DRIVER-G3", applied_on=D(2021, 12, 1), closed_on=D(2024, 1, 30))
    assert evaluate(record, DRIVER_G3, driver_facts(), D(2024, 2, 1)).status == "closed"


# --- journey 6: deadlines -------------------------------------------------------------------------

@pytest.mark.parametrize("as_of, status", [
    (D(2024, 4, 30), "compliant"),               # 61 days before the certificate lapses
    (D(2024, 6, 1), "approaching_deadline"),     # inside the 30-day warning window
    (D(2024, 6, 30), "approaching_deadline"),    # the last valid day
    (D(2024, 7, 1), "not_compliant"),            # lapsed
])
def test_journey_6_deadline_window_then_lapse(as_of, status):
    record = Record("399-DRIVER-G3", applied_on=D(2024, 1, 1), placed_on=D(2024, 1, 1))
    facts = Facts(documents=(ApprovedDocument("cdl_class_b", D(2024, 1, 1)),
                             ApprovedDocument("dot_medical_certificate", D(2024, 1, 1), D(2024, 6, 30))))
    evaluation = evaluate(record, DRIVER_G3, facts, as_of)
    assert evaluation.status == status
    if status != "not_compliant":
        assert evaluation.lapses_on == D(2024, 7, 1)


def test_a_stored_placement_does_not_reach_back_before_its_date():
    record = Record("80-GRIP", applied_on=D(2025, 1, 1), placed_on=D(2025, 3, 1))
    facts = Facts(completions=(Completion("HP1", D(2025, 2, 1)),), answers={"supervisor": False})
    before = evaluate(record, GRIP, facts, D(2025, 2, 1))
    assert before.placed_on is None and before.status.startswith("in_progress")


def test_days_out_of_compliance_are_counted_from_the_group_start_even_inside_an_earlier_lapse():
    from rosters.engine.evaluate import Interval, advancement_date
    from rosters.engine.rules import TimeInGroup

    timeline = [Interval(D(2024, 1, 1), D(2024, 1, 20), False), Interval(D(2024, 1, 21), D(2024, 6, 1), True)]
    # the group started on the 11th while the person was out of compliance until the 20th: 10 days lost
    assert advancement_date(TimeInGroup(days=100), D(2024, 1, 11), timeline) == D(2024, 1, 11) + timedelta(days=110)
