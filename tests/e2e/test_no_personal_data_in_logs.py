"""SSNs, dates of birth and passwords never reach a log line, even when a request fails."""
import eventlet
import pytest
import requests

from tests.conftest import ROOT
from tests.support.factories import make_person

pytestmark = pytest.mark.e2e


def test_identity_numbers_and_passwords_stay_out_of_every_service_log(hub):
    person = make_person(date_of_birth="1983-07-19")
    assert requests.post(hub.api("/accounts"), json=person).status_code == 201
    # the same SSN again, a malformed request and a failed log-in: the unhappy paths log most
    assert requests.post(hub.api("/accounts"), json={**make_person(), "ssn": person["ssn"]}).status_code == 409
    assert requests.post(hub.api("/accounts"), json={**person, "ssn": person["ssn"] + "0"}).status_code == 422
    assert requests.post(hub.api("/session"),
                         json={"email": person["email"], "password": person["password"] + "x"}).status_code == 401
    eventlet.sleep(2)  # let the services write their lines
    logs = {path.name: path.read_text(errors="replace")
            for path in (ROOT / "test-artifacts" / "stack-logs").glob("*.log")}
    assert set(logs) >= {"accounts.log", "notifications.log", "gateway.log"}
    for name, text in logs.items():
        for secret in (person["ssn"], person["ssn"].replace("-", ""), person["password"], "1983-07-19"):
            assert secret not in text, f"{secret!r} appears in {name}"
