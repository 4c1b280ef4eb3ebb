"""hubstack.ready: the Kubernetes probes of the five services and the documents mailbox
(deploy/k8s), run as the kubelet runs them: a command in the pod, judged by its exit code."""
import os
import signal
import subprocess
import sys
import time

import pytest
from alembic import command

from common.migrations import alembic_config, upgrade_to_head
from hubstack import ready
from tests.support.waiting import free_port, random_suffix, wait_until

CLOSED = "pyamqp://guest:guest@127.0.0.1:{port}//"


def probe(*args, **env):
    """`python -m hubstack.ready ARGS` with only the settings given (no development defaults)."""
    clean = {k: v for k, v in os.environ.items()
             if not k.endswith(("_DB_URL", "_AMQP_URI")) and not k.startswith("HUB_")}
    return subprocess.run([sys.executable, "-m", "hubstack.ready", *args], env={**clean, **env},
                          capture_output=True, text=True, timeout=120)


def sqlite(tmp_path, service="training") -> str:
    return f"sqlite:///{tmp_path / (service + '.db')}"


# --- readiness: the database and the broker, with the pod's own settings -----------------------

def test_not_ready_when_the_broker_refuses(tmp_path):
    result = probe("training", TRAINING_DB_URL=sqlite(tmp_path), AMQP_URI=CLOSED.format(port=free_port()))
    assert result.returncode == 1
    assert "training: broker:" in result.stderr and "database" not in result.stderr


def test_not_ready_when_the_database_does_not_answer(tmp_path):
    closed = free_port()
    result = probe("rosters", ROSTERS_DB_URL=f"postgresql+psycopg2://hub:pw@127.0.0.1:{closed}/rosters",
                   ROSTERS_AMQP_URI=CLOSED.format(port=free_port()))
    assert result.returncode == 1
    assert "rosters: database: OperationalError" in result.stderr
    assert "pw@" not in result.stderr  # the URL's password is never printed


@pytest.mark.broker
def test_ready_when_its_own_broker_user_and_database_answer(tmp_path, broker_available):
    # the operator's AMQP_URI points nowhere: the probe connects as the service's own user
    result = probe("training", TRAINING_DB_URL=sqlite(tmp_path), AMQP_URI=CLOSED.format(port=free_port()),
                   TRAINING_AMQP_URI=broker_available)
    assert result.returncode == 0, result.stderr
    other = probe("rosters", ROSTERS_DB_URL=sqlite(tmp_path, "rosters"), AMQP_URI=CLOSED.format(port=free_port()),
                  TRAINING_AMQP_URI=broker_available)
    assert other.returncode == 1 and "broker" in other.stderr


@pytest.mark.broker
@pytest.mark.postgres
def test_ready_on_postgresql(postgres_url, broker_available):
    result = probe("documents", DOCUMENTS_DB_URL=postgres_url(), DOCUMENTS_AMQP_URI=broker_available)
    assert result.returncode == 0, result.stderr


def test_the_mailbox_is_ready_when_its_smtp_port_listens_and_the_broker_answers():
    closed = free_port()
    result = probe("inbound-mail", HUB_INBOUND_SMTP_PORT=str(closed),
                   DOCUMENTS_AMQP_URI=CLOSED.format(port=free_port()))
    assert result.returncode == 1
    assert f"SMTP port {closed}" in result.stderr and "broker" in result.stderr
    assert "database" not in result.stderr  # it has none


@pytest.mark.broker
def test_the_mailbox_uses_the_documents_broker_user(broker_available):
    import socket

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        result = probe("inbound-mail", HUB_INBOUND_SMTP_PORT=str(port), DOCUMENTS_AMQP_URI=broker_available,
                       AMQP_URI=CLOSED.format(port=free_port()))
    assert result.returncode == 0, result.stderr


def test_the_gateway_and_unknown_roles_are_refused():
    assert probe("gateway").returncode == 2  # the gateway answers /readyz over HTTP
    assert probe("nonsense").returncode == 2
    assert probe("inbound-mail", "--wait-for-migrations", "1").returncode == 2  # no database


# --- liveness: the process, and nothing outside the pod ------------------------------------------

