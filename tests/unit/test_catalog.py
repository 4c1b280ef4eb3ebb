"""The reference catalog (rosters/catalog/*.yml): it loads, has the classifications SPEC §2 and the
seeds name with the right structure, refuses malformed files naming the file and the field, and
round-trips through the catalog_versions table. One shipped classification is evaluated with the
engine to show the data is usable as it stands."""
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from rosters.catalog_loader import (
    CATALOG_DIR,
    Catalog,
    CatalogError,
    NotFound,
    catalog_from_db,
    load_catalog_files,
    parse_catalog_text,
    sync_catalog_to_db,
)
from rosters.engine.evaluate import evaluate
from rosters.engine.facts import Completion, Facts, Record, WorkDay
from rosters.engine.rules import (
    AllOf,
    AnyOf,
    CatalogFile,
    Course,
    Document,
    Period,
    Questionnaire,
    TimeInGroup,
    WorkDays,
)
from rosters.models import CatalogVersion

from tests.support.databases import memory_sessions

D = date
TODAY = D(2025, 6, 1)
HP = dict(question="supervisor", if_yes="HP2", if_no="HP1")
TWO_YEARS = Period(years=2)


@pytest.fixture(scope="module")
def shipped():
    return load_catalog_files()


@pytest.fixture(scope="module")
def catalog(shipped):
    return Catalog(shipped)


def kinds(rules):
    return [r.kind for r in rules]


# --- the shipped catalog -------------------------------------------------------------------------

def test_the_shipped_catalog_loads_with_at_least_40_classifications_in_8_locals(shipped, catalog):
    assert all(path.parent == CATALOG_DIR and path.suffix == ".yml" for path, _ in shipped)
    assert len(catalog.all(TODAY)) >= 40
    assert len(catalog.locals()) >= 8
    assert {"399", "44", "80", "600", "700", "705", "706", "728", "800", "839"} <= {
        local.code for local in catalog.locals()}
    assert catalog.local("399").union == "Teamsters"
    assert catalog.local("839").union == "The Animation Guild"
    assert {catalog.local(code).union for code in ("44", "80", "600", "700", "705", "706", "728", "800")} == {"IATSE"}


def test_every_file_says_its_figures_are_illustrative_defaults(shipped):
    for path, _ in shipped:
        head = path.read_text(encoding="utf-8").split("\n\n")[0]
        assert head.startswith("#") and "ILLUSTRATIVE DEFAULTS" in path.read_text(encoding="utf-8"), path.name
        assert "confirmed against" in path.read_text(encoding="utf-8"), path.name


def test_codes_and_names_follow_the_conventions(catalog):
    for c in catalog.all(TODAY):
        assert c.code.startswith(c.local + "-"), c.code
        local = catalog.local(c.local)
        prefix = "The Animation Guild" if local.union == "The Animation Guild" else local.union
        assert c.name.startswith(f"{prefix}, Local #{c.local} ("), c.name


def test_local_399_groups_advance_3_to_2_to_1_after_two_years(catalog):
    for craft in ("DRIVER", "DISPATCHER", "WRANGLER", "AUTO-MECHANIC", "AUTO-SERVICE"):
        g3, g2, g1 = (catalog.classification(f"399-{craft}-G{n}", TODAY) for n in (3, 2, 1))
        assert (g3.group, g2.group, g1.group) == (3, 2, 1)
        assert (g3.advances_to, g2.advances_to, g1.advances_to) == (g2.code, g1.code, None)
        for lower in (g3, g2):
            time = [r for r in lower.ongoing if isinstance(r, TimeInGroup)]
            assert time == [TimeInGroup(years=2)]
        assert not any(isinstance(r, TimeInGroup) for r in g1.ongoing)
    g3 = catalog.classification("399-DRIVER-G3", TODAY)
    assert g3.name == "Teamsters, Local #399 (Driver Group 3)"
    assert WorkDays(days=30, window=Period(days=365)) in g3.application  # SPEC: 30 days within 365 days


def test_399_drivers_need_a_cdl_a_or_b_and_a_dot_medical_certificate(catalog):
    for n in (3, 2, 1):
        driver = catalog.classification(f"399-DRIVER-G{n}", TODAY)
        for phase in (driver.application, driver.ongoing):
            cdl = [r for r in phase if isinstance(r, AnyOf)]
            assert len(cdl) == 1 and {d.type for d in cdl[0].rules} == {"cdl_class_a", "cdl_class_b"}
            assert all(isinstance(d, Document) for d in cdl[0].rules)
            assert "dot_medical_certificate" in {r.type for r in phase if isinstance(r, Document)}
    wrangler = catalog.classification("399-WRANGLER-G3", TODAY)
    assert any(isinstance(r, Document) for r in wrangler.application) and wrangler.illustrative


