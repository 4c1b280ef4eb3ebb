"""Issue 12: memory. The resident memory (RSS) of each service process and of the gateway after
a load test run (bench.load_test, locust), and again after a second, identical run: a process
that keeps growing between two identical runs holds on to something per request (a cache
without a bound, a leak). The first run absorbs the warm-up (connection pools, caches, the
catalog), so the comparison is between the first and the second."""
from __future__ import annotations

import os
import sys

from bench.load_test import run_load, server_errors
from bench.stack_at_scale import default_context, rss_mb, started_hub
from bench.table import Figure, render

SECONDS = {True: 15, False: 30}        # each of the two runs: quick, full
TOLERANCE_MB, TOLERANCE_SHARE = 4.0, 0.03   # allocator noise, not growth


def grew(before: float, after: float) -> bool:
    return after - before > max(TOLERANCE_MB, before * TOLERANCE_SHARE)


def figures(context: dict) -> list[Figure]:
    os.environ.setdefault("HUB_DEV_DEFAULTS", "1")
    manifest, quick = context["manifest"], bool(context.get("quick"))
    with started_hub(context) as hub:
        idle = rss_mb(hub.pids())
        runs, after = [], []
        for _ in range(2):
            runs.append(run_load(hub, manifest, SECONDS[quick]))
            after.append(rss_mb(hub.pids()))
    figures = []
    for name in sorted(after[1]):
        first, second = after[0].get(name), after[1][name]
        figures.append(Figure(
            f"RSS of {name} after a second identical load run", second, "MB", first, "after the first run",
            "no growth between two identical runs", met=first is not None and not grew(first, second),
            note=f"{name}: {idle.get(name, 0):.0f} MB idle, {first or 0:.0f} MB after run 1, {second:.0f} MB after "
                 f"run 2 ({second - (first or 0):+.1f} MB)"))
    total = [sum(a.values()) for a in after]
    errors = sum((r["total"] or {}).get("failures", 0) for r in runs)
    figures.append(Figure("RSS of the whole Hub (5 services + gateway) after the second run", total[1], "MB",
                          total[0], "after the first run", "no growth between two identical runs",
                          met=not grew(total[0], total[1]),
                          note=f"two runs of {SECONDS[quick]} s of the load test's traffic, "
                               f"{sum((r['total'] or {}).get('n', 0) for r in runs):,} requests, {errors} failed, "
                               f"{sum(server_errors(r) for r in runs)} 5xx"))
    return figures


def run(quick: bool = False) -> None:
    print(render(figures(default_context(quick))))


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
