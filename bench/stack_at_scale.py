"""The whole Hub at production size, for the benchmarks that go through the gateway (issue 12).

`ScaledHub` copies the `make bench-data` databases (hub_bench_<service>, or another prefix's)
into scratch databases with `CREATE DATABASE … TEMPLATE`, makes a throwaway RabbitMQ vhost,
and starts the five services and the gateway the way `make run` does (hubstack.stack.Stack),
pointed at the copies: the originals are never written, and nothing is shared with another
Hub running on this machine. `stop()` stops the processes, deletes the vhost and drops the
copies. The benchmarks share one through their `figures(context)`'s `context["stack"]`
(`started_hub`), or start their own when run alone.

    with ScaledHub(load_manifest()) as hub:
        requests.post(hub.api("/roster/search"), json={"last_name": "smi"})
"""
from __future__ import annotations

import json
import math
import os
import queue
import random
import string
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlparse

import psycopg2
import requests
import sqlalchemy as sa

from common import config as hub_config
from common.config import SERVICES

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "bench" / "data" / "last_run.json"
DEFAULT_SERVER = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
LOG_DIR = ROOT / "test-artifacts" / "bench-stack-logs"

# Everything comes from 127.0.0.1 here: the per-address limits would turn a load test into a
# test of the limiter (the limits themselves are tested in tests/unit).
BENCH_ENV = {
    "HUB_DEV_DEFAULTS": "1",
    "HUB_RATELIMIT_SEARCH": "1000000 per minute",
    "HUB_RATELIMIT_LOGIN": "1000000 per minute",
    "HUB_RATELIMIT_CREATE_ACCOUNT": "1000000 per hour",
    "HUB_RATELIMIT_CONTACT": "1000000 per hour",
    "HUB_LOGIN_MAX_FAILURES_PER_ADDRESS": "1000000",
}


def load_manifest(path: Path | str | None = None) -> dict:
    path = Path(path or MANIFEST)
    if not path.exists():
        raise SystemExit(f"{path} is missing: run `make bench-data` first (it writes the data set and this file)")
    return json.loads(path.read_text())


def server_url() -> str:
    return hub_config.setting("HUB_BENCH_PG", DEFAULT_SERVER)


def connect_admin(url: str):
    args = sa.engine.make_url(url).translate_connect_args(username="user", database="dbname")
    connection = psycopg2.connect(**args)
    connection.autocommit = True
    return connection


def _url_with_database(url: str, name: str) -> str:
    return sa.engine.make_url(url).set(database=name).render_as_string(hide_password=False)


def copy_database(admin, template: str, name: str, timeout: float = 180) -> float:
    """CREATE DATABASE name TEMPLATE template, waiting while someone else is connected to the
    template (PostgreSQL refuses the copy then). FILE_COPY: one checkpoint, then a file copy,
    far faster than the default WAL_LOG strategy for a database of gigabytes."""
    started = time.monotonic()
    while True:
        try:
            with admin.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
            return time.monotonic() - started
        except psycopg2.errors.ObjectInUse:
            if time.monotonic() - started > timeout:
                raise RuntimeError(f"{template} stayed in use by another connection for {timeout:.0f}s: "
                                   "close it (psql, a benchmark reading it) and try again") from None
            time.sleep(1 + random.random())


def drop_database(admin, name: str) -> None:
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class RabbitVhost:
    """A throwaway vhost through the management API (the tests' rabbit_manager does the same);
    None when the management plugin cannot be reached: the Hub then shares the URI's vhost."""

    def __init__(self, amqp_uri: str):
        parsed = urlparse(amqp_uri)
        self.user = parsed.username or "guest"
        self.password = parsed.password or "guest"
        self.host = parsed.hostname or "127.0.0.1"
        self.api = f"http://{self.host}:15672/api"
        self.scheme_netloc = f"{parsed.scheme}://{parsed.netloc}"
        self.name: str | None = None

    def create(self, name: str) -> str | None:
        auth = (self.user, self.password)
        try:
            requests.put(f"{self.api}/vhosts/{quote(name, safe='')}", auth=auth, timeout=10).raise_for_status()
            requests.put(f"{self.api}/permissions/{quote(name, safe='')}/{quote(self.user, safe='')}", auth=auth,
                         json={"configure": ".*", "write": ".*", "read": ".*"}, timeout=10).raise_for_status()
        except requests.RequestException:
            return None
        self.name = name
        return f"{self.scheme_netloc}/{quote(name, safe='')}"

    def delete(self) -> None:
        if self.name is None:
            return
        try:
            requests.delete(f"{self.api}/vhosts/{quote(self.name, safe='')}", auth=(self.user, self.password),
                            timeout=30)
        except requests.RequestException:
            pass
        self.name = None


