"""The employer's API and home page over a fake RPC pool: who may send a proof, the SSN never
echoed, the employer's own organisation only, and the home with search, list and form."""
from __future__ import annotations

import uuid

import pytest

from common.errors import ValidationFailed
from tests.support.fake_gateway import make_principal

BEARER = {"Authorization": "Bearer api-token"}
ORG = "Cartoon Studios"
SSN = "123-45-6789"


def employer(org=ORG) -> dict:
    return {"account_id": str(uuid.uuid4()), "person_id": None, "roles": ["employer"], "organisation": org}


def body(**overrides) -> dict:
    data = {"ssn": SSN, "first_name": "Ana", "last_name": "Mator", "employer": ORG,
            "classification_code": "839-ANIMATION", "first_day": "2024-03-01"}
    data.update(overrides)
    return data


OUT = {"id": str(uuid.uuid4()), "status": "held", "first_name": "Ana", "last_name": "Mator", "il_number": None,
       "employer": ORG, "classification_code": "839-ANIMATION", "classification_name": "Local #839 (HP)",
       "first_day": "2024-03-01", "record_status": None, "record_status_label": None, "day_recorded": True,
       "message": "Thank you. Ana Mator has no Hub account yet: the proof is held."}


def test_an_employer_sends_a_proof_and_gets_201_without_the_ssn(client, fake_rpc):
    principal = employer()
    fake_rpc.answer("accounts", "authenticate", principal)
    fake_rpc.answer("rosters", "submit_employment_proof", OUT)
    response = client.post("/api/v1/staff/employment-proofs", json=body(), headers=BEARER)
    assert response.status_code == 201, response.get_json()
    assert "123456789" not in response.get_data(as_text=True) and SSN not in response.get_data(as_text=True)
    _, _, args = fake_rpc.calls[-1]
    payload, actor, organisation = args
    assert payload["ssn"] == "123456789" and actor["roles"] == ["employer"] and organisation == ORG


def test_staff_may_send_a_proof_for_any_employer(client, fake_rpc):
    fake_rpc.answer("accounts", "authenticate", make_principal("staff_reviewer"))
    fake_rpc.answer("rosters", "submit_employment_proof", OUT)
    response = client.post("/api/v1/staff/employment-proofs", json=body(employer="Another Studio"), headers=BEARER)
    assert response.status_code == 201
    assert fake_rpc.calls[-1][2][2] is None


def test_an_industry_professional_may_not_send_a_proof(client, fake_rpc):
    fake_rpc.answer("accounts", "authenticate", make_principal("industry_professional"))
    response = client.post("/api/v1/staff/employment-proofs", json=body(), headers=BEARER)
    assert response.status_code == 403
    assert ("rosters", "submit_employment_proof") not in fake_rpc.methods_called()


def test_without_a_login_a_proof_is_refused(client, fake_rpc):
    assert client.post("/api/v1/staff/employment-proofs", json=body()).status_code == 401


def test_an_employer_proves_employment_for_its_own_organisation_only(client, fake_rpc):
    fake_rpc.answer("accounts", "authenticate", employer())
    response = client.post("/api/v1/staff/employment-proofs", json=body(employer="Rival Pictures"), headers=BEARER)
    assert response.status_code == 422
    assert ORG in response.get_json()["message"]


@pytest.mark.parametrize("bad, field", [
    ({"ssn": "12-345"}, "ssn"), ({"ssn": "666-12-3456"}, "ssn"), ({"last_name": ""}, "last_name"),
    ({"first_day": "2999-01-01"}, "first_day"), ({"first_day": "1900-01-01"}, "first_day"),
    ({"classification_code": ""}, "classification_code"),
])
def test_bad_proofs_are_422_naming_the_field_and_never_the_ssn(client, fake_rpc, bad, field):
    fake_rpc.answer("accounts", "authenticate", employer())
    response = client.post("/api/v1/staff/employment-proofs", json=body(**bad), headers=BEARER)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert field in text and "12-345" not in text and "666-12-3456" not in text


def test_an_unknown_classification_is_the_services_plain_422(client, fake_rpc):
    fake_rpc.answer("accounts", "authenticate", employer())
    fake_rpc.answer("rosters", "submit_employment_proof", ValidationFailed("There is no classification 'X-Y'."))
    response = client.post("/api/v1/staff/employment-proofs", json=body(classification_code="X-Y"), headers=BEARER)
    assert response.status_code == 422 and "no classification" in response.get_json()["message"]


PEOPLE = {"people": [{"proof_id": str(uuid.uuid4()), "first_name": "Ana", "last_name": "Mator",
                      "il_number": None, "classification_code": "839-ANIMATION",
                      "classification_name": "The Animation Guild, Local #839", "first_day": "2024-03-01",
                      "status": "held", "status_label": "Waiting for the person to create their account"}]}
CATALOG = [{"code": "839-ANIMATION", "name": "The Animation Guild, Local #839", "local": "839",
            "local_name": "The Animation Guild, Local #839"}]


def log_in_page(client, fake_rpc, principal):
    with client.session_transaction() as session:
        session["token"] = "page-token"
    fake_rpc.answer("accounts", "authenticate", principal)
    fake_rpc.answer("rosters", "employed_people", PEOPLE)
    fake_rpc.answer("rosters", "list_classifications", CATALOG)


def test_an_employer_lands_on_the_employer_home_with_search_list_and_form(client, fake_rpc):
    log_in_page(client, fake_rpc, employer())
    landing = client.get("/portal")
    assert landing.status_code == 302 and landing.headers["Location"].endswith("/employers")
    page = client.get("/employers")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Verify a person" in html and 'data-testid="employed-person"' in html and "Mator, Ana" in html
    assert 'data-testid="proof-form"' in html and f'value="{ORG}"' in html


def test_the_home_form_sends_a_proof_and_never_writes_the_ssn_back(client, fake_rpc):
    log_in_page(client, fake_rpc, employer())
    fake_rpc.answer("rosters", "submit_employment_proof", OUT)
    response = client.post("/employers/proofs", data=body())
    assert response.status_code == 302
    assert ("rosters", "submit_employment_proof") in fake_rpc.methods_called()
    refused = client.post("/employers/proofs", data=body(first_day="2999-01-01"))
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "future" in html and SSN not in html and "123456789" not in html


def test_an_industry_professional_may_not_see_the_employer_home(client, fake_rpc):
    with client.session_transaction() as session:
        session["token"] = "page-token"
    fake_rpc.answer("accounts", "authenticate", make_principal("industry_professional"))
    assert client.get("/employers").status_code == 403
