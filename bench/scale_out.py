"""Scale-out proof (issue 12): the rosters service, the real nameko process
(`python -m hubstack.launch rosters`), on a scratch copy of the generated rosters database, first
as ONE instance and then as TWO competing for the same RPC queue and the same outbox, with no
state of their own. Each run takes the same payroll storm (batches sent over RPC all at once,
with cross-batch repeats, in-batch repeats and held SSNs) while a staff sweep runs; then every
record is checked to have been processed exactly once (days stored once, each batch counted
once, each outbox event relayed once, no status change published twice), and the speed-up is
printed.

To keep a run within minutes, the sweep covers a sample: on the prepared copy every open record
of a person outside the sample is closed first (a full sweep of 88,000 records is the engine's
benchmark, bench.engine_sweep). Each run gets its own copy of the prepared database and its own
RabbitMQ vhost, so the other Hubs on this machine neither see nor serve these calls."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa
from kombu import Connection, Queue

from bench.scratch import connect, default_context, scratch_copy
from bench.table import Figure, render

ROOT = Path(__file__).resolve().parent.parent
STORM = {"batches": 20, "people": 250, "days": 19, "repeated": 100, "held_ssns": 50, "shared": 100}
QUICK_STORM = {"batches": 6, "people": 100, "days": 15, "repeated": 40, "held_ssns": 20, "shared": 40}
SWEPT_EXTRA = 5_000        # people besides the storm's whose open records the sweep re-evaluates
QUICK_SWEPT_EXTRA = 1_000
EMPLOYER = "Scale-out Storm Studios"
RETRIES = 3                # a payroll client sends a failed batch again (dedupe makes that safe)
START_TIMEOUT = 180
RPC_TIMEOUT = 600


# --- the storm ---------------------------------------------------------------------------------

def storm_batches(session, identities, today: date, shape: dict) -> tuple[list[list[dict]], list]:
    """The batches (each for its own people, plus `shared` records of the previous batch's
    people, `repeated` in-batch repeats and two days for each of `held_ssns` unknown SSNs) and
    the people named."""
    from rosters.models import ClassificationRecord, Person

    from common.identity import ssn_index

    wanted = shape["batches"] * shape["people"]
    ssn_of = {ssn_index(identities.ssn(i)): identities.ssn(i) for i in range(wanted * 2)}
    found = session.execute(sa.select(Person.ssn_index, Person.person_id, Person.last_name)
                            .where(Person.ssn_index.in_(list(ssn_of)))).all()
    codes: dict = {}
    for person_id, code in session.execute(
            sa.select(ClassificationRecord.person_id, ClassificationRecord.classification_code)
            .where(ClassificationRecord.person_id.in_([p for _, p, _ in found]),
                   ClassificationRecord.closed_on.is_(None)).order_by(ClassificationRecord.applied_on)):
        codes.setdefault(person_id, code)
    people = [(ssn_of[index], pid, last, codes[pid]) for index, pid, last in found if pid in codes][:wanted]
    if len(people) < wanted:
        raise RuntimeError(f"only {len(people)} people with open records among the first {wanted * 2}")

    def day(person, n: int) -> dict:
        ssn, _, last, code = person
        return {"ssn": ssn, "last_name": last, "first_name": "Storm", "employer": EMPLOYER, "production": "Scale Out",
                "classification_code": code, "hours": 10, "work_date": (today - timedelta(days=1 + n)).isoformat()}

    batches = []
    for b in range(shape["batches"]):
        own = people[b * shape["people"]:(b + 1) * shape["people"]]
        records = [day(person, n) for n in range(shape["days"]) for person in own]
        before = people[((b - 1) % shape["batches"]) * shape["people"]:][:shape["people"]]
        records += [day(before[n % len(before)], n // len(before)) for n in range(shape["shared"])]
        records += [{**r, "employer": EMPLOYER.upper()} for r in records[:shape["repeated"]]]
        for h in range(shape["held_ssns"]):
            ssn = identities.ssn(20 * 60_000 + b * 1_000 + h)
            records += [{**day(own[0], n), "ssn": ssn, "last_name": "Not-Yet-Known"} for n in range(2)]
        batches.append(records)
    return batches, [pid for _, pid, _, _ in people]


def unique_days(batches: list[list[dict]]) -> int:
    from common.identity import normalise_ssn

    return len({(normalise_ssn(r["ssn"]), r["work_date"], r["employer"].casefold(), r["classification_code"])
                for records in batches for r in records})


# --- the prepared database ---------------------------------------------------------------------

def prepare(url: str, keep: list, today: date) -> int:
    """Close every open record of anyone not in `keep`, and mark today's daily sweep done (else
    each instance would start one over everybody). Returns the open records left."""
    from common.migrations import upgrade_to_head

    upgrade_to_head("rosters", url)
    connection = connect(url)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute("CREATE TEMPORARY TABLE kept (person_id uuid PRIMARY KEY)")
            cursor.execute("INSERT INTO kept SELECT unnest(%s::uuid[])", ([str(p) for p in keep],))
            cursor.execute("UPDATE classification_records SET closed_on = %s, closed_reason = 'bench: not sampled' "
                           "WHERE closed_on IS NULL AND person_id NOT IN (SELECT person_id FROM kept)", (today,))
            cursor.execute("INSERT INTO sweep_runs (day, started_at, finished_at, summary) "
                           "VALUES (%s, now(), now(), %s) ON CONFLICT (day) DO NOTHING",
                           (today, '{"marked done by": "bench.scale_out"}'))
            cursor.execute("SELECT count(*) FROM classification_records WHERE closed_on IS NULL")
            return cursor.fetchone()[0]
    finally:
        connection.close()


# --- the instances -----------------------------------------------------------------------------

class Instances:
    """`count` rosters processes on `db_url` behind `amqp_uri`, started as `make run` starts one."""

    def __init__(self, count: int, db_url: str, amqp_uri: str, log_dir: Path):
        self.count, self.db_url, self.amqp_uri, self.log_dir = count, db_url, amqp_uri, log_dir
        self.processes: list[subprocess.Popen] = []

    def start(self) -> None:
        env = {**os.environ, "HUB_DEV_DEFAULTS": "1", "AMQP_URI": self.amqp_uri, "ROSTERS_AMQP_URI": "",
               "ROSTERS_DB_URL": self.db_url, "HUB_DATA_DIR": str(self.log_dir), "PYTHONUNBUFFERED": "1"}
        for n in range(self.count):
            log = open(self.log_dir / f"rosters-{n + 1}.log", "w")
            self.processes.append(subprocess.Popen([sys.executable, "-m", "hubstack.launch", "rosters"], cwd=ROOT,
                                                   env=env, stdout=log, stderr=subprocess.STDOUT,
                                                   start_new_session=True))
            log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while self.consumers() < self.count:
            for process in self.processes:
                if process.poll() is not None:
                    raise RuntimeError(f"a rosters instance exited with {process.returncode}; see {self.log_dir}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.count} rosters instances did not start in {START_TIMEOUT}s")
            time.sleep(0.5)

    def consumers(self) -> int:
        try:
            with Connection(self.amqp_uri, connect_timeout=5) as connection:
                return connection.channel().queue_declare("rpc-rosters", passive=True)[2]
        except Exception:  # noqa: BLE001 - not declared yet
            return 0

    def cpu_seconds(self) -> list[float]:
        """CPU time each instance has used (user + system), from /proc: that both worked."""
        tick = os.sysconf("SC_CLK_TCK")
        seconds = []
        for process in self.processes:
            try:
                fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
                seconds.append((int(fields[11]) + int(fields[12])) / tick)
            except (OSError, IndexError, ValueError):
                seconds.append(float("nan"))
        return seconds

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


# --- one run -----------------------------------------------------------------------------------

def send_all(amqp_uri: str, batches: list[list[dict]], today: date) -> dict:
    """The storm's batches and a staff sweep, all sent at once over RPC; a batch that fails is
    sent again (up to RETRIES times). Returns the reports, the sweep's tally, retries, seconds."""
    from nameko.standalone.rpc import ClusterRpcProxy

    payroll = {"account_id": None, "roles": ["payroll_client"]}
    staff = {"account_id": str(uuid.uuid4()), "roles": ["staff_admin"]}
    client = str(uuid.uuid4())
    reports: dict[int, dict] = {}
    failures: list[str] = []
    with ClusterRpcProxy({"AMQP_URI": amqp_uri, "serializer": "json"}, timeout=RPC_TIMEOUT) as rpc:
        started = time.perf_counter()
        sweep = rpc.rosters.run_sweep.call_async(today.isoformat(), staff)
        waiting = {n: rpc.rosters.ingest_payroll.call_async(records, client, payroll)
                   for n, records in enumerate(batches)}
        attempts = Counter()
        while waiting:
            n, reply = next(iter(waiting.items()))
            del waiting[n]
            try:
                reports[n] = reply.result()
            except Exception as exc:  # noqa: BLE001 - a deadlock victim, a timeout: sent again
                attempts[n] += 1
                failures.append(f"batch {n}: {type(exc).__name__}: {str(exc)[:160]}")
                if attempts[n] > RETRIES:
                    raise
                waiting[n] = rpc.rosters.ingest_payroll.call_async(batches[n], client, payroll)
        storm_seconds = time.perf_counter() - started
        tally = sweep.result()
        seconds = time.perf_counter() - started
    return {"reports": reports, "sweep": tally, "failures": failures, "seconds": seconds,
            "storm_seconds": storm_seconds}