# The once-a-day jobs each service runs when it starts and finds the day not done (the rosters
# sweep re-evaluates every record: minutes of work at 60,000 people). A benchmark of reads or of
# ordinary traffic marks them done, as they would be on any day after the first hour.
DAILY_JOBS = {"rosters": "sweep_runs", "documents": "expiry_sweep_runs", "training": "completion_sweep_runs",
              "notifications": "digest_runs"}


def mark_daily_jobs_done(urls: dict[str, str], day) -> None:
    for service, table in DAILY_JOBS.items():
        args = sa.engine.make_url(urls[service]).translate_connect_args(username="user", database="dbname")
        connection = psycopg2.connect(**args)
        try:
            with connection, connection.cursor() as cursor:
                cursor.execute(f'INSERT INTO "{table}" (day, started_at, finished_at, summary) '
                               "VALUES (%s, now(), now(), %s) ON CONFLICT (day) DO NOTHING",
                               (day, '{"marked done by": "bench.stack_at_scale"}'))
        finally:
            connection.close()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ScaledHub:
    """The Hub on scratch copies of a generated data set (see the module docstring)."""

    def __init__(self, manifest: dict, *, label: str = "scale", env: dict | None = None, echo: bool = False,
                 log_dir: Path | None = LOG_DIR, start_timeout: float = 240, daily_jobs_done: bool = True):
        self.manifest = manifest
        suffix = "".join(random.choice(string.ascii_lowercase) for _ in range(6))
        self.prefix = f"hub_{label}_{suffix}"
        self.templates = {s: sa.engine.make_url(url).database for s, url in manifest["databases"].items()}
        self.server = server_url()
        self.db_urls = {s: _url_with_database(self.server, f"{self.prefix}_{s}") for s in SERVICES}
        self.extra_env = dict(env or {})
        self.echo = echo
        self.log_dir = log_dir
        self.start_timeout = start_timeout
        self.daily_jobs_done = daily_jobs_done
        self.stack = None
        self.vhost: RabbitVhost | None = None
        self.timings: dict[str, float] = {}
        self._made: list[str] = []
        self._data_dir: tempfile.TemporaryDirectory | None = None

    # --- where it is -------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self.stack.url

    def api(self, path: str) -> str:
        return f"{self.url}/api/v1{path}"

    def pids(self) -> dict[str, int]:
        """The process id of each service and of the gateway (the launched process itself runs
        the service: hubstack.launch does not fork)."""
        return {name: process.pid for name, process in self.stack.processes.items() if process.poll() is None}

    def connect(self, service: str):
        """A psycopg2 connection to this Hub's copy of a service's database."""
        args = sa.engine.make_url(self.db_urls[service]).translate_connect_args(username="user", database="dbname")
        return psycopg2.connect(**args)

    # --- start and stop ----------------------------------------------------------------------------

    def start(self) -> ScaledHub:
        from hubstack.stack import Stack

        try:
            started = time.monotonic()
            admin = connect_admin(self.server)
            try:
                for service in SERVICES:
                    name = f"{self.prefix}_{service}"
                    self._made.append(name)
                    self.timings[f"copy {service}"] = copy_database(admin, self.templates[service], name)
            finally:
                admin.close()
            self.timings["copy databases"] = time.monotonic() - started
            if self.daily_jobs_done:
                from common.clock import today

                mark_daily_jobs_done(self.db_urls, today())

            base_uri = hub_config.amqp_uri()
            self.vhost = RabbitVhost(base_uri)
            amqp_uri = self.vhost.create(self.prefix) or base_uri
            self._data_dir = tempfile.TemporaryDirectory(prefix=f"{self.prefix}-")
            port = _free_port()
            env = {**BENCH_ENV, "AMQP_URI": amqp_uri, "HUB_PORT": str(port), "HUB_DATA_DIR": self._data_dir.name,
                   "HUB_PUBLIC_URL": f"http://127.0.0.1:{port}",
                   **{f"{s.upper()}_DB_URL": url for s, url in self.db_urls.items()}, **self.extra_env}
            for role in (*SERVICES, "gateway"):
                env[f"{role.upper()}_AMQP_URI"] = ""  # one URI (the vhost's) for every process here
            if str(self.manifest.get("ssn_key", "")).startswith("the development default"):
                env.setdefault("HUB_SSN_KEY", "")   # the key the data set's SSN index was made with
            log_dir = None
            if self.log_dir is not None:
                log_dir = Path(self.log_dir) / self.prefix
                log_dir.mkdir(parents=True, exist_ok=True)
            self.stack = Stack(env=env, log_dir=log_dir, echo=self.echo)
            started = time.monotonic()
            # the services migrate and sync the catalog as they start: on the big databases too
            self.stack.start(timeout=self.start_timeout)
            self.stack.wait_healthy(timeout=self.start_timeout)
            self.timings["start the Hub"] = time.monotonic() - started
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.stack is not None:
            self.stack.stop()
        if self.vhost is not None:
            self.vhost.delete()
        if self._made:
            admin = connect_admin(self.server)
            try:
                for name in self._made:
                    drop_database(admin, name)
            finally:
                admin.close()
            self._made = []
        if self._data_dir is not None:
            self._data_dir.cleanup()
            self._data_dir = None

    def __enter__(self) -> ScaledHub:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


