"""Issue 12: the read paths through the gateway at production size (the `make bench-data` set),
each next to the same reads run raw on the database in the same run.

- Public search: 20 clients at once, mixed criteria (last name, last name + SSN, IL number,
  classification + local) POSTed to /api/v1/roster/search. Baseline: the very SQL
  rosters.search runs for each of those criteria (captured from SQLAlchemy, parameters inlined
  by psycopg2), run with psycopg2 by 20 clients at once on the same database.
- The Portal dashboard (GET /api/v1/me/classifications) and one classification's detail
  (GET /api/v1/me/classifications/<code>) of people with three years of work history, 20 clients
  at once. Baseline: the queries that read the same rows (the session and account behind the
  token; the records, work days, completions, documents, answers, suspensions and extensions
  behind the statuses), captured the same way and run raw.
- The event path: a staff member approves a pending document that brings a Not Compliant record
  back; the time until that person's dashboard shows the new status.

Raw and gateway runs alternate in rounds, so a neighbour's load on this shared machine falls on
both. Everything runs against scratch copies (bench.stack_at_scale): reviews and logins write.
"""
from __future__ import annotations

import dataclasses
import os
import random
import time
import uuid
from contextlib import closing
from datetime import date, timedelta
from unittest import mock

import requests
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bench.stack_at_scale import (
    capture_sql,
    cooperative_psycopg,
    default_context,
    drive,
    started_hub,
    summary,
)
from bench.table import Figure, render

CLIENTS = 20
ROUNDS = 2                 # raw and gateway alternate, each ROUNDS times
PER_CLIENT = {True: 8, False: 20}   # requests per client per round: quick, full
# Paced: each client sends a request every PACE seconds (a person reads the page before the next
# click): 40 requests/s offered, under what this 2-core machine serves, so the figure is the
# latency of a request among 20 people at once rather than the queue a closed loop builds.
PACE = 0.5
PACED_PER_CLIENT = {True: 3, False: 5}
HISTORY_PEOPLE = {True: 20, False: 40}
REVIEWS = {True: 6, False: 20}
SEARCH_KINDS = ("last name", "last name + SSN", "IL number", "classification + local")
HTTP_TIMEOUT = 30


# --- who and what to ask for -----------------------------------------------------------------------

def search_items(hub, manifest: dict, n: int, rng: random.Random) -> list[dict]:
    """n searches, the four kinds in turn, drawn from the data set's own people and records."""
    from bench.data.people import Identities

    identities = Identities(manifest["seed"])
    samples = [p for p in manifest["sample_people"] if p.get("last_name")]
    common = [row["last_name"] for row in manifest.get("common_last_names", [])]
    with closing(hub.connect("rosters")) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT classification_code, local FROM classification_records")
        codes = sorted(cursor.fetchall())
    items = []
    for i in range(n):
        kind = SEARCH_KINDS[i % len(SEARCH_KINDS)]
        person = rng.choice(samples)
        if kind == "last name":
            name = rng.choice(common) if common and rng.random() < 0.3 else person["last_name"]
            criteria = {"last_name": name if rng.random() < 0.5 else name[:3]}
        elif kind == "last name + SSN":
            criteria = {"last_name": person["last_name"], "ssn": identities.ssn(person["index"])}
        elif kind == "IL number":
            criteria = {"il_number": person["il_number"]}
        else:
            code, local = rng.choice(codes)
            criteria = {"classification": code, "local": local}
        items.append({"kind": kind, "criteria": criteria})
    return items


def with_search_sql(hub, items: list[dict]) -> None:
    """Adds to each item the statements rosters.search runs for it (warm: the catalog names
    cached, as in the running service), parameters inlined."""
    from rosters.search import search

    engine = sa.create_engine(hub.db_urls["rosters"], poolclass=sa.pool.NullPool)
    try:
        with Session(engine) as session:
            search(session, items[0]["criteria"])   # the names cache, as a warm service has it
            session.rollback()
            statements = capture_sql(engine)
            for item in items:
                statements.clear()
                search(session, item["criteria"])
                session.rollback()
                item["sql"] = list(statements)
    finally:
        engine.dispose()


