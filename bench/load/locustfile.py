"""Mixed traffic against the whole Hub for bench.load_test (issue 12), run headless by locust in
a process of its own (locust runs on gevent; the Hub and the other benchmarks on eventlet).

Each simulated client logs in as one of the data set's people and then, at random by weight,
searches the public roster, opens its dashboard, reads its messages, logs in again, or sends a
payroll batch with a payroll company's key. The plan (`--plan FILE`, written by bench.load_test)
holds who and what: accounts, search criteria, payroll keys and batches. Every request is named
by its kind (REQUEST_KINDS), so locust's statistics come per kind; `--status-report FILE` gets
the count of each HTTP status per kind when the run ends (5xx apart from other failures).
"""
from __future__ import annotations

import json
import random
from collections import Counter, defaultdict

from locust import FastHttpUser, between, events, task

SEARCH, LOGIN, DASHBOARD, MESSAGES, PAYROLL = "search", "login", "dashboard", "messages", "payroll batch"
# kind → (weight, method, path); the weights are the traffic mix
REQUEST_KINDS = {
    SEARCH: (8, "POST", "/api/v1/roster/search"),
    LOGIN: (1, "POST", "/api/v1/session"),    # argon2: a login costs the CPU of ~20 reads
    DASHBOARD: (6, "GET", "/api/v1/me/classifications"),
    MESSAGES: (4, "GET", "/api/v1/me/messages"),
    PAYROLL: (1, "POST", "/api/v1/integrations/payroll/work-records"),
}

PLAN: dict = {}
STATUSES: dict[str, Counter] = defaultdict(Counter)


@events.init_command_line_parser.add_listener
def _options(parser):
    parser.add_argument("--plan", default="", help="the plan bench.load_test wrote (JSON)")
    parser.add_argument("--status-report", default="", help="where to write the HTTP statuses per kind (JSON)")


@events.init.add_listener
def _load_plan(environment, **_kwargs):
    path = getattr(environment.parsed_options, "plan", "") if environment.parsed_options else ""
    if path:
        with open(path) as handle:
            PLAN.update(json.load(handle))


@events.request.add_listener
def _count_status(name, response=None, exception=None, **_kwargs):
    status = getattr(response, "status_code", None) if response is not None else None
    STATUSES[name][str(status or "no answer")] += 1


@events.quitting.add_listener
def _write_statuses(environment, **_kwargs):
    path = getattr(environment.parsed_options, "status_report", "") if environment.parsed_options else ""
    if path:
        with open(path, "w") as handle:
            json.dump({name: dict(counts) for name, counts in STATUSES.items()}, handle)


class HubClient(FastHttpUser):
    """One person using the Portal and the public search, or (now and then) a payroll company."""
    wait_time = between(0, 0.1)

    def on_start(self):
        self.rng = random.Random()
        self.person = self.rng.choice(PLAN["people"])
        self.token = None
        self.log_in()

    def log_in(self):
        with self.client.post(REQUEST_KINDS[LOGIN][2], json={"email": self.person["email"],
                                                            "password": PLAN["password"]},
                              name=LOGIN, catch_response=True) as response:
            if response.status_code == 200:
                self.token = response.json()["token"]
                response.success()
            else:
                response.failure(f"HTTP {response.status_code}")

    def _mine(self, kind: str):
        if self.token is None:
            return
        self.client.get(REQUEST_KINDS[kind][2], headers={"Authorization": f"Bearer {self.token}"}, name=kind)

    @task(REQUEST_KINDS[SEARCH][0])
    def search(self):
        self.client.post(REQUEST_KINDS[SEARCH][2], json=self.rng.choice(PLAN["searches"]), name=SEARCH)

    @task(REQUEST_KINDS[DASHBOARD][0])
    def dashboard(self):
        self._mine(DASHBOARD)

    @task(REQUEST_KINDS[MESSAGES][0])
    def messages(self):
        self._mine(MESSAGES)

    @task(REQUEST_KINDS[LOGIN][0])
    def login(self):
        self.log_in()

    @task(REQUEST_KINDS[PAYROLL][0])
    def payroll_batch(self):
        batch = self.rng.choice(PLAN["payroll_batches"])
        with self.client.post(REQUEST_KINDS[PAYROLL][2], json={"records": batch},
                              headers={"Authorization": f"Bearer {self.rng.choice(PLAN['payroll_keys'])}"},
                              name=PAYROLL, catch_response=True) as response:
            if response.status_code == 202 and not response.json().get("rejected"):
                response.success()
            elif response.status_code == 202:
                response.failure(f"{len(response.json()['rejected'])} records rejected")
            else:
                response.failure(f"HTTP {response.status_code}")
