"""Issue 12: a load test with a real tool. locust, headless, in a process of its own, drives mixed
traffic (bench/load/locustfile.py: public searches, logins, dashboards, message reads, payroll
batches) at the whole Hub on the `make bench-data` set in PostgreSQL (scratch copies, through
bench.stack_at_scale: logins and payroll batches write) for a bounded time, then prints the
throughput, p50/p95/p99 per request kind and the errors, 5xx apart (goal: none of either)."""
from __future__ import annotations

import csv
import json
import os
import random
import subprocess
import sys
import tempfile
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path

from bench.stack_at_scale import ROOT, cpu_seconds, default_context, started_hub
from bench.table import Figure, render

LOCUSTFILE = ROOT / "bench" / "load" / "locustfile.py"
USERS = 20
SECONDS = {True: 20, False: 60}      # quick, full
PLAN_PEOPLE = 400
BATCHES, BATCH_SIZE = 80, 100


def plan(hub, manifest: dict, rng: random.Random) -> dict:
    """Who the simulated clients are and what they send (written to a file for locust)."""
    from bench.data.people import Identities
    from bench.read_paths import search_items

    with closing(hub.connect("accounts")) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT email FROM accounts WHERE person_id IS NOT NULL AND disabled_at IS NULL "
                       "AND roles = 'industry_professional' ORDER BY md5(email) LIMIT %s", (PLAN_PEOPLE,))
        people = [{"email": email} for (email,) in cursor.fetchall()]
    identities = Identities(manifest["seed"])
    today = date.fromisoformat(manifest["today"])
    workers = [p for p in manifest["sample_people"] if p.get("records")]
    batches = []
    for _ in range(BATCHES):
        batch = []
        for _ in range(BATCH_SIZE):
            p = rng.choice(workers)
            batch.append({"ssn": identities.ssn(p["index"]), "last_name": p["last_name"],
                          "first_name": p["first_name"], "employer": rng.choice(["Warner Bros.", "Paramount",
                                                                                  "Universal", "Sony Pictures"]),
                          "production": f"Bench Production {rng.randint(1, 40)}",
                          "classification_code": rng.choice(p["records"])["classification_code"],
                          "work_date": (today - timedelta(days=rng.randint(1, 365))).isoformat(),
                          "hours": rng.choice([8, 10, 12])})
        batches.append(batch)
    return {"password": manifest["password"], "people": people,
            "searches": [item["criteria"] for item in search_items(hub, manifest, 400, rng)],
            "payroll_keys": manifest["payroll_keys"], "payroll_batches": batches}


def run_load(hub, manifest: dict, seconds: int, users: int = USERS, seed: int = 12) -> dict:
    """One locust run: {"kinds": {kind: stats}, "total": stats, "statuses": {kind: {status: n}}}.
    Stats per kind: n, failures, rps, p50, p95, p99 (ms)."""
    with tempfile.TemporaryDirectory(prefix="hub-load-") as folder:
        folder = Path(folder)
        (folder / "plan.json").write_text(json.dumps(plan(hub, manifest, random.Random(seed))))
        # the clients arrive over ~4 s: 20 argon2 logins in the same instant would measure the herd
        argv = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "-u", str(users),
                "-r", str(max(1, users // 4)), "-t", f"{seconds}s", "--host", hub.url, "--csv", str(folder / "run"),
                "--only-summary", "--stop-timeout", "10", "--loglevel", "WARNING",
                "--plan", str(folder / "plan.json"), "--status-report", str(folder / "statuses.json")]
        env = {k: v for k, v in os.environ.items() if not k.startswith("EVENTLET")}
        pids = hub.pids()
        cpu_before = cpu_seconds(pids)
        done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=seconds + 120)
        cpu = {name: used - cpu_before.get(name, 0.0) for name, used in cpu_seconds(pids).items()}
        stats = read_stats(folder / "run")
        if stats is None:
            raise RuntimeError(f"locust wrote no statistics (exit {done.returncode}): {done.stderr[-2000:]}")
    return {**stats, "seconds": seconds, "users": users, "cpu_seconds": cpu}


def read_stats(prefix: Path) -> dict | None:
    """What locust's --csv PREFIX and the locustfile's --status-report left: {"kinds": {kind:
    {n, failures, rps, p50, p95, p99}}, "total": the same for all, "failures": [text],
    "statuses": {kind: {status: n}}}; None if locust wrote no statistics."""
    stats_file = Path(f"{prefix}_stats.csv")
    if not stats_file.exists():
        return None
    kinds, total = {}, None
    with open(stats_file) as handle:
        for row in csv.DictReader(handle):
            stats = {"n": int(row["Request Count"]), "failures": int(row["Failure Count"]),
                     "rps": float(row["Requests/s"]), "p50": _ms(row["50%"]), "p95": _ms(row["95%"]),
                     "p99": _ms(row["99%"])}
            if row["Name"] == "Aggregated":
                total = stats
            else:
                kinds[row["Name"]] = stats
    failures = []
    failures_file = Path(f"{prefix}_failures.csv")
    if failures_file.exists():
        with open(failures_file) as handle:
            failures = [f"{row['Name']}: {row['Error']} ×{row['Occurrences']}" for row in csv.DictReader(handle)]
    statuses_file = prefix.parent / "statuses.json"
    statuses = json.loads(statuses_file.read_text()) if statuses_file.exists() else {}
    return {"kinds": kinds, "total": total, "failures": failures, "statuses": statuses}


def _ms(text: str) -> float | None:
    return None if text in ("", "N/A") else float(text)


def server_errors(result: dict) -> int:
    return sum(n for counts in result["statuses"].values() for status, n in counts.items()
               if status.isdigit() and int(status) >= 500)


def figures_of(result: dict) -> list[Figure]:
    total = result["total"] or {"n": 0, "failures": 0, "rps": 0.0}
    fives = server_errors(result)
    head = f"locust, {result['users']} users, {result['seconds']} s of mixed traffic"
    by_use = sorted(result["cpu_seconds"].items(), key=lambda kv: -kv[1])
    cpu = ", ".join(f"{name} {used:.1f} s" for name, used in by_use)
    figures = [Figure(f"load test throughput ({head})", total["rps"], "req/s",
                      note=f"{total['n']:,} requests in all; CPU the Hub's processes used: {cpu}")]
    for kind, stats in sorted(result["kinds"].items()):
        figures.append(Figure(f"  {kind} p95 under load", stats["p95"], "ms",
                              note=f"{kind}: {stats['n']:,} requests, {stats['rps']:.1f}/s, p50 {stats['p50']} ms, "
                                   f"p95 {stats['p95']} ms, p99 {stats['p99']} ms, {stats['failures']} failed"))
    figures.append(Figure("load test errors (failed requests; 5xx among them)", total["failures"], "requests",
                          goal="0 errors, 0 5xx", met=total["failures"] == 0 and fives == 0,
                          note=f"{fives} answers were 5xx" + (f"; {'; '.join(result['failures'][:6])}"
                                                             if result["failures"] else "")))
    return figures


def figures(context: dict) -> list[Figure]:
    os.environ.setdefault("HUB_DEV_DEFAULTS", "1")
    manifest, quick = context["manifest"], bool(context.get("quick"))
    with started_hub(context) as hub:
        return figures_of(run_load(hub, manifest, SECONDS[quick]))


def run(quick: bool = False) -> None:
    print(render(figures(default_context(quick))))


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