def wait_relayed(url: str, timeout: float = 300) -> float:
    """Seconds until the instances' relays have sent every outbox row."""
    started = time.perf_counter()
    connection = connect(url, autocommit=True)
    try:
        with connection.cursor() as cursor:
            while True:
                cursor.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
                if cursor.fetchone()[0] == 0:
                    return time.perf_counter() - started
                if time.perf_counter() - started > timeout:
                    raise RuntimeError("the outbox was not relayed in time")
                time.sleep(0.25)
    finally:
        connection.close()


def check_exactly_once(url: str, amqp_uri: str, tap: str, result: dict, expected_days: int, today: date) -> dict:
    """Every record processed exactly once; raises AssertionError naming what is not."""
    reports = result["reports"].values()
    stored_by_reports = sum(r["accepted"] + r["held"] for r in reports)
    connection = connect(url, autocommit=True)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*), count(DISTINCT dedupe_key) FROM work_days WHERE lower(employer) = %s",
                           (EMPLOYER.casefold(),))
            stored, distinct = cursor.fetchone()
            cursor.execute("SELECT count(*), count(DISTINCT event_id), count(*) FILTER (WHERE sent_at IS NULL), "
                           "count(*) FILTER (WHERE attempts <> 1) FROM outbox")
            events, distinct_events, pending, resent = cursor.fetchone()
            cursor.execute("SELECT coalesce(sum((payload::json->>'days')::int), 0) FROM outbox "
                           "WHERE event_type = 'work_days_recorded'")
            recorded_days = cursor.fetchone()[0]
            cursor.execute("SELECT count(*) FROM (SELECT 1 FROM outbox WHERE event_type = 'status_changed' GROUP BY "
                           "payload::json->>'person_id', payload::json->>'classification_code', "
                           "payload::json->>'old_status', payload::json->>'new_status', payload::json->>'as_of' "
                           "HAVING count(*) > 1) twice")
            repeated_statuses = cursor.fetchone()[0]
            cursor.execute("SELECT count(*) FROM outbox WHERE event_type = 'status_changed' "
                           "AND payload::json->>'as_of' <> %s", (today.isoformat(),))
            other_day = cursor.fetchone()[0]
    finally:
        connection.close()
    with Connection(amqp_uri) as broker:
        delivered = broker.channel().queue_declare(tap, passive=True)[1]
    accepted = sum(r["accepted"] for r in reports)
    facts = {"days stored": stored, "distinct days": distinct, "days expected": expected_days,
             "accepted + held in the reports": stored_by_reports, "days in work_days_recorded events": recorded_days,
             "accepted in the reports": accepted, "outbox events": events, "distinct event ids": distinct_events,
             "pending": pending, "relayed more than once": resent, "messages on the tap queue": delivered,
             "status changes published twice": repeated_statuses, "status changes as of another day": other_day}
    problems = [name for name, ok in (
        ("days stored", stored == distinct == expected_days == stored_by_reports),
        ("days recorded in events", recorded_days == accepted),
        ("events", events == distinct_events == delivered and pending == 0 and resent == 0),
        ("statuses", repeated_statuses == 0 and other_day == 0)) if not ok]
    assert not problems, f"not exactly once: {problems}: {facts}"
    return facts


