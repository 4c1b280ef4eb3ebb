"""`make run` (hubstack.run) as a newcomer runs it: a service that dies is restarted rather than
stopping the Hub, every demo login is printed on every run, and bad settings refuse to start."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
import requests

from hubstack.demo import DEMO_PEOPLE, load_demo_data
from hubstack.stack import GaveUp, Stack
from tests.support.waiting import free_port, random_suffix

ROOT = Path(__file__).resolve().parents[2]
BANNER_END = "Press Ctrl-C to stop."


class Output:
    """A child process's output lines, read by a thread so the child never blocks."""

    def __init__(self, process: subprocess.Popen):
        self.lines: list[str] = []
        self.thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self.thread.start()

    def _read(self, process):
        for line in process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, pattern: str, timeout: float, process: subprocess.Popen) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines:
                if re.search(pattern, line):
                    return line
            if process.poll() is not None:
                break
            time.sleep(0.2)
        pytest.fail(f"no line matching {pattern!r} within {timeout}s:\n" + "\n".join(self.lines[-60:]))


def children_named(parent_pid: int, name: str) -> list[int]:
    """Pids of `python -m hubstack.launch <name>` processes started by parent_pid."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            ppid = int(re.search(r"^PPid:\s+(\d+)", status.read_text(), re.M).group(1))
            argv = (status.parent / "cmdline").read_bytes().split(b"\0")
        except (OSError, AttributeError):
            continue
        if ppid == parent_pid and b"hubstack.launch" in argv and name.encode() in argv:
            found.append(int(status.parent.name))
    return found


@pytest.fixture
def vhost_uri(rabbit_manager, broker_available, request):
    vhost = f"hub_run_{random_suffix()}"
    rabbit_manager.create_vhost(vhost)
    rabbit_manager.set_vhost_permissions(vhost, "guest", ".*", ".*", ".*")
    broker = urlparse(request.config.getoption("RABBIT_AMQP_URI"))
    yield f"{broker.scheme}://{broker.netloc}/{vhost}"
    rabbit_manager.delete_vhost(vhost)


@pytest.mark.broker
@pytest.mark.timeout(180)
def test_make_run_restarts_a_killed_service_and_keeps_printing_every_demo_login(vhost_uri, tmp_path):
    port = free_port()
    env = {**os.environ, "AMQP_URI": vhost_uri, "HUB_DATA_DIR": str(tmp_path / "var"),
           "HUB_PORT": str(port), "PYTHONUNBUFFERED": "1"}
    for name in ("HUB_SMTP_HOST", "HUB_ADMIN_EMAIL", "HUB_ADMIN_PASSWORD", "HUB_SSN_KEY", "HUB_SECRET_KEY",
                 "HUB_PAYROLL_API_KEY", "HUB_TIMEZONE", *(f"{s.upper()}_DB_URL" for s in
                                                         ("accounts", "rosters", "documents", "training",
                                                          "notifications"))):
        env.pop(name, None)
    hub = subprocess.Popen([sys.executable, "-m", "hubstack.run"], cwd=ROOT, env=env, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    output = Output(hub)
    try:
        output.wait_for(BANNER_END, 150, hub)
        assert not [line for line in output.lines if "Unknown service" in line], \
            "the gateway polled services before they were up"
        banner = "\n".join(output.lines)
        assert f"{DEMO_PEOPLE[0]['email']} / {DEMO_PEOPLE[0]['password']}" in banner

        # A second load of the demo data (what a second `make run` does) still lists John Doe.
        again = load_demo_data(vhost_uri, "admin@example.com", "demo-admin-password")
        assert DEMO_PEOPLE[0]["email"] in [login["email"] for login in again]

        [rosters] = children_named(hub.pid, "rosters")
        os.killpg(rosters, signal.SIGKILL)
        output.wait_for(r"rosters exited with code -9; restarting \(1/5\)", 20, hub)
        assert hub.poll() is None, "the Hub stopped when one service died"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            [restarted] = children_named(hub.pid, "rosters") or [None]
            try:
                answer = requests.post(f"http://127.0.0.1:{port}/api/v1/roster/search",
                                       json={"last_name": "Doe"}, timeout=10)
                if restarted and restarted != rosters and answer.status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.5)
        else:
            pytest.fail("rosters did not come back:\n" + "\n".join(output.lines[-40:]))
    finally:
        if hub.poll() is None:
            hub.send_signal(signal.SIGINT)
            try:
                hub.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(hub.pid, signal.SIGKILL)
                hub.wait()
    assert hub.returncode == 0, "\n".join(output.lines[-40:])
    assert children_named(hub.pid, "rosters") == []


def test_a_process_that_keeps_dying_is_restarted_five_times_then_the_hub_gives_up(tmp_path):
    stack = Stack(log_dir=tmp_path, echo=False, restart_limit=5, restart_window=60)
    stack._spawn("flaky", [sys.executable, "-c", "raise SystemExit(1)"])
    try:
        with pytest.raises(GaveUp, match=r"flaky exited with code 1 after 5 restarts in 60s"):
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                stack.supervise_once()
                time.sleep(0.05)
    finally:
        stack.stop()
    assert stack.notices == [f"flaky exited with code 1; restarting ({n}/5)" for n in range(1, 6)]
    assert (tmp_path / "supervisor.log").read_text().splitlines() == stack.notices


def test_make_run_refuses_an_unknown_time_zone_before_starting_anything(tmp_path):
    result = subprocess.run([sys.executable, "-m", "hubstack.run"], cwd=ROOT, capture_output=True, text=True,
                            timeout=60, env={**os.environ, "HUB_TIMEZONE": "Mars/Olympus_Mons",
                                             "HUB_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert "HUB_TIMEZONE='Mars/Olympus_Mons' is not a known time zone" in result.stderr
    assert "Broker:" not in result.stdout


@pytest.mark.parametrize("role", ["gateway", "rosters"])
def test_a_hub_process_refuses_an_unknown_time_zone(role):
    result = subprocess.run([sys.executable, "-m", "hubstack.launch", role], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, env={**os.environ, "HUB_TIMEZONE": "Nowhere/Atlantis"})
    assert result.returncode == 2
    assert result.stderr.strip() == (f"{role} cannot start: HUB_TIMEZONE='Nowhere/Atlantis' is not a known "
                                     "time zone (use an IANA name such as America/Los_Angeles)")