def people_with_history(hub, manifest: dict, n: int, rng: random.Random) -> list[dict]:
    """People whose verified work days go back 2½ years or more (and at least 100 of them),
    with an account: [{person_id, email, days}]."""
    today = date.fromisoformat(manifest["today"])
    with closing(hub.connect("rosters")) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT person_id::text FROM people TABLESAMPLE SYSTEM (10) REPEATABLE (7)")
        sampled = [row[0] for row in cursor.fetchall()]
        cursor.execute("""
            SELECT person_id::text, count(*) FROM work_days
             WHERE person_id = ANY(%s::uuid[]) AND verified
             GROUP BY person_id HAVING min(work_date) <= %s AND count(*) >= 100""",
                       (sampled, today - timedelta(days=913)))
        days = dict(cursor.fetchall())
    with closing(hub.connect("accounts")) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT person_id::text, email FROM accounts WHERE person_id = ANY(%s::uuid[]) "
                       "AND disabled_at IS NULL ORDER BY email", (sorted(days),))
        people = [{"person_id": pid, "email": email, "days": days[pid]} for pid, email in cursor.fetchall()]
    rng.shuffle(people)
    return people[:n]


def log_in(hub, email: str, password: str) -> str:
    response = requests.post(hub.api("/session"), json={"email": email, "password": password}, timeout=HTTP_TIMEOUT)
    response.raise_for_status()
    return response.json()["token"]


def with_dashboard_sql(hub, people: list[dict]) -> None:
    """Adds to each person the statements behind their dashboard: the accounts service's look-up
    of the token, the rosters service's catalog check, records and facts."""
    from accounts.sessions import principal_for_token
    from rosters import views
    from rosters.rulebook import CatalogCache

    from common.clock import today as hub_today

    accounts = sa.create_engine(hub.db_urls["accounts"], poolclass=sa.pool.NullPool)
    rosters = sa.create_engine(hub.db_urls["rosters"], poolclass=sa.pool.NullPool)
    try:
        cache = CatalogCache()
        with Session(rosters) as session:
            cache.current(session)
            session.rollback()
        account_sql, roster_sql = capture_sql(accounts), capture_sql(rosters)
        for person in people:
            account_sql.clear()
            roster_sql.clear()
            with Session(accounts) as session:
                principal_for_token(session, person["token"])
            with Session(rosters) as session:
                views.person_records(session, cache.current(session), uuid.UUID(person["person_id"]), hub_today())
            person["sql"] = {"accounts": list(account_sql), "rosters": list(roster_sql)}
    finally:
        accounts.dispose()
        rosters.dispose()


# --- the two ways of reading: through the gateway, raw -------------------------------------------

class Connections:
    """One client's connections to the databases its raw queries read."""

    def __init__(self, hub, services):
        self.connections = {service: hub.connect(service) for service in services}

    def run(self, service: str, statements: list[str]) -> None:
        connection = self.connections[service]
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
                cursor.fetchall()
        connection.rollback()   # the service's session ends its transaction the same way

    def close(self) -> None:
        for connection in self.connections.values():
            connection.close()


def raw_search(connections: Connections, item: dict):
    connections.run("rosters", item["sql"])
    return item["kind"], True, ""


def raw_dashboard(connections: Connections, item: dict):
    connections.run("accounts", item["person"]["sql"]["accounts"])
    connections.run("rosters", item["person"]["sql"]["rosters"])
    return item["kind"], True, ""


def gateway_search(http: requests.Session, item: dict):
    response = http.post(item["url"], json=item["criteria"], timeout=HTTP_TIMEOUT)
    return item["kind"], response.status_code == 200, f"HTTP {response.status_code}"


def gateway_get(http: requests.Session, item: dict):
    response = http.get(item["url"], headers={"Authorization": f"Bearer {item['person']['token']}"},
                        timeout=HTTP_TIMEOUT)
    return item["kind"], response.status_code == 200, f"HTTP {response.status_code}"