def one_run(count: int, template_url: str, batches, expected_days: int, today: date, log_root: Path) -> dict:
    from bench.stack_at_scale import RabbitVhost
    from common import config as hub_config
    from common.topology import declare_topology, event_exchange

    base_uri = hub_config.amqp_uri()
    vhost = RabbitVhost(base_uri)
    name = f"hub_scale_out_{count}_{uuid.uuid4().hex[:6]}"
    amqp_uri = vhost.create(name)
    if amqp_uri is None:
        raise RuntimeError("the RabbitMQ management API is needed for a private vhost (port 15672)")
    log_dir = log_root / f"{count}-instance{'s' if count > 1 else ''}"
    log_dir.mkdir(parents=True, exist_ok=True)
    try:
        with scratch_copy(template_url, f"scaleout{count}") as url:
            declare_topology(amqp_uri)  # every service's queues: the events go where they would
            tap = f"bench-scale-out-tap-{uuid.uuid4().hex[:6]}"
            with Connection(amqp_uri) as broker:
                queue = Queue(tap, exchange=event_exchange("rosters"), routing_key="#", durable=True)
                queue(broker.channel()).declare()
            instances = Instances(count, url, amqp_uri, log_dir)
            try:
                instances.start()
                idle = instances.cpu_seconds()
                result = send_all(amqp_uri, batches, today)
                result["relay_seconds"] = wait_relayed(url)
                result["cpu_seconds"] = [after - before for before, after in zip(idle, instances.cpu_seconds(),
                                                                                   strict=True)]
                time.sleep(1)  # the last confirms' rows are marked; let the broker settle the queue count
                result["facts"] = check_exactly_once(url, amqp_uri, tap, result, expected_days, today)
            finally:
                instances.stop()
    finally:
        vhost.delete()
    return result