def test_local_600_work_days_are_100_in_3_years_or_30_union_days_in_1_year(catalog):
    cameras = [c for c in catalog.all(TODAY) if c.local == "600"]
    assert len(cameras) >= 5
    for c in cameras:
        either = [r for r in c.application if isinstance(r, AnyOf)]
        assert len(either) == 1 and not any(isinstance(r, WorkDays) for r in c.application), c.code
        long, short = either[0].rules
        assert (long.kind, long.days, long.window, long.union_only) == ("work_days", 100, Period(years=3), False)
        assert (short.kind, short.days, short.window, short.union_only) == ("work_days", 30, Period(years=1), True)


def test_80_grip_applies_with_30_days_a_harassment_prevention_and_c19(catalog):
    grip = catalog.classification("80-GRIP", TODAY)
    assert grip.name == "IATSE, Local #80 (Grip)" and grip.roster == "IER" and grip.local == "80"
    assert grip.application == (WorkDays(days=30, window=Period(days=365)), Course(code="A"),
                                Questionnaire(**HP), Course(code="C19"))
    assert Questionnaire(**HP, refresher=TWO_YEARS) in grip.ongoing
    assert grip.illustrative is False  # SPEC §4 journey 1, figure for figure


def test_839_is_a_training_list_of_harassment_prevention_renewed_every_two_years(catalog):
    animation = catalog.classification("839-ANIMATION", TODAY)
    assert animation.roster == "training_list"
    assert [local.code for local in catalog.locals() if local.code == "839"] == ["839"]
    for phase in (animation.application, animation.ongoing):
        assert len(phase) == 1
        (hp,) = phase
        assert isinstance(hp, Questionnaire) and (hp.question, hp.if_yes, hp.if_no) == ("supervisor", "HP2", "HP1")
        assert hp.refresher == TWO_YEARS
    assert all(c.roster == "IER" for c in catalog.all(TODAY) if c.local != "839")


def test_every_advances_to_and_also_counts_resolves(catalog):
    everything = {c.code: c for c in catalog.all(TODAY)}
    for c in everything.values():
        if c.advances_to:
            target = everything[c.advances_to]
            assert target.local == c.local and target.group < c.group
        for rule in c.application + c.ongoing:
            stack = [rule]
            while stack:
                r = stack.pop()
                if isinstance(r, (AnyOf, AllOf)):
                    stack.extend(r.rules)
                elif isinstance(r, WorkDays):
                    assert set(r.also_counts) <= set(everything)


def test_ier_classifications_need_work_days_and_a_and_harassment_prevention_then_a_refresher(catalog):
    spec_courses = {"A", "A2", "B", "B3", "D1", "E", "E2", "F", "G", "H", "I", "J", "K", "M", "N", "P", "R",
                    "C19", "RCAN"}
    used = set()
    for c in catalog.all(TODAY):
        if c.roster != "IER":
            continue
        assert {"work_days", "any_of"} & set(kinds(c.application)), c.code
        assert Course(code="A") in c.application and Questionnaire(**HP) in c.application, c.code
        assert Questionnaire(**HP, refresher=TWO_YEARS) in c.ongoing, c.code
        for rule in c.application + c.ongoing:
            if isinstance(rule, Course):
                used.add(rule.code)
                assert rule.code in spec_courses, (c.code, rule.code)
                if rule.due_after:
                    assert (rule.due_after, rule.anchor) == (Period(days=90), "placed")
    assert used == spec_courses  # every Safety Pass course of SPEC §2 is asked for somewhere


def test_forklift_and_aerial_lift_certificates_are_documents_for_riggers(catalog):
    for code in ("80-RIGGING-GRIP", "728-RIGGING-ELECTRICIAN"):
        types = {r.type for r in catalog.classification(code, TODAY).ongoing if isinstance(r, Document)}
        assert {"forklift_certificate", "aerial_lift_certificate"} <= types


