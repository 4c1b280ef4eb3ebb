"""Golden tests of the rules engine: every requirement kind, and SPEC §4 journeys 1, 4 and 6
at the level of dated facts."""
from datetime import date, timedelta

import pytest
from rosters.engine.evaluate import evaluate, pending_advancement
from rosters.engine.facts import ApprovedDocument, Completion, Facts, Record, WorkDay
from rosters.engine.rules import AnyOf, Classification, Course, Document, Questionnaire, TimeInGroup, WorkDays

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


def test_a_choice_between_documents_is_a_required_documents_row_naming_its_types_and_one_next_step():
    record = Record("399-DRIVER-G3", applied_on=D(2024, 1, 1), placed_on=D(2024, 1, 1))
    facts = Facts(documents=(ApprovedDocument("dot_medical_certificate", D(2024, 1, 1), D(2025, 6, 30)),))

    rows = evaluate(record, DRIVER_G3, facts, D(2024, 5, 1)).rows

    cdl = next(r for r in rows if r.kind == "any_of")
    medical = next(r for r in rows if r.kind == "document")
    assert cdl.tab == "documents" and cdl.state == "unmet"
    assert cdl.numbers["document_types"] == ["cdl_class_a", "cdl_class_b"]
    assert medical.numbers["document_types"] == ["dot_medical_certificate"]
    assert cdl.next_step.count("Upload it") == 1 and " Or: " not in cdl.next_step


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


# --- review findings: advancement, best completion, calendar periods, dated facts -------------------

def test_a_lapse_after_the_anticipated_advancement_date_does_not_move_it():
    record = Record("399-DRIVER-G3", applied_on=D(2022, 1, 1), placed_on=D(2022, 1, 30))
    facts = Facts(documents=(ApprovedDocument("cdl_class_a", D(2021, 12, 1), D(2030, 1, 1)),
                             # valid through 5 days after the date, renewed 10 days later
                             ApprovedDocument("dot_medical_certificate", D(2021, 12, 1), D(2024, 2, 3)),
                             ApprovedDocument("dot_medical_certificate", D(2024, 2, 14), D(2026, 1, 1))))
    assert evaluate(record, DRIVER_G3, facts, D(2024, 1, 1)).anticipated_advancement_on == D(2024, 1, 30)
    a_month_later = evaluate(record, DRIVER_G3, facts, D(2024, 3, 5))
    assert a_month_later.anticipated_advancement_on == D(2024, 1, 30)


def test_a_lapse_that_starts_before_the_date_keeps_moving_it_while_it_lasts():
    from rosters.engine.evaluate import Interval, advancement_date

    timeline = [Interval(D(2024, 1, 1), D(2024, 4, 5), True), Interval(D(2024, 4, 6), D(2024, 4, 20), False),
                Interval(D(2024, 4, 21), D(2024, 6, 1), True), Interval(D(2024, 6, 2), D(2024, 6, 9), False)]
    # 100 days from 1 January is 10 April: the 15 days from 6 April count, the later 8 do not
    assert advancement_date(TimeInGroup(days=100), D(2024, 1, 1), timeline) == D(2024, 4, 25)


def test_a_newer_shorter_lived_completion_does_not_shorten_compliance():
    record = Record("80-GRIP", applied_on=D(2024, 1, 1), placed_on=D(2024, 1, 15))
    facts = Facts(completions=(Completion("HP1", D(2024, 1, 10)), Completion("B", D(2024, 2, 1)),
                               Completion("HP1", D(2024, 3, 1), expires_on=D(2024, 6, 1))),
                  answers={"supervisor": False})
    evaluation = evaluate(record, GRIP, facts, D(2024, 7, 1))
    assert evaluation.status == "compliant"
    hp = row(evaluation, "questionnaire")
    assert hp.state == "met" and hp.due_on == D(2026, 1, 8)  # GRIP's refresher: 730 days
    assert hp.detail == "Completed HP1 on 01/10/2024; valid through 01/08/2026"
    assert evaluation.lapses_on == D(2026, 1, 9)
    assert [i.compliant for i in evaluation.timeline] == [True]


def test_a_two_year_refresher_is_valid_until_the_same_calendar_date_two_years_later():
    grip = GRIP.model_copy(update={"ongoing": (
        Questionnaire(question="supervisor", if_yes="HP2", if_no="HP1", refresher={"years": 2}),)})
    record = Record("80-GRIP", applied_on=D(2023, 6, 1), placed_on=D(2023, 6, 2))
    facts = Facts(completions=(Completion("HP1", D(2023, 6, 2)),), answers={"supervisor": False})
    assert row(evaluate(record, grip, facts, D(2025, 6, 1)), "questionnaire").due_on == D(2025, 6, 1)
    assert evaluate(record, grip, facts, D(2025, 6, 1)).status == "approaching_deadline"
    assert evaluate(record, grip, facts, D(2025, 6, 2)).status == "not_compliant"