def alternate(hub, items: list[dict], raw_call, gateway_call, services, rounds: int = ROUNDS,
              pace: float | None = None, warm: bool = True) -> tuple[list, list]:
    """Warm both, then `rounds` times: the raw queries, then the gateway, each by CLIENTS at once
    (closed loop, or one request every `pace` seconds per client)."""
    if warm:
        drive(CLIENTS, items[:CLIENTS], raw_call, lambda: Connections(hub, services))
        drive(CLIENTS, items[:CLIENTS * 2], gateway_call, requests.Session)
    raw, gateway = [], []
    for k in range(rounds):
        raw += drive(CLIENTS, items[k::rounds], raw_call, lambda: Connections(hub, services), pace=pace)[0]
        gateway += drive(CLIENTS, items[k::rounds], gateway_call, requests.Session, pace=pace)[0]
    return raw, gateway


def paced(hub, items: list[dict], raw_call, gateway_call, services, quick: bool) -> tuple[list, list]:
    """The same reads, each of the CLIENTS sending one every PACE seconds (below the capacity)."""
    n = CLIENTS * PACED_PER_CLIENT[quick] * ROUNDS
    return alternate(hub, items[:n], raw_call, gateway_call, services, pace=PACE, warm=False)


# --- the figures ----------------------------------------------------------------------------------

# Why a read path misses its ratio when it does (measured with py-spy on this machine, issue 12):
WHY_SEARCH = ("not met because every search crosses the gateway and an RPC to rosters over RabbitMQ: "
              "about 10 ms of CPU in three processes (gateway, broker, rosters) against ~2.5 ms of SQL, so on 2 "
              "shared cores 20 clients queue; what would fix it: a read replica of the public roster served by "
              "the gateway itself from a projection (no RPC), or more cores for the services")
WHY_PORTAL = ("not met because one dashboard costs ~21 ms of CPU across five processes (rosters ~7, accounts ~4 "
              "for the token check, broker ~3, gateway ~3, PostgreSQL ~3) against ~3 ms for the raw queries, so "
              "on 2 shared cores 20 clients queue; what would fix it: check session tokens in the gateway (signed "
              "tokens or a Redis cache) instead of an RPC to accounts per request, cache each person's dashboard "
              "until an event for them arrives, and give the services their own cores")


def _ratio_goal(name: str, through: dict, raw: dict, baseline_name: str, goal: str, absolute_ms: float | None,
                note: str = "") -> Figure:
    met = through["errors"] == 0 and through["p95"] is not None and raw["p95"] and through["p95"] <= 3 * raw["p95"]
    if absolute_ms is not None:
        met = met and through["p95"] < absolute_ms
    errors = f"{through['errors']} errors in {through['n']}" + (f" ({', '.join(through['details'])})"
                                                                if through["errors"] else "")
    why = "" if met else "; " + (WHY_SEARCH if "search" in name else WHY_PORTAL)
    return Figure(name, through["p95"], "ms", raw["p95"], baseline_name, goal, bool(met),
                  note=f"p50 {through['p50']:.1f} ms through the gateway vs {raw['p50']:.1f} ms raw; {errors}"
                  + (f"; {note}" if note else "") + why,
                  extra={"gateway": through, "raw": raw})


def search_figures(hub, manifest: dict, quick: bool, rng: random.Random) -> list[Figure]:
    n = CLIENTS * PER_CLIENT[quick] * ROUNDS
    items = search_items(hub, manifest, n, rng)
    with_search_sql(hub, items)
    url = hub.api("/roster/search")
    for item in items:
        item["url"] = url
    raw, through = alternate(hub, items, raw_search, gateway_search, ("rosters",))
    figures = [_ratio_goal(f"public search p95, {CLIENTS} clients (closed loop), mixed criteria", summary(through),
                           summary(raw), "the same SQL on the database", "p95 ≤ 3× raw; no error", None,
                           note=_throughput(through))]
    for kind in SEARCH_KINDS:
        g, r = summary(through, kind), summary(raw, kind)
        figures.append(Figure(f"  search by {kind} p95", g["p95"], "ms", r["p95"], "raw", "", None,
                              note="" if not g["errors"] else f"{g['errors']} errors"))
    raw, through = paced(hub, items, raw_search, gateway_search, ("rosters",), quick)
    figures.append(_ratio_goal(f"public search p95, {CLIENTS} clients each searching every {PACE} s",
                               summary(through), summary(raw), "the same SQL on the database",
                               "p95 ≤ 3× raw; no error", None))
    return figures


