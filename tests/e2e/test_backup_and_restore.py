"""Backup and restore of the whole running Hub (SQLite files and local objects): a person's
account, classification record and uploaded document are backed up while the Hub runs, the data
folder is wiped, the backup restored, and after a restart the same person logs in and sees the
same dashboard and downloads the same bytes.

The Hub here is its own (not the session's `hub`): it is stopped, wiped and started again."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from types import SimpleNamespace
from urllib.parse import urlparse

import pytest
import requests

from tests.conftest import (
    ROOT,
    RunningHub,
    hub_test_environment,
    start_test_hub,
    throwaway_vhost,
)
from tests.support.api_client import bearer, log_in
from tests.support.factories import make_person
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

CODE = "399-DRIVER-G3"


@pytest.fixture
def own_hub(rabbit_manager, broker_available, smtp_sink, tmp_path, request):
    """`start()` starts the Hub (as the session's `hub` fixture does) on its own vhost and data
    folder; call it again after `stack.stop()` for a restart. Everything is stopped at the end."""
    amqp_uri = throwaway_vhost(rabbit_manager, request, "hub_backup")
    data_dir = tmp_path / "hub-data"
    data_dir.mkdir()
    env = hub_test_environment(amqp_uri, data_dir, smtp_sink.port)
    started: list[RunningHub] = []

    def start() -> RunningHub:
        started.append(start_test_hub(env, ROOT / "test-artifacts" / "backup-stack-logs", smtp_sink))
        return started[-1]

    yield SimpleNamespace(start=start, env=env, data_dir=data_dir)
    for running in started:
        running.stack.stop()
    rabbit_manager.delete_vhost(urlparse(amqp_uri).path.lstrip("/"))


def tool(own_hub, module: str, *args) -> subprocess.CompletedProcess:
    """`python -m hubstack.<module>` as an operator runs it, with the Hub's settings."""
    return subprocess.run([sys.executable, "-m", f"hubstack.{module}", *map(str, args)], cwd=ROOT,
                          env={**os.environ, **own_hub.env}, capture_output=True, text=True, timeout=300)


def what_they_see(hub, token: str) -> dict:
    dashboard = requests.get(hub.api("/me/classifications"), headers=bearer(token))
    documents = requests.get(hub.api("/me/documents"), headers=bearer(token))
    assert dashboard.status_code == 200 and documents.status_code == 200
    return {"dashboard": dashboard.json(), "documents": documents.json()}


def settled(hub, token: str) -> dict:
    """What the person sees once the events of their last steps have all been handled: the same
    answer three times in a row."""
    seen, deadline = [], time.monotonic() + 30
    while len(seen) < 3 or any(s != seen[-1] for s in seen[-3:]):
        assert time.monotonic() < deadline, "the dashboard kept changing"
        seen.append(what_they_see(hub, token))
        time.sleep(0.7)
    return seen[-1]


def test_backup_wipe_and_restore_bring_back_the_same_dashboard_and_document(own_hub, tmp_path):
    hub = own_hub.start()
    person = make_person()
    assert requests.post(hub.api("/accounts"), json=person).status_code == 201
    token = log_in(hub, person["email"], person["password"])
    applied = requests.post(hub.api("/me/applications"), headers=bearer(token), json={"classification_code": CODE})
    assert applied.status_code == 201, applied.text
    data = (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% " + uuid.uuid4().hex.encode() +
            b"\ntrailer << /Root 1 0 R >>\n%%EOF\n")
    uploaded = requests.post(hub.api("/me/documents"), headers=bearer(token),
                             files={"file": ("medical.pdf", data, "application/pdf")},
                             data={"document_type": "dot_medical_certificate", "classification_code": CODE})
    assert uploaded.status_code == 201, uploaded.text
    document_id = uploaded.json()["id"]
    before = settled(hub, token)
    assert [r["classification_code"] for r in before["dashboard"]["records"]] == [CODE]
    assert [d["id"] for d in before["documents"]["documents"]] == [document_id]

    backup_dir = tmp_path / "backup"
    made = tool(own_hub, "backup", "--to", backup_dir)  # while the Hub runs
    assert made.returncode == 0, made.stderr
    assert "Backup complete" in made.stdout and "5 databases, 1 objects" in made.stdout
    for personal in (person["email"], person["last_name"], person["ssn"], person["date_of_birth"]):
        assert personal not in made.stdout + made.stderr
    assert what_they_see(hub, token) == before

    hub.stack.stop()
    shutil.rmtree(own_hub.data_dir)
    own_hub.data_dir.mkdir()
    restored = tool(own_hub, "restore", "--from", backup_dir)
    assert restored.returncode == 0, restored.stderr
    assert "Every part is present and matches its checksum" in restored.stdout
    for personal in (person["email"], person["last_name"], person["ssn"], person["date_of_birth"]):
        assert personal not in restored.stdout + restored.stderr

    hub = own_hub.start()
    token = log_in(hub, person["email"], person["password"])
    wait_until(lambda: what_they_see(hub, token) == before, timeout=30,
               message="the restored Hub to show the same dashboard and documents")
    download = requests.get(hub.api(f"/me/documents/{document_id}/file"), headers=bearer(token))
    assert download.status_code == 200 and download.content == data

    again = tool(own_hub, "restore", "--from", backup_dir)  # the Hub now holds data
    assert again.returncode == 1 and "Restore refused: already holding data" in again.stderr