def test_unknown_codes_and_locals_are_not_found(catalog):
    with pytest.raises(NotFound):
        catalog.classification("80-NOBODY", TODAY)
    with pytest.raises(KeyError):
        catalog.classification("80-NOBODY", TODAY)
    with pytest.raises(KeyError):
        catalog.local("12345")


# --- versions --------------------------------------------------------------------------------------

def grip_file(version: int, effective: date, days: int, extra: tuple = ()) -> CatalogFile:
    return CatalogFile.model_validate({
        "version": version, "effective": effective,
        "local": {"code": "80", "name": "IATSE Local #80", "union": "IATSE"},
        "classifications": [
            {"code": "80-GRIP", "name": "IATSE, Local #80 (Grip)", "local": "80",
             "application": [{"kind": "work_days", "days": days, "window_days": 365}]},
            *extra]})


def test_a_later_version_replaces_the_earlier_only_from_its_effective_date():
    dolly = {"code": "80-DOLLY-GRIP", "name": "IATSE, Local #80 (Dolly Grip)", "local": "80"}
    catalog = Catalog([grip_file(2, D(2025, 7, 1), 40, (dolly,)), grip_file(1, D(2024, 1, 1), 30)])
    assert [f.version for f in catalog.versions("80")] == [1, 2]

    def days_on(day):
        return catalog.classification("80-GRIP", day).application[0].days

    assert days_on(D(2025, 6, 30)) == 30
    assert days_on(D(2025, 7, 1)) == 40
    assert days_on(D(2030, 1, 1)) == 40
    assert days_on(D(2010, 1, 1)) == 30  # the first version is the baseline for earlier dates
    with pytest.raises(NotFound, match="not in version 1"):
        catalog.classification("80-DOLLY-GRIP", D(2025, 6, 30))
    assert catalog.classification("80-DOLLY-GRIP", D(2025, 7, 1)).name == "IATSE, Local #80 (Dolly Grip)"
    assert [c.code for c in catalog.all(D(2025, 6, 30))] == ["80-GRIP"]
    assert [c.code for c in catalog.all(D(2025, 7, 1))] == ["80-GRIP", "80-DOLLY-GRIP"]


def test_versions_must_be_numbered_in_the_order_they_take_effect():
    with pytest.raises(CatalogError, match="before version 1"):
        Catalog([grip_file(1, D(2025, 1, 1), 30), grip_file(2, D(2024, 1, 1), 40)])
    with pytest.raises(CatalogError, match="already version 1 of local 80"):
        Catalog([("a.yml", grip_file(1, D(2025, 1, 1), 30)), ("b.yml", grip_file(1, D(2026, 1, 1), 40))])


# --- malformed files are refused, naming the file and the field -------------------------------------

GOOD = """\
version: 1
effective: 2024-01-01
local: {code: "80", name: "IATSE Local #80", union: IATSE}
classifications:
  - code: "80-GRIP"
    name: "IATSE, Local #80 (Grip)"
    local: "80"
    application:
      - work_days: {days: 30, window_days: 365}
      - course: {code: A}
      - questionnaire: {question: supervisor, if_yes: HP2, if_no: HP1}
      - course: {code: C19}
    ongoing:
      - questionnaire: {question: supervisor, if_yes: HP2, if_no: HP1, refresher_days: 730}
"""

GROUPED = """\
version: 1
effective: 2024-01-01
local: {code: "399", name: "Teamsters Local #399", union: Teamsters}
classifications:
  - code: "399-DRIVER-G3"
    name: "Teamsters, Local #399 (Driver Group 3)"
    local: "399"
    group: 3
    advances_to: "399-DRIVER-G2"
    application:
      - work_days: {days: 30, window_days: 365}
    ongoing:
      - time_in_group: {years: 2}
  - code: "399-DRIVER-G2"
    name: "Teamsters, Local #399 (Driver Group 2)"
    local: "399"
    group: 2
"""


def write(folder, name, text):
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def refused(tmp_path, name, text) -> str:
    folder = write(tmp_path / "catalog", name, text)
    with pytest.raises(CatalogError) as caught:
        load_catalog_files(folder)
    return str(caught.value)


def test_the_well_formed_examples_load(tmp_path):
    write(tmp_path / "catalog", "80.yml", GOOD)
    write(tmp_path / "catalog", "399.yml", GROUPED)
    loaded = load_catalog_files(tmp_path / "catalog")
    assert [path.name for path, _ in loaded] == ["399.yml", "80.yml"]
    # the one-key form and the models' form are the same rules
    models_form = GOOD.replace("- course: {code: A}", "- {kind: course, code: A}")
    assert parse_catalog_text(models_form, "80.yml") == loaded[1][1]