@contextmanager
def started_hub(context: dict | None):
    """The context's running Hub (context["stack"]), or one started here and stopped after."""
    context = context or {}
    hub = context.get("stack")
    if hub is not None:
        yield hub
        return
    with ScaledHub(context.get("manifest") or load_manifest()) as hub:
        yield hub


# --- measuring: many clients at once, percentiles, the SQL a function runs -------------------------

def _proc_status(pid: int, field: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def rss_mb(pids: dict[str, int]) -> dict[str, float]:
    """Resident memory (VmRSS) of each named process, in MB (Linux /proc)."""
    out = {}
    for name, pid in pids.items():
        kb = _proc_status(pid, "VmRSS")
        if kb is not None:
            out[name] = kb / 1024
    return out


def cpu_seconds(pids: dict[str, int]) -> dict[str, float]:
    """CPU time (user + system) each named process has used so far (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    out = {}
    for name, pid in pids.items():
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[name] = (int(fields[11]) + int(fields[12])) / ticks
    return out


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of a list of numbers; None for none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))]


@dataclass
class Timing:
    kind: str
    seconds: float
    ok: bool
    detail: str = ""


def drive(clients: int, items: list, call, setup=None, pace: float | None = None) -> tuple[list[Timing], float]:
    """Runs `call(state, item) -> (kind, ok, detail)` over `items`, `clients` at a time (threads;
    green ones when eventlet has patched the process), each client with its own `setup()` state
    (a requests.Session, a database connection). Without `pace` each client sends its next
    request as soon as the last is answered (a closed loop: the figure is the capacity); with
    it, one request every `pace` seconds (people reading what they got in between), starting at
    random offsets. Returns the timings and the wall time."""
    work: queue.Queue = queue.Queue()
    for item in items:
        work.put(item)
    timings: list[Timing] = []
    lock = threading.Lock()
    failures: list[BaseException] = []

    def client():
        state = setup() if setup else None
        due = time.perf_counter() + (random.random() * pace if pace else 0.0)
        try:
            while True:
                try:
                    item = work.get_nowait()
                except queue.Empty:
                    return
                if pace:
                    time.sleep(max(0.0, due - time.perf_counter()))
                    due = max(due + pace, time.perf_counter())
                started = time.perf_counter()
                try:
                    kind, ok, detail = call(state, item)
                except Exception as exc:  # counted, never fatal: the figure says how many
                    kind = item.get("kind", "error") if isinstance(item, dict) else "error"
                    ok, detail = False, repr(exc)[:200]
                elapsed = time.perf_counter() - started
                with lock:
                    timings.append(Timing(kind, elapsed, ok, detail))
        except BaseException as exc:
            failures.append(exc)
        finally:
            close = getattr(state, "close", None)
            if close:
                close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return timings, time.perf_counter() - started


def summary(timings: list[Timing], kind: str | None = None) -> dict:
    chosen = [t for t in timings if kind is None or t.kind == kind]
    ms = [t.seconds * 1000 for t in chosen]
    return {"n": len(chosen), "errors": sum(not t.ok for t in chosen), "p50": percentile(ms, 50),
            "p95": percentile(ms, 95), "p99": percentile(ms, 99),
            "details": sorted({t.detail for t in chosen if not t.ok})[:5]}


def capture_sql(engine: sa.Engine):
    """A list that fills with every statement the engine runs, with its parameters inlined
    (psycopg2's mogrify: exactly the text the server receives), ready to be run raw."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if not executemany:
            statements.append(cursor.mogrify(statement, parameters).decode())

    sa.event.listen(engine, "before_cursor_execute", record)
    return statements


def cooperative_psycopg() -> None:
    """Under eventlet's monkey patching (`python -m bench` patches), psycopg2 would block every
    green thread while one waits for the server: make its waits green, as the services do."""
    try:
        from eventlet import patcher
    except ImportError:
        return
    if patcher.is_monkey_patched("socket"):
        from psycogreen.eventlet import patch_psycopg
        patch_psycopg()


def default_context(quick: bool = False) -> dict:
    return {"manifest": load_manifest(), "quick": quick, "stack": None}


def run() -> None:
    """Start the Hub at scale, say how long each step took, stop it (and drop the copies)."""
    os.environ.setdefault("HUB_DEV_DEFAULTS", "1")
    manifest = load_manifest()
    with ScaledHub(manifest) as hub:
        print(f"the Hub on {manifest['people']:,} people is up at {hub.url} (databases {hub.prefix}_*)")
        for step, seconds in hub.timings.items():
            print(f"  {step}: {seconds:.1f} s")


if __name__ == "__main__":
    run()