@pytest.mark.parametrize("start, period, expected", [
    (D(2023, 6, 2), {"years": 2}, D(2025, 6, 2)),
    (D(2024, 2, 29), {"years": 1}, D(2025, 2, 28)),    # no 29 February: the month's last day
    (D(2024, 2, 29), {"years": 4}, D(2028, 2, 29)),
    (D(2024, 1, 31), {"months": 1}, D(2024, 2, 29)),
    (D(2024, 11, 30), {"months": 3}, D(2025, 2, 28)),
    (D(2024, 1, 1), {"days": 365}, D(2024, 12, 31)),   # days are days, leap year or not
    (D(2023, 8, 31), {"years": 1, "months": 6}, D(2025, 2, 28)),
])
def test_a_period_is_added_in_calendar_terms(start, period, expected):
    from rosters.engine.rules import Period

    assert Period(**period).add_to(start) == expected


def test_a_refresher_from_29_february_lapses_on_28_february():
    grip = GRIP.model_copy(update={"ongoing": (
        Questionnaire(question="supervisor", if_yes="HP2", if_no="HP1", refresher={"years": 2}),)})
    record = Record("80-GRIP", applied_on=D(2024, 2, 1), placed_on=D(2024, 2, 29))
    facts = Facts(completions=(Completion("HP1", D(2024, 2, 29)),), answers={"supervisor": False})
    assert row(evaluate(record, grip, facts, D(2026, 2, 1)), "questionnaire").due_on == D(2026, 2, 27)
    assert evaluate(record, grip, facts, D(2026, 2, 28)).status == "not_compliant"


def test_a_work_days_window_in_years_counts_a_day_until_the_same_date_years_later():
    rule = WorkDays(days=2, window={"years": 3})
    camera = CAMERA.model_copy(update={"application": (rule,)})
    record = Record("600-CAMERA", applied_on=D(2022, 1, 1))
    facts = Facts(work_days=days("600-CAMERA", D(2022, 6, 1), 2))
    from rosters.engine.requirements import check, label_of

    on_the_eve = check(rule, facts, "600-CAMERA", D(2025, 5, 31), {})
    assert on_the_eve.met and on_the_eve.until == D(2025, 5, 31)
    assert check(rule, facts, "600-CAMERA", D(2025, 6, 1), {}).numbers["have"] == 1
    assert label_of(rule) == "2 verified work days in the last 3 years"
    assert evaluate(record, camera, facts, D(2022, 6, 2)).placed_on == D(2022, 6, 2)


def test_deadlines_and_time_in_group_are_calendar_periods_too():
    from rosters.engine.requirements import label_of

    course = Course(code="B", due_after={"months": 3}, anchor="placed")
    grip = GRIP.model_copy(update={"ongoing": (course,)})
    record = Record("80-GRIP", applied_on=D(2024, 11, 1), placed_on=D(2024, 11, 30))
    assert row(evaluate(record, grip, Facts(), D(2025, 1, 1)), "course").due_on == D(2025, 2, 28)
    driver = DRIVER_G3.model_copy(update={"ongoing": (TimeInGroup(years=2),)})
    placed = Record("399-DRIVER-G3", applied_on=D(2024, 2, 1), placed_on=D(2024, 2, 29))
    assert evaluate(placed, driver, Facts(), D(2024, 3, 1)).anticipated_advancement_on == D(2026, 2, 28)
    assert label_of(TimeInGroup(months=18)) == "18 Months Active, Upgrade"
    assert label_of(TimeInGroup(years=1, months=6)) == "1 Year and 6 Months Active, Upgrade"


def test_the_integer_day_fields_of_earlier_catalog_files_still_read_as_periods_of_days():
    from rosters.engine.rules import Period

    assert WorkDays(days=30, window_days=365).window == Period(days=365)
    legacy = Questionnaire(question="supervisor", if_yes="HP2", if_no="HP1", refresher_days=730)
    assert legacy.refresher == Period(days=730)
    assert Course(code="B", due_days_after=90).due_after == Period(days=90)
    assert TimeInGroup(days=100).period == Period(days=100)


def test_a_day_worked_after_the_as_of_date_does_not_set_the_training_eligible_anchor():
    rules = GRIP.model_copy(update={"application": (
        Course(code="A", due_after={"days": 90}, anchor="training_eligible"),
        WorkDays(days=30, window={"days": 365}))})
    record = Record("80-GRIP", applied_on=D(2025, 1, 2))
    facts = Facts(work_days=days("80-GRIP", D(2025, 3, 1), 1))
    before = evaluate(record, rules, facts, D(2025, 2, 1))
    assert row(before, "course").due_on is None and row(before, "course").detail == "Not completed yet"
    assert row(evaluate(record, rules, facts, D(2025, 3, 1)), "course").due_on == D(2025, 5, 30)