@pytest.mark.parametrize("name, text, expected", [
    ("80.yml", GOOD.replace("- course: {code: A}", "- course: {}"),
     "80.yml: classifications.0.application.1.course.code: Field required (line 10)"),
    ("80.yml", GOOD.replace("- course: {code: A}", "- training: {code: A}"),
     "80.yml: classifications.0.application.1: unknown requirement kind 'training'"),
    ("80.yml", GOOD.replace("- course: {code: A}", "- {kind: training, code: A}"),
     "80.yml: classifications.0.application.1: Input tag 'training' found using 'kind' does not match"),
    ("80.yml", GOOD.replace("- course: {code: A}", "- course: {code: A, hours: 4}"),
     "80.yml: classifications.0.application.1.course.hours: Extra inputs are not permitted"),
    ("80.yml", GOOD.replace('    local: "80"\n', '    local: "80"\n    colour: blue\n'),
     "80.yml: classifications.0.colour: Extra inputs are not permitted (line 8)"),
    ("80.yml", GOOD.replace("effective: 2024-01-01", "effective: 2024-02-30"),
     "80.yml: effective: Input should be a valid date"),
    ("80.yml", GOOD.replace("effective: 2024-01-01", "effective: next spring"),
     "80.yml: effective: Input should be a valid date"),
    ("80.yml", GOOD.replace("- course: {code: A}", "- course: {code: ''}"),
     "80.yml: classifications.0.application.1.course.code: String should have at least 1 character"),
    ("80.yml", GOOD.replace("- course: {code: A}", "- course: {code: 'first aid'}"),
     "80.yml: classifications.0.application.1.course.code: String should match pattern"),
    ("80.yml", GOOD.replace("if_yes: HP2, if_no: HP1}", "if_yes: HP2, if_no: ''}", 1),
     "80.yml: classifications.0.application.2.questionnaire.if_no: String should have at least 1 character"),
    ("80.yml", GOOD.replace("question: supervisor, if_yes: HP2, if_no: HP1}",
                            "question: '', if_yes: HP2, if_no: HP1}", 1),
     "80.yml: classifications.0.application.2.questionnaire.question: String should have at least 1 character"),
    ("80.yml", GOOD.replace("- course: {code: A}", "- any_of: [{document: {type: ''}}, {course: {code: A}}]"),
     "80.yml: classifications.0.application.1.any_of.rules.0.document.type: String should have at least 1 character"),
    ("80.yml", GOOD.replace("- course: {code: A}", "- any_of: [{course: {code: A}}, {course: {cod: A2}}]"),
     "80.yml: classifications.0.application.1.any_of.rules.1.course.code: Field required"),
    ("80.yml", GOOD.replace("days: 30, window_days: 365", "days: 0, window_days: 365"),
     "80.yml: classifications.0.application.0.work_days.days: Input should be greater than 0"),
    ("80.yml", GOOD.replace('code: "80-GRIP"', 'code: "80 grip"'),
     "80.yml: classifications.0.code: String should match pattern"),
    ("80.yml", GOOD.replace('    local: "80"\n', '    local: "44"\n'),
     "80.yml: Value error, 80-GRIP names local '44' but the file is for '80'"),
    ("80.yml", GOOD.replace("version: 1", "version: [1"), "80.yml: not valid YAML"),
    ("80.yml", GOOD.replace("version: 1", "version: 1\nversion: 2"),
     "80.yml: not valid YAML: 'version' is given twice"),
    ("80.yml", "- just a list\n", "80.yml: expected a mapping"),
    ("80.yml", GOOD.replace("- course: {code: A}", "- course: {code: A}\n        document: {type: x}"),
     "80.yml: classifications.0.application.1: a requirement is one kind"),
    ("399.yml", GROUPED.replace('advances_to: "399-DRIVER-G2"', 'advances_to: "399-DRIVER-G9"'),
     "399.yml: classifications.0.advances_to: '399-DRIVER-G9' is not a classification of local 399 "
     "in this file (line 9)"),
    ("399.yml", GROUPED.replace("group: 2", "group: 4"),
     "399.yml: classifications.0.advances_to: '399-DRIVER-G2' is group 4, not a lower group"),
    ("399.yml", GROUPED.replace("      - time_in_group: {years: 2}\n", "      - time_in_group: {}\n"),
     "399.yml: classifications.0.ongoing.0.time_in_group: Value error, give the time in the group as a period"),
    ("399.yml", GROUPED.replace("    ongoing:\n      - time_in_group: {years: 2}\n", ""),
     "399.yml: classifications.0: Value error, advances_to needs a time_in_group rule in ongoing"),
    ("399.yml", GROUPED.replace('- code: "399-DRIVER-G2"', '- code: "399-DRIVER-G3"'),
     "399.yml: classifications.1.code: '399-DRIVER-G3' is already classification 0 of this file"),
])
def test_a_malformed_file_is_refused_naming_the_file_and_the_field(tmp_path, name, text, expected):
    assert expected in refused(tmp_path, name, text)