def measure(context: dict) -> dict:
    from rosters.models import Base

    from bench.data.people import Identities
    from common.clock import today as hub_today
    from common.db import create_engine_for, make_session_factory

    manifest, quick = context["manifest"], context.get("quick", False)
    shape = QUICK_STORM if quick else STORM
    extra = QUICK_SWEPT_EXTRA if quick else SWEPT_EXTRA
    today = hub_today()  # what the service's payroll RPC uses; the sweep is asked for the same day
    log_root = Path(tempfile.mkdtemp(prefix="bench-scale-out-"))
    with scratch_copy(manifest["databases"]["rosters"], "scaleoutprep") as prepared:
        engine = create_engine_for(prepared)
        with make_session_factory(engine, Base)() as session:
            batches, people = storm_batches(session, Identities(manifest["seed"]), today, shape)
            others = session.scalars(sa.text(
                "SELECT DISTINCT person_id FROM classification_records WHERE closed_on IS NULL "
                "AND person_id <> ALL(CAST(:storm AS uuid[])) ORDER BY person_id LIMIT :n"),
                {"storm": [str(p) for p in people], "n": extra}).all()
        engine.dispose()
        open_records = prepare(prepared, people + list(others), today)
        runs = {count: one_run(count, prepared, batches, unique_days(batches), today, log_root) for count in (1, 2)}
    return {"runs": runs, "shape": shape, "records": sum(len(b) for b in batches), "unique": unique_days(batches),
            "open_records": open_records, "swept_people": len(people) + len(others), "logs": str(log_root)}


def figures(context: dict) -> list[Figure]:
    out = measure(context)
    one, two = out["runs"][1], out["runs"][2]
    speedup = one["seconds"] / two["seconds"]
    note = (f"{out['shape']['batches']} batches, {out['records']:,} records ({out['unique']:,} distinct days) sent "
            f"at once over RPC while a staff sweep re-evaluates {out['open_records']:,} open records "
            f"({out['swept_people']:,} people); one instance {one['seconds']:.1f} s (last batch answered at "
            f"{one['storm_seconds']:.1f} s), two {two['seconds']:.1f} s ({two['storm_seconds']:.1f} s); CPU "
            f"of each instance: {' / '.join(f'{c:.0f} s' for c in one['cpu_seconds'] + two['cpu_seconds'])} "
            f"(outbox drained {one['relay_seconds']:.1f} s / {two['relay_seconds']:.1f} s after). "
            f"Exactly once in both: "
            f"{two['facts']['days stored']:,} days stored once, {two['facts']['outbox events']:,} events each relayed "
            f"once, no status change published twice. Batches sent again after an error: "
            f"{len(one['failures'])} / {len(two['failures'])}"
            + (f" ({'; '.join((one['failures'] + two['failures'])[:2])})" if one["failures"] or two["failures"] else "")
            + f". Two cores are shared by both instances, PostgreSQL and RabbitMQ. Logs: {out['logs']}")
    return [Figure(name="scale-out: payroll storm + sweep, two rosters instances vs one (PostgreSQL)",
                   value=speedup, unit="×", baseline=1.0, baseline_name="one instance",
                   goal="both exactly once; speed-up printed", met=True, note=note,
                   extra={"one": {k: v for k, v in one.items() if k != "reports"},
                          "two": {k: v for k, v in two.items() if k != "reports"}})]


def run(quick: bool = False) -> None:
    print(render(figures(default_context(quick))))


if __name__ == "__main__":
    run("--quick" in sys.argv)