def _throughput(timings: list) -> str:
    busy = sum(t.seconds for t in timings)
    return f"~{len(timings) * CLIENTS / busy:.0f} requests/s through the gateway" if busy else ""


def dashboard_figures(hub, manifest: dict, quick: bool, rng: random.Random) -> list[Figure]:
    people = people_with_history(hub, manifest, HISTORY_PEOPLE[quick], rng)
    if not people:
        return [Figure("Portal dashboard p95", None, "ms", note="no one with three years of history and an account")]
    for person in people:
        person["token"] = log_in(hub, person["email"], manifest["password"])
    with_dashboard_sql(hub, people)
    for person in people:   # a code to open: the first of their current records
        answer = requests.get(hub.api("/me/classifications"), timeout=HTTP_TIMEOUT,
                              headers={"Authorization": f"Bearer {person['token']}"}).json()
        person["code"] = next((r["classification_code"] for r in answer.get("records", [])
                               + answer.get("closed", [])), None)
    n = CLIENTS * PER_CLIENT[quick] * ROUNDS
    days = sorted(p["days"] for p in people)
    history = f"{len(people)} people, {days[0]}–{days[-1]} verified work days each over ~3 years"
    figures = []
    for name, path in (("Portal dashboard", lambda p: "/me/classifications"),
                       ("classification detail", lambda p: f"/me/classifications/{p['code']}")):
        chosen = [p for p in people if p["code"]] if "detail" in name else people
        items = [{"kind": name, "person": (person := rng.choice(chosen)), "url": hub.api(path(person))}
                 for _ in range(n)]
        raw, through = alternate(hub, items, raw_dashboard, gateway_get, ("accounts", "rosters"))
        figures.append(_ratio_goal(f"{name} p95, {CLIENTS} clients (closed loop), 3 years of history",
                                   summary(through), summary(raw), "the queries reading the same rows",
                                   "≤ 3× raw; p95 < 100 ms", 100, note=f"{history}; {_throughput(through)}"))
        raw, through = paced(hub, items, raw_dashboard, gateway_get, ("accounts", "rosters"), quick)
        figures.append(_ratio_goal(f"{name} p95, {CLIENTS} clients each opening it every {PACE} s",
                                   summary(through), summary(raw), "the queries reading the same rows",
                                   "≤ 3× raw; p95 < 100 ms", 100))
    return figures


# --- the event path -----------------------------------------------------------------------------------

def review_candidates(hub, manifest: dict, n: int, rng: random.Random) -> list[dict]:
    """Pending documents whose approval changes one of the owner's statuses (checked with the
    rosters engine on the copied facts), owners with an account: [{document…, code, before, after}]."""
    from rosters import views
    from rosters.engine import facts as engine
    from rosters.facts_store import facts_for
    from rosters.rulebook import current_catalog

    today = date.fromisoformat(manifest["today"])
    with closing(hub.connect("rosters")) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT person_id::text FROM classification_records "
                       "WHERE status IN ('not_compliant', 'in_progress_not_training_eligible') AND closed_on IS NULL")
        lapsed = {row[0] for row in cursor.fetchall()}
    with closing(hub.connect("documents")) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT id::text, person_id::text, document_type, issued_on, expires_on FROM documents "
                       "WHERE status = 'pending_review' ORDER BY id")
        pending = [row for row in cursor.fetchall() if row[1] in lapsed]
    rng.shuffle(pending)
    engine_sa = sa.create_engine(hub.db_urls["rosters"], poolclass=sa.pool.NullPool)
    found: list[dict] = []
    seen: set[str] = set()
    try:
        with Session(engine_sa) as session:
            catalog = current_catalog(session)
            for document_id, person_id, kind, issued_on, expires_on in pending[:400]:
                if len(found) >= n * 2 or person_id in seen:
                    continue
                pid = uuid.UUID(person_id)
                before = views.person_records(session, catalog, pid, today)
                facts = facts_for(session, pid)
                fact = engine.ApprovedDocument(type=kind, approved_on=today, expires_on=expires_on)
                with_it = dataclasses.replace(facts, documents=(*facts.documents, fact))
                with mock.patch.object(views, "facts_for", lambda _s, _p, f=with_it: f):
                    after = views.person_records(session, catalog, pid, today)
                changed = [(b.classification_code, b.status, a.status) for b, a in zip(before.records, after.records,
                                                                                      strict=False)
                           if b.classification_code == a.classification_code and b.status != a.status]
                if changed:
                    seen.add(person_id)
                    code, old, new = changed[0]
                    found.append({"document_id": document_id, "person_id": person_id, "issued_on": issued_on,
                                  "expires_on": expires_on, "code": code, "before": old, "after": new})
    finally:
        engine_sa.dispose()
    with closing(hub.connect("accounts")) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT person_id::text, email FROM accounts WHERE person_id = ANY(%s::uuid[]) "
                       "AND disabled_at IS NULL", ([c["person_id"] for c in found],))
        emails = dict(cursor.fetchall())
    return [dict(c, email=emails[c["person_id"]]) for c in found if c["person_id"] in emails][:n]