def test_a_classification_code_belongs_to_one_local_only(tmp_path):
    write(tmp_path / "catalog", "80.yml", GOOD)
    other = GOOD.replace('"80"', '"44"').replace("Local #80", "Local #44").replace(
        'code: "80-GRIP"', 'code: "80-GRIP"')
    message = refused(tmp_path, "44.yml", other)
    assert "80.yml: classifications.0.code: '80-GRIP' is already a classification of local 44 (44.yml)" in message


def test_also_counts_must_name_a_classification_of_the_catalog(tmp_path):
    text = GOOD.replace("days: 30, window_days: 365}", "days: 30, window_days: 365, also_counts: [80-NOBODY]}")
    assert ("80.yml: classifications.0.application.0.work_days.also_counts.0: '80-NOBODY' is not a "
            "classification in the catalog") in refused(tmp_path, "80.yml", text)


def test_every_bad_file_of_a_folder_is_reported_at_once(tmp_path):
    write(tmp_path / "catalog", "399.yml", GROUPED.replace("group: 2", "group: 4"))
    message = refused(tmp_path, "80.yml", GOOD.replace("- course: {code: A}", "- course: {}"))
    assert "399.yml: classifications.0.advances_to" in message
    assert "80.yml: classifications.0.application.1.course.code: Field required" in message


def test_an_empty_folder_is_refused(tmp_path):
    with pytest.raises(CatalogError, match="no catalog files"):
        load_catalog_files(tmp_path)


# --- the database --------------------------------------------------------------------------------

def test_sync_is_idempotent_and_the_database_gives_back_the_same_catalog(shipped, catalog):
    sessions = memory_sessions("rosters")
    with sessions() as session:
        assert sync_catalog_to_db(session, shipped) == len(shipped)
        session.commit()
    with sessions() as session:
        assert sync_catalog_to_db(session, shipped) == 0
        assert sync_catalog_to_db(session, load_catalog_files()) == 0
        session.commit()
        rows = session.scalars(sa.select(CatalogVersion)).all()
        assert len(rows) == len(shipped)
        grip_row = next(r for r in rows if r.local == "80")
        assert (grip_row.version, grip_row.effective_on, grip_row.source) == (2, D(2024, 1, 1), "80.yml")
        assert grip_row.loaded_at.tzinfo is not None
        stored = catalog_from_db(session)
    assert stored.all(TODAY) == catalog.all(TODAY)
    assert stored.locals() == catalog.locals()
    assert stored.classification("399-DRIVER-G3", TODAY) == catalog.classification("399-DRIVER-G3", TODAY)


def test_sync_adds_a_new_version_and_refuses_a_changed_one(shipped):
    sessions = memory_sessions("rosters")
    with sessions() as session:
        sync_catalog_to_db(session, shipped)
        session.commit()
        v3 = grip_file(3, D(2026, 1, 1), 40)
        assert sync_catalog_to_db(session, [("80.v3.yml", v3)]) == 1
        session.commit()
        stored = catalog_from_db(session)
        assert stored.classification("80-GRIP", D(2025, 12, 31)).application[0] == WorkDays(days=30, window_days=365)
        assert stored.classification("80-GRIP", D(2026, 1, 1)).application[0] == WorkDays(days=40, window_days=365)
        with pytest.raises(CatalogError, match="80.v3b.yml: version 3 of local 80 is already loaded"):
            sync_catalog_to_db(session, [("80.v3b.yml", grip_file(3, D(2026, 1, 1), 45))])
        with pytest.raises(CatalogError, match="before version 3"):
            sync_catalog_to_db(session, [("80.v4.yml", grip_file(4, D(2025, 1, 1), 45))])
        assert session.scalar(sa.select(sa.func.count(CatalogVersion.id))) == len(shipped) + 1


