"""How fast the pure engine re-evaluates classification records (the sweep's core), on typical
synthetic histories: 20,000 records, each its own person with a year of work days, a few courses
and documents (each history evaluated once, as in a sweep: what the engine works out from a
person's facts is kept only with those facts). Timed the way the sweep runs the engine, the
collector waiting until the batch is done (rosters.sweep.engine_pace). bench/sweep_at_scale.py
measures the engine on the generated 60,000 people, and the sweep around it."""
import random
import time
from datetime import date, timedelta

from rosters.engine.evaluate import evaluate
from rosters.engine.facts import ApprovedDocument, Completion, Facts, Record, WorkDay
from rosters.engine.rules import AnyOf, Classification, Document, Questionnaire, TimeInGroup, WorkDays

from bench.table import Figure, render

RECORDS = 20_000
AS_OF = date(2026, 11, 22)

DRIVER = Classification(
    code="399-DRIVER-G3", name="Teamsters, Local #399 (Driver Group 3)", local="399", group=3,
    advances_to="399-DRIVER-G2",
    application=(WorkDays(days=30, window={"days": 365}), Document(type="dot_medical_certificate"),
                 AnyOf(rules=(Document(type="cdl_class_a"), Document(type="cdl_class_b")))),
    ongoing=(Document(type="dot_medical_certificate"),
             AnyOf(rules=(Document(type="cdl_class_a"), Document(type="cdl_class_b"))),
             Questionnaire(question="supervisor", if_yes="HP2", if_no="HP1", refresher={"years": 2}),
             TimeInGroup(years=2)))


def history(rng: random.Random) -> tuple[Record, Facts]:
    start = AS_OF - timedelta(days=rng.randint(40, 1500))
    work = tuple(WorkDay(start + timedelta(days=rng.randint(0, 400)), "399-DRIVER-G3") for _ in range(60))
    medical_end = start + timedelta(days=rng.randint(200, 900))
    documents = (ApprovedDocument("cdl_class_a", start - timedelta(days=10), AS_OF + timedelta(days=900)),
                 ApprovedDocument("dot_medical_certificate", start - timedelta(days=5), medical_end),
                 ApprovedDocument("dot_medical_certificate", medical_end + timedelta(days=rng.randint(1, 30)),
                                  medical_end + timedelta(days=730)))
    completions = (Completion("HP1", start + timedelta(days=3)), Completion("HP1", start + timedelta(days=700)))
    return Record("399-DRIVER-G3", applied_on=start), Facts(work, completions, documents, {"supervisor": False})


def measure() -> tuple[float, dict]:
    from rosters.sweep import engine_pace

    rng = random.Random(7)
    samples = []
    for record, facts in (history(rng) for _ in range(RECORDS)):
        # as in the database: a record keeps the placement date found when it was placed
        placed = evaluate(record, DRIVER, Facts(facts.work_days, facts.completions, facts.documents,
                                                facts.answers), AS_OF).placed_on
        samples.append((Record(record.classification, record.applied_on, placed_on=placed), facts))
    statuses: dict = {}
    started = time.perf_counter()
    with engine_pace():
        for record, facts in samples:
            status = evaluate(record, DRIVER, facts, AS_OF).status
            statuses[status] = statuses.get(status, 0) + 1
    return RECORDS / (time.perf_counter() - started), statuses


def figures(context: dict | None = None) -> list[Figure]:
    rate, statuses = measure()
    return [Figure(name="the rules engine alone, synthetic driver histories (one core)", value=rate,
                   unit="records/s", note=f"{RECORDS:,} records, each evaluated once; statuses {statuses}")]


def run() -> None:
    print(render(figures()))


if __name__ == "__main__":
    run()
