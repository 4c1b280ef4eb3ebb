"""Issue 12: growth. Public search and the Portal dashboard through the gateway at 6,000, 60,000
and 600,000 people (each a `bench.data` set, the Hub on scratch copies of it): with the right
indexes both stay flat as the Hub grows a hundredfold. Few clients (GROWTH_CLIENTS), so the
figure is the cost of a request at that size rather than the queue in front of it.

600,000 people with everyone's history would be ~69M rows (~27 GB); search and the dashboard read
people, records and completions for everyone and one person's facts through indexes, so the
600,000 set has every person's accounts, records and completions but work days, documents and
messages for one person in ten (`bench.data --history-every 10`): 60,000 people's worth of
history, the size of the main set's. It is made once (~5 minutes) by `make bench-data` or the
first `make bench`, and kept.

The full sweep is measured at 6,000 and 60,000 people (everyone with history) on scratch copies
of their rosters databases: linear means the same records per second at both sizes. The 600,000
set is not swept: without nine people in ten's work days it is a different workload.

Other benchmarks can hook in with `register(measure)`, `measure(hub, manifest, quick) ->
list[Figure]`, called once per size with that size's running Hub and manifest."""
from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import date

import requests

from bench.read_paths import (
    SEARCH_KINDS,
    gateway_get,
    gateway_search,
    log_in,
    people_with_history,
    search_items,
)
from bench.stack_at_scale import ROOT, ScaledHub, connect_admin, default_context, drive, server_url, summary
from bench.table import Figure, render

SIZES = (6_000, 60_000, 600_000)
QUICK_SIZES = (6_000, 60_000)          # --quick leaves the 600,000 set out unless it is already made
HISTORY_EVERY = {600_000: 10}         # work days, documents and messages for one person in N
GROWTH_CLIENTS = 4
REQUESTS = {True: 80, False: 200}     # of each kind, at each size
FLAT = 1.5                            # "flat": the largest size within 1.5× the smallest
LINEAR = 1.5                          # "linear": records/s at 60,000 no lower than 6,000's ÷ 1.5
MANIFESTS = ROOT / "test-artifacts" / "bench-growth"
SEARCH_NOT_FLAT = (
    ". Not met: a page carries the exact total, so broad criteria (a 3-letter last-name prefix; a "
    "classification and local) visit every match to count it, and 100× the people are 100× the "
    "matches; exact criteria (IL number, last name + SSN) stay flat (p50 by criteria above). What "
    "would fix it: a capped count (\"more than 1,000 people found\", MAX_PAGE lowered to match) or "
    "the planner's estimate for broad searches: a product decision about what the total promises")
MEASURES: list[Callable] = []
def register(measure: Callable) -> Callable:
    """Adds a measurement taken at every size (the sweep's): measure(hub, manifest, quick)."""
    MEASURES.append(measure)
    return measure


def _databases_exist(prefix: str) -> bool:
    admin = connect_admin(server_url())
    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_database WHERE datname LIKE %s", (f"{prefix}\\_%",))
            return cursor.fetchone()[0] >= 5
    finally:
        admin.close()


def _made(prefix: str) -> dict | None:
    import json

    manifest = MANIFESTS / f"{prefix}.json"
    return json.loads(manifest.read_text()) if manifest.exists() and _databases_exist(prefix) else None


def data_set(people: int, main: dict, make: bool = True, quiet: bool = True) -> dict | None:
    """The manifest of a data set of `people`: the main one (`make bench-data`) if it is that
    size, else hub_growth<N>k, made by the generator the first time (a few seconds at 6,000,
    ~5 minutes at 600,000) unless `make` is False."""
    if main["people"] == people:
        return main
    prefix = f"hub_growth{people // 1000}k"
    made = _made(prefix)
    if made is not None and made.get("today") == main["today"] and made.get("seed") == main["seed"]:
        return made
    if not make:
        return None
    MANIFESTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="hub-growth-catalog-") as catalog:
        subprocess.run([sys.executable, "-m", "bench.data", "--people", str(people), "--seed", str(main["seed"]),
                        "--prefix", prefix, "--today", main["today"], "--manifest", str(MANIFESTS / f"{prefix}.json"),
                        "--catalog-dir", catalog, "--history-every", str(HISTORY_EVERY.get(people, 1)),
                        *(["--quiet"] if quiet else [])],
                       cwd=ROOT, env={**os.environ, "HUB_DEV_DEFAULTS": "1"}, check=True, timeout=1800)
    return _made(prefix)


def prepare(main: dict) -> None:
    """Makes the growth sets that are missing (`make bench-data` calls this after the main set)."""
    if main["people"] != max(QUICK_SIZES):
        print(f"growth data sets are made beside a main set of {max(QUICK_SIZES):,} people; "
              f"this one has {main['people']:,}: skipped")
        return
    for people in SIZES:
        if main["people"] != people:
            print(f"growth data set of {people:,} people ...", flush=True)
            data_set(people, main, quiet=False)


def sweep_rate(manifest: dict) -> dict:
    """A full sweep of every open record on a scratch copy of this set's rosters database, as
    bench.sweep_at_scale times it (the first after the migration: it also stores next_review_on)."""
    from rosters.models import Base
    from rosters.rulebook import current_catalog

    from bench.scratch import scratch_copy
    from bench.sweep_at_scale import timed_sweep
    from common.db import create_engine_for, make_session_factory
    from common.migrations import upgrade_to_head

    with scratch_copy(manifest["databases"]["rosters"], "growth") as url:
        upgrade_to_head("rosters", url)
        engine = create_engine_for(url)
        try:
            sessions = make_session_factory(engine, Base)
            with sessions() as session:
                catalog = current_catalog(session)
            run = timed_sweep(engine, sessions, catalog, date.fromisoformat(manifest["today"]), full=True)
        finally:
            engine.dispose()
    return {**run, "rate": run["evaluated"] / run["seconds"], "cpu_rate": run["evaluated"] / run["cpu_seconds"]}