# --- the data works with the engine ----------------------------------------------------------------

def grip_days(start: date, count: int):
    return tuple(WorkDay(on=start + timedelta(days=i), classification="80-GRIP") for i in range(count))


def test_the_shipped_80_grip_places_a_new_grip_and_explains_what_is_missing(catalog):
    grip = catalog.classification("80-GRIP", D(2025, 3, 1))
    record = Record("80-GRIP", applied_on=D(2025, 1, 2))
    training = (Completion("A", D(2025, 1, 20)), Completion("HP1", D(2025, 1, 21)), Completion("C19", D(2025, 1, 22)))

    almost = evaluate(record, grip, Facts(work_days=grip_days(D(2025, 1, 6), 22), completions=training,
                                          answers={"supervisor": False}), D(2025, 2, 1))
    assert almost.status == "in_progress_training_eligible" and almost.placed_on is None
    work = next(r for r in almost.rows if r.kind == "work_days")
    assert work.detail == "22 of 30 days in the last year; 8 more needed" and work.state == "unmet"
    assert {r.state for r in almost.rows if r.kind != "work_days"} == {"met"}

    placed = evaluate(record, grip, Facts(work_days=grip_days(D(2025, 1, 6), 30), completions=training,
                                          answers={"supervisor": False}), D(2025, 3, 1))
    assert placed.placed_on == D(2025, 2, 4)
    assert placed.status == "compliant" and placed.label == "Compliant"
    assert [(r.kind, r.state) for r in placed.rows] == [("questionnaire", "met")]


def test_the_shipped_839_lists_a_supervisor_with_hp2_and_lapses_two_years_later(catalog):
    animation = catalog.classification("839-ANIMATION", D(2025, 1, 1))
    record = Record("839-ANIMATION", applied_on=D(2025, 1, 1))
    facts = Facts(completions=(Completion("HP2", D(2025, 1, 10)),), answers={"supervisor": True})
    listed = evaluate(record, animation, facts, D(2025, 2, 1))
    assert listed.placed_on == D(2025, 1, 10) and listed.status == "compliant"
    assert evaluate(record, animation, facts, D(2026, 12, 15)).status == "approaching_deadline"
    assert evaluate(record, animation, facts, D(2027, 1, 10)).status == "not_compliant"


def test_the_shipped_399_driver_g3_has_an_anticipated_advancement_date_two_years_on(catalog):
    from rosters.engine.facts import ApprovedDocument

    driver = catalog.classification("399-DRIVER-G3", D(2024, 1, 1))
    record = Record("399-DRIVER-G3", applied_on=D(2024, 1, 2))
    facts = Facts(
        work_days=tuple(WorkDay(on=D(2024, 1, 3) + timedelta(days=i), classification="399-DRIVER-G3")
                        for i in range(30)),
        documents=(ApprovedDocument("cdl_class_b", D(2024, 1, 2)),
                   ApprovedDocument("dot_medical_certificate", D(2024, 1, 2), D(2027, 1, 1))),
        completions=(Completion("A", D(2024, 1, 5)), Completion("HP1", D(2024, 1, 5)),
                     Completion("C19", D(2024, 1, 5)), Completion("B", D(2024, 3, 1)),
                     Completion("D1", D(2024, 3, 1))),
        answers={"supervisor": False})
    evaluation = evaluate(record, driver, facts, D(2024, 6, 1))
    assert evaluation.placed_on == D(2024, 2, 1)
    assert evaluation.status == "compliant"
    assert evaluation.anticipated_advancement_on == D(2026, 2, 1)
    assert evaluation.advances_to == "399-DRIVER-G2"


def test_an_unquoted_local_code_is_read_as_text(tmp_path):
    (tmp_path / "80.yml").write_text(GOOD.replace('    local: "80"\n', '    local: 80\n'))
    [(_, catalog_file)] = load_catalog_files(tmp_path)
    assert catalog_file.classifications[0].local == "80"