def status_of(hub, token: str, code: str) -> str | None:
    answer = requests.get(hub.api("/me/classifications"), headers={"Authorization": f"Bearer {token}"},
                          timeout=HTTP_TIMEOUT).json()
    return next((r["status"] for r in answer.get("records", []) if r["classification_code"] == code), None)


def event_path_figures(hub, manifest: dict, quick: bool, rng: random.Random) -> list[Figure]:
    candidates = review_candidates(hub, manifest, REVIEWS[quick], rng)
    name = "event path: staff review → the person's dashboard shows the new status, p95"
    if not candidates:
        return [Figure(name, None, "ms", goal="p95 < 500 ms", note="no pending document changes a status here")]
    staff = next(a for a in manifest["staff_accounts"] if "reviewer" in a)
    staff_token = log_in(hub, staff, manifest["password"])
    latencies, failures = [], []
    for candidate in candidates:
        token = log_in(hub, candidate["email"], manifest["password"])
        if status_of(hub, token, candidate["code"]) != candidate["before"]:
            failures.append("the status before the review was not the expected one")
            continue
        body = {"decision": "approve", "issued_on": candidate["issued_on"] and candidate["issued_on"].isoformat(),
                "expires_on": candidate["expires_on"] and candidate["expires_on"].isoformat()}
        started = time.perf_counter()
        response = requests.post(hub.api(f"/staff/documents/{candidate['document_id']}/review"), json=body,
                                 headers={"Authorization": f"Bearer {staff_token}"}, timeout=HTTP_TIMEOUT)
        if response.status_code != 200:
            failures.append(f"review answered HTTP {response.status_code}")
            continue
        while time.perf_counter() - started < 10:
            # the new status, or none: a record that advanced a group moves to the closed ones
            if status_of(hub, token, candidate["code"]) != candidate["before"]:
                latencies.append((time.perf_counter() - started) * 1000)
                break
            time.sleep(0.01)
        else:
            failures.append("the dashboard did not change within 10 s")
    from bench.stack_at_scale import percentile

    p95 = percentile(latencies, 95)
    return [Figure(name, p95, "ms", goal="p95 < 500 ms", met=bool(latencies) and not failures and p95 < 500,
                   note=f"{len(latencies)} reviews, p50 {percentile(latencies, 50) or 0:.0f} ms, max "
                        f"{max(latencies, default=0):.0f} ms (review RPC, outbox relay, rosters' handler, dashboard "
                        f"poll every 10 ms)" + (f"; failures: {sorted(set(failures))}" if failures else ""))]


def figures(context: dict) -> list[Figure]:
    os.environ.setdefault("HUB_DEV_DEFAULTS", "1")   # the data set's SSN index key, as make bench-data
    cooperative_psycopg()
    manifest, quick = context["manifest"], bool(context.get("quick"))
    rng = random.Random(12)
    with started_hub(context) as hub:
        return (search_figures(hub, manifest, quick, rng) + dashboard_figures(hub, manifest, quick, rng)
                + event_path_figures(hub, manifest, quick, rng))


def run(quick: bool = False) -> None:
    print(render(figures(default_context(quick))))


if __name__ == "__main__":
    import sys

    run(quick="--quick" in sys.argv)