def test_a_day_verified_later_counts_only_from_its_verification():
    record = Record("80-GRIP", applied_on=D(2025, 1, 2))
    facts = Facts(work_days=(WorkDay(D(2025, 1, 6), "80-GRIP", verified_on=D(2025, 2, 1)),))
    assert evaluate(record, GRIP, facts, D(2025, 1, 31)).status == "in_progress_not_training_eligible"
    assert row(evaluate(record, GRIP, facts, D(2025, 1, 31)), "work_days").numbers["have"] == 0
    assert evaluate(record, GRIP, facts, D(2025, 2, 1)).status == "in_progress_training_eligible"


def test_a_changed_answer_changes_the_course_from_that_day_and_never_before():
    from rosters.engine.facts import Answer

    animation = Classification(code="839-ANIMATION", name="The Animation Guild, Local #839", local="839",
                               roster="training_list",
                               application=(Questionnaire(question="supervisor", if_yes="HP2", if_no="HP1"),),
                               ongoing=(Questionnaire(question="supervisor", if_yes="HP2", if_no="HP1",
                                                      refresher={"years": 2}),))
    record = Record("839-ANIMATION", applied_on=D(2024, 1, 1))
    facts = Facts(completions=(Completion("HP1", D(2024, 1, 5)),),
                  answers=(Answer("supervisor", False, D(2024, 1, 2)), Answer("supervisor", True, D(2024, 6, 1))))
    assert evaluate(record, animation, facts, D(2024, 5, 31)).status == "compliant"
    later = evaluate(record, animation, facts, D(2024, 7, 1))
    assert later.placed_on == D(2024, 1, 5) and later.status == "not_compliant"
    assert [(i.start, i.compliant) for i in later.timeline] == [(D(2024, 1, 5), True), (D(2024, 6, 1), False)]


def test_a_staff_suspension_takes_the_driver_off_the_roster_and_delays_advancement():
    from rosters.engine.facts import Suspension

    record = Record("399-DRIVER-G3", applied_on=D(2021, 12, 1))
    suspension = Suspension("399-DRIVER-G3", D(2023, 3, 1), D(2023, 3, 10), reason="Safety incident")
    facts = driver_facts()
    suspended = Facts(work_days=facts.work_days, documents=facts.documents, suspensions=(suspension,))
    during = evaluate(record, DRIVER_G3, suspended, D(2023, 3, 5))
    assert during.status == "not_compliant"
    assert (during.rows[0].kind, during.rows[0].label, during.rows[0].state) == (
        "suspension", "Suspended by Contract Services", "unmet")
    assert during.rows[0].detail == "Since 03/01/2023 through 03/10/2023: Safety incident"
    after = evaluate(record, DRIVER_G3, suspended, D(2023, 6, 1))
    assert after.status == "compliant"
    assert after.anticipated_advancement_on == D(2024, 1, 30) + timedelta(days=10)
    other = Facts(work_days=facts.work_days, documents=facts.documents,
                  suspensions=(Suspension("80-GRIP", D(2023, 3, 1)),))
    assert evaluate(record, DRIVER_G3, other, D(2023, 6, 1)).anticipated_advancement_on == D(2024, 1, 30)


def test_the_warning_window_is_the_classifications():
    record = Record("399-DRIVER-G3", applied_on=D(2024, 1, 1), placed_on=D(2024, 1, 1))
    facts = Facts(documents=(ApprovedDocument("cdl_class_b", D(2024, 1, 1)),
                             ApprovedDocument("dot_medical_certificate", D(2024, 1, 1), D(2024, 6, 30))))
    assert evaluate(record, DRIVER_G3, facts, D(2024, 5, 16)).status == "compliant"
    early = Classification.model_validate({**DRIVER_G3.model_dump(), "warning": {"days": 45}})
    assert evaluate(record, early, facts, D(2024, 5, 16)).status == "approaching_deadline"


def test_an_old_harassment_prevention_course_does_not_place_someone_who_would_lapse_at_once():
    record = Record("80-GRIP", applied_on=D(2025, 1, 2))
    old_hp = Completion("HP1", D(2025, 2, 4) - timedelta(days=800))
    facts = Facts(work_days=days("80-GRIP", D(2025, 1, 6), 30), answers={"supervisor": False},
                  completions=(Completion("A", D(2025, 1, 20)), Completion("C19", D(2025, 1, 22)), old_hp))
    waiting = evaluate(record, GRIP, facts, D(2025, 3, 1))
    assert waiting.placed_on is None
    hp = row(waiting, "questionnaire")
    assert hp.state == "unmet" and hp.detail.startswith("HP1 lapsed on")
    renewed = Facts(work_days=facts.work_days, answers={"supervisor": False},
                    completions=facts.completions + (Completion("HP1", D(2025, 3, 2)),))
    placed = evaluate(record, GRIP, renewed, D(2025, 3, 5))
    assert placed.placed_on == D(2025, 3, 2) and placed.status != "not_compliant"