def test_staff_publish_a_new_version_that_applies_from_its_date_and_a_reused_number_is_refused():
    from rosters.rulebook import current_catalog, publish_version

    from common.errors import ValidationFailed

    with memory_sessions("rosters")() as session:
        sync_catalog_to_db(session, load_catalog_files())
        session.commit()
        newer = (CATALOG_DIR / "80.yml").read_text().replace("version: 2", "version: 3").replace(
            "effective: 2024-01-01", "effective: 2030-01-01").replace(
            "{days: 30, window: {days: 365}}", "{days: 40, window: {days: 365}}", 1)
        published = publish_version(session, newer, None)
        session.commit()
        assert published["version"] == 3 and published["effective"] == "2030-01-01"
        catalog = current_catalog(session)
        assert catalog.classification("80-GRIP", date(2029, 12, 31)).application[0].days == 30
        assert catalog.classification("80-GRIP", date(2030, 1, 1)).application[0].days == 40
        with pytest.raises(ValidationFailed) as error:
            publish_version(session, newer, None)
        assert "exists already" in error.value.message
        with pytest.raises(ValidationFailed) as error:
            publish_version(session, newer.replace("version: 3", "version: 4").replace("days: 40", "days: 0"), None)
        assert "greater than 0" in error.value.message


# --- calendar periods and the warning window ---------------------------------------------------------

def test_the_shipped_catalog_speaks_in_years_where_the_contracts_do(catalog):
    from rosters.engine.requirements import label_of

    camera = catalog.classification("600-CAMERA-OPERATOR", TODAY)
    either = next(r for r in camera.application if isinstance(r, AnyOf))
    assert label_of(either) == ("100 verified work days in the last 3 years or "
                                "30 verified union work days in the last year")
    grip = catalog.classification("80-GRIP", TODAY)
    assert label_of(grip.application[0]) == "30 verified work days in the last year"
    driver = catalog.classification("399-DRIVER-G3", TODAY)
    assert label_of(next(r for r in driver.ongoing if isinstance(r, TimeInGroup))) == "2 Years Active, Upgrade"


def test_the_shipped_harassment_prevention_refresher_lapses_on_the_same_date_two_years_later(catalog):
    grip = catalog.classification("80-GRIP", TODAY)
    record = Record("80-GRIP", applied_on=D(2023, 5, 1), placed_on=D(2023, 6, 2))
    facts = Facts(completions=(Completion("HP1", D(2023, 6, 2)),), answers={"supervisor": False})
    assert evaluate(record, grip, facts, D(2025, 6, 1)).status == "approaching_deadline"
    assert evaluate(record, grip, facts, D(2025, 6, 2)).status == "not_compliant"


def test_a_files_warning_window_is_the_default_of_its_classifications_and_each_may_set_its_own():
    text = GOOD.replace("local: {code:", "warning: {days: 45}\nlocal: {code:", 1)
    text = text.replace("classifications:\n", "classifications:\n  - code: \"80-DOLLY\"\n    name: \"IATSE, "
                        "Local #80 (Dolly)\"\n    local: \"80\"\n    warning: {days: 14}\n", 1)
    catalog_file = parse_catalog_text(text, "80.yml")
    warnings = {c.code: c.warning for c in catalog_file.classifications}
    assert warnings == {"80-DOLLY": Period(days=14), "80-GRIP": Period(days=45)}
    assert parse_catalog_text(GOOD, "80.yml").classifications[0].warning == Period(days=30)
    assert CatalogFile.model_validate_json(catalog_file.model_dump_json()) == catalog_file


def test_a_database_that_loaded_the_integer_form_accepts_the_same_rules_in_calendar_form():
    sessions = memory_sessions("rosters")
    with sessions() as session:
        assert sync_catalog_to_db(session, [("80.yml", parse_catalog_text(GOOD, "80.yml"))]) == 1
        session.commit()
        # the stored row says window_days, as rows stored before periods did
        row = session.scalars(sa.select(CatalogVersion)).one()
        row.document = row.document.replace('"window":{"years":0,"months":0,"days":365}', '"window_days":365')
        assert '"window_days":365' in row.document
        session.commit()
        calendar_form = GOOD.replace("window_days: 365", "window: {days: 365}").replace(
            "refresher_days: 730", "refresher: {days: 730}")
        assert sync_catalog_to_db(session, [("80.yml", parse_catalog_text(calendar_form, "80.yml"))]) == 0
        # and the shipped version 2 replaces version 1 from the same date
        assert sync_catalog_to_db(session, [f for f in load_catalog_files() if f[1].local.code == "80"]) == 1
        grip = catalog_from_db(session).classification("80-GRIP", D(2024, 1, 1))
        assert Questionnaire(**HP, refresher=TWO_YEARS) in grip.ongoing