def measure(hub, manifest: dict, quick: bool) -> dict:
    """p50/p95 of mixed searches and of dashboards (people with history) at this size."""
    rng = random.Random(6)
    n = REQUESTS[quick]
    searches = search_items(hub, manifest, n, rng)
    for item in searches:
        item["url"] = hub.api("/roster/search")
    people = people_with_history(hub, manifest, 12, rng)
    for person in people:
        person["token"] = log_in(hub, person["email"], manifest["password"])
    dashboards = [{"kind": "dashboard", "person": rng.choice(people), "url": hub.api("/me/classifications")}
                  for _ in range(n)]
    drive(GROWTH_CLIENTS, searches[:8] + dashboards[:8],
          lambda http, item: (gateway_search if "criteria" in item else gateway_get)(http, item), requests.Session)
    timings = drive(GROWTH_CLIENTS, searches, gateway_search, requests.Session)[0]
    dashboard = summary(drive(GROWTH_CLIENTS, dashboards, gateway_get, requests.Session)[0])
    by_kind = {kind: summary(timings, kind)["p50"] for kind in SEARCH_KINDS}
    return {"search": summary(timings), "dashboard": dashboard, "search_by_kind": by_kind}


def figures(context: dict) -> list[Figure]:
    os.environ.setdefault("HUB_DEV_DEFAULTS", "1")
    main, quick = context["manifest"], bool(context.get("quick"))
    results: dict[int, dict] = {}
    sweeps: dict[int, dict] = {}
    hooked: list[Figure] = []
    for people in SIZES:
        manifest = data_set(people, main, make=not quick or people in QUICK_SIZES)
        if manifest is None:
            continue
        running = context.get("stack") if manifest is main else None
        hub = running or ScaledHub(manifest, label=f"growth{people // 1000}k").start()
        try:
            results[people] = measure(hub, manifest, quick)
            for extra in MEASURES:
                hooked += extra(hub, manifest, quick)
        finally:
            if running is None:
                hub.stop()
        if manifest.get("history_every", 1) == 1:
            sweeps[people] = sweep_rate(manifest)
    figures = [_flat_figure(results, kind, size) for size in sorted(results)[1:] for kind in ("search", "dashboard")]
    if len(sweeps) > 1:
        figures.append(_linear_figure(sweeps))
    figures += hooked
    return figures


def _flat_figure(results: dict[int, dict], kind: str, size: int) -> Figure:
    smallest = min(results)
    small, large = results[smallest][kind], results[size][kind]
    ratio = large["p95"] / small["p95"] if small["p95"] else None
    sizes = [smallest, size]
    errors = sum(results[s][kind]["errors"] for s in sizes)
    every = HISTORY_EVERY.get(size, 1)
    met = None if ratio is None else ratio <= FLAT and errors == 0
    return Figure(
        f"{kind} p95 at {size:,} people ({GROWTH_CLIENTS} clients)", large["p95"], "ms", small["p95"],
        f"at {smallest:,} people", f"flat: ≤ {FLAT}× from {smallest:,} to {size:,} people",
        met=met,
        note=f"{kind}: " + ", ".join(f"{s:,} people p50 {results[s][kind]['p50']:.1f} ms p95 "
                                     f"{results[s][kind]['p95']:.1f} ms" for s in sizes)
             + (f"; {errors} errors" if errors else "")
             + ("; p50 by criteria: " + "; ".join(
                 f"{k} " + " → ".join(f"{results[s]['search_by_kind'][k]:.0f}" for s in sizes) + " ms"
                 for k in SEARCH_KINDS) if kind == "search" else "")
             + (f". The {size:,} set has everyone's accounts, records and completions and the work days, "
                f"documents and messages of one person in {every} (the dashboards are theirs)" if every > 1 else "")
             + (SEARCH_NOT_FLAT if kind == "search" and met is False else ""))


def _linear_figure(sweeps: dict[int, dict]) -> Figure:
    small, large = min(sweeps), max(sweeps)
    # linear: the time grows with the records, so the rate does not fall (a small set's fixed
    # costs can make it slower, which is not a failure)
    ratio = sweeps[large]["rate"] / sweeps[small]["rate"]
    return Figure(
        f"full sweep at {large:,} people: records/s", sweeps[large]["rate"], "records/s", sweeps[small]["rate"],
        f"at {small:,} people", f"linear: records/s at {large:,} people ≥ {small:,}'s ÷ {LINEAR}",
        met=ratio >= 1 / LINEAR,
        note="; ".join(f"{s:,} people: {run['evaluated']:,} records in {run['seconds']:.1f} s "
                       f"({run['cpu_rate']:,.0f} records per CPU second)" for s, run in sorted(sweeps.items()))
             + f". The {max(SIZES):,} set is not swept: it holds the work days of one person in "
               f"{HISTORY_EVERY.get(max(SIZES), 1)} only")


def run(quick: bool = False) -> None:
    print(render(figures(default_context(quick))))


if __name__ == "__main__":
    if "--prepare" in sys.argv:  # make bench-data: the growth sets beside the main one
        prepare(default_context()["manifest"])
    else:
        run(quick="--quick" in sys.argv)