def test_alive_while_the_process_runs_not_once_it_is_stopped_or_gone():
    role = f"probe-test-{random_suffix(8)}"
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", "hubstack.launch", role])
    try:
        wait_until(lambda: ready.process_problem(role) is None, 10, message="the child process")
        child.send_signal(signal.SIGSTOP)
        wait_until(lambda: "stopped" in (ready.process_problem(role) or ""), 10, message="the stopped state")
        child.send_signal(signal.SIGCONT)
        wait_until(lambda: ready.process_problem(role) is None, 10, message="the continued process")
    finally:
        child.kill()
        child.wait(timeout=10)
    assert ready.process_problem(role) == f"no {role} process (hubstack.launch {role}) is running"


def test_liveness_asks_neither_the_broker_nor_the_database(monkeypatch, capsys):
    # an outage of either makes pods unready; it must not restart every pod of the Hub
    def outside(*args, **kwargs):
        raise AssertionError("liveness looked outside the pod")

    monkeypatch.setattr(ready, "broker_problem", outside)
    monkeypatch.setattr(ready, "database_problem", outside)
    monkeypatch.setattr(ready, "migrations_problem", outside)
    asked = []
    monkeypatch.setattr(ready, "process_problem", lambda role: asked.append(role))
    assert ready.main(["rosters", "--live"]) == 0
    monkeypatch.setattr(ready, "process_problem", lambda role: f"no {role} process is running")
    assert ready.main(["documents", "--live"]) == 1
    assert asked == ["rosters"]
    assert "documents: no documents process is running" in capsys.readouterr().err


def test_the_mailbox_process_is_found_by_its_module():
    assert ready.process_words("inbound-mail") == ("documents.inbound_mail",)
    assert ready.process_words("rosters") == ("hubstack.launch", "rosters")


# --- the init container: wait for the migrations Job -------------------------------------------

def test_waits_for_an_empty_database_and_passes_once_migrated(tmp_path):
    url = sqlite(tmp_path)
    waiting = probe("training", "--wait-for-migrations", "0", TRAINING_DB_URL=url)
    assert waiting.returncode == 1
    assert "waiting for the migrations Job (database at no migrations" in waiting.stderr
    upgrade_to_head("training", url)
    assert probe("training", "--wait-for-migrations", "0", TRAINING_DB_URL=url).returncode == 0


def test_waits_for_a_database_an_older_release_migrated(tmp_path, monkeypatch):
    from alembic.script import ScriptDirectory

    from common.config import SERVICES

    for service in SERVICES:  # the first with more than one migration
        url = sqlite(tmp_path, service)
        script = ScriptDirectory.from_config(alembic_config(service, url))
        first = list(script.walk_revisions())[-1].revision
        if first not in script.get_heads():
            break
    monkeypatch.setenv(f"{service.upper()}_DB_URL", url)
    command.upgrade(alembic_config(service, url), first)
    assert "waiting for the migrations Job" in ready.migrations_problem(service)
    command.upgrade(alembic_config(service, url), "heads")
    assert ready.migrations_problem(service) is None


def test_a_database_migrated_by_a_newer_release_counts_as_migrated(tmp_path, monkeypatch):
    # during a rollout the old pods restart on a schema the new release's Job moved ahead
    url = sqlite(tmp_path)
    monkeypatch.setenv("TRAINING_DB_URL", url)
    upgrade_to_head("training", url)
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = 'f00dfeedcafe'"))
    engine.dispose()
    assert ready.migrations_problem("training") is None


def test_the_wait_ends_when_the_job_has_migrated(tmp_path, monkeypatch):
    url = sqlite(tmp_path)
    monkeypatch.setenv("TRAINING_DB_URL", url)
    waiter = subprocess.Popen([sys.executable, "-m", "hubstack.ready", "training", "--wait-for-migrations", "60"],
                              env={**os.environ, "TRAINING_DB_URL": url}, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1)
        assert waiter.poll() is None  # still waiting
        upgrade_to_head("training", url)  # what the Job does
        assert waiter.wait(timeout=30) == 0
    finally:
        if waiter.poll() is None:
            waiter.kill()
            waiter.wait(timeout=10)


def test_gives_up_when_the_job_never_comes(tmp_path):
    started = time.monotonic()
    result = probe("training", "--wait-for-migrations", "2", TRAINING_DB_URL=sqlite(tmp_path))
    assert result.returncode == 1 and "gave up after 2 s" in result.stderr
    assert time.monotonic() - started < 30
