"""The load test's parts that need no network (issue 12): the locustfile imports (in a process of
its own, as bench.load_test runs it: locust patches with gevent, the tests run on eventlet), has a
task for each request kind with the mix's weight, and sends each kind to a real gateway route;
locust's statistics are read back per kind, with a 5xx failing the goal; the percentile and
many-clients helpers of bench.stack_at_scale."""
import json
import subprocess
import sys
from pathlib import Path

from bench.load_test import figures_of, read_stats
from bench.stack_at_scale import drive, percentile, summary
from tests.support.fake_gateway import FakeRpc, make_app

ROOT = Path(__file__).resolve().parents[2]
KINDS = {"search", "login", "dashboard", "messages", "payroll batch"}
INSPECT = """
import json, sys
sys.argv = ["locust"]
from bench.load import locustfile
from locust import FastHttpUser
users = [u for u in vars(locustfile).values() if isinstance(u, type) and issubclass(u, FastHttpUser)
         and u is not FastHttpUser]
tasks = {}
for user in users:
    for function in user.tasks:
        tasks[function.__name__] = tasks.get(function.__name__, 0) + 1
print(json.dumps({"kinds": locustfile.REQUEST_KINDS, "tasks": tasks, "users": [u.__name__ for u in users]}))
"""


def locustfile_facts() -> dict:
    result = subprocess.run([sys.executable, "-c", INSPECT], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_locustfile_imports_and_has_a_weighted_task_for_each_request_kind():
    facts = locustfile_facts()

    assert facts["users"] == ["HubClient"]
    assert set(facts["kinds"]) == KINDS
    for kind, (weight, _method, _path) in facts["kinds"].items():
        assert facts["tasks"][kind.replace(" ", "_")] == weight, kind


def test_each_request_kind_goes_to_a_route_of_the_gateway():
    adapter = make_app(FakeRpc()).url_map.bind("localhost")

    for kind, (_weight, method, path) in locustfile_facts()["kinds"].items():
        endpoint, _ = adapter.match(path, method=method)
        assert endpoint.startswith("api."), (kind, endpoint)


STATS = """Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,\
Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%
GET,dashboard,23,0,64,65.7,25.2,138.5,1613.4,7.87,0.0,64,84,91,92,110,110,140,140,140,140,140
POST,search,40,1,31,40.1,10.0,130.0,900.0,13.5,0.3,31,41,53,55,79,100,130,130,130,130,130
,Aggregated,63,1,49,55.0,10.0,138.5,1100.0,21.4,0.3,49,69,92,110,280,670,800,810,810,810,810
"""


def test_locust_statistics_are_read_per_kind_and_a_5xx_fails_the_goal(tmp_path):
    (tmp_path / "run_stats.csv").write_text(STATS)
    (tmp_path / "run_failures.csv").write_text("Method,Name,Error,Occurrences\nPOST,search,HTTPError(500),1\n")
    (tmp_path / "statuses.json").write_text(json.dumps({"dashboard": {"200": 23}, "search": {"200": 39, "500": 1}}))

    stats = read_stats(tmp_path / "run")
    figures = figures_of({**stats, "seconds": 3, "users": 4, "cpu_seconds": {"rosters": 1.5}})

    assert stats["kinds"]["search"] == {"n": 40, "failures": 1, "rps": 13.5, "p50": 31.0, "p95": 100.0, "p99": 130.0}
    assert stats["total"]["n"] == 63 and stats["total"]["rps"] == 21.4
    errors = figures[-1]
    assert (errors.value, errors.met) == (1, False) and "1 answers were 5xx" in errors.note
    assert [f.name.strip() for f in figures[1:-1]] == ["dashboard p95 under load", "search p95 under load"]


def test_no_statistics_is_told_apart(tmp_path):
    assert read_stats(tmp_path / "run") is None


def test_percentiles_are_nearest_rank():
    values = list(range(1, 101))

    assert (percentile(values, 50), percentile(values, 95), percentile(values, 99)) == (50, 95, 99)
    assert percentile([7.0], 95) == 7.0 and percentile([], 50) is None


def test_many_clients_share_the_items_and_count_failures_without_stopping():
    seen = []

    def call(state, item):
        seen.append((state, item))
        if item == 3:
            raise RuntimeError("no answer")
        return "kind", item != 5, "HTTP 500" if item == 5 else ""

    timings, _ = drive(4, list(range(10)), call, setup=lambda: "state")

    assert sorted(item for _, item in seen) == list(range(10)) and {s for s, _ in seen} == {"state"}
    outcome = summary(timings)
    assert (outcome["n"], outcome["errors"]) == (10, 2)
    assert "HTTP 500" in outcome["details"]
