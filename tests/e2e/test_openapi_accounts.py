"""The OpenAPI document the running gateway serves describes the accounts API as it behaves:
it is a valid OpenAPI document, and every accounts endpoint is listed with its methods, its
success status and the refusals tests/e2e/test_accounts_api.py sees it give."""
import pytest
import requests

pytestmark = pytest.mark.e2e

# path → method → (success status, refusals the running API gives, bearer token needed?)
ACCOUNTS_API = {
    "/api/v1/accounts": {"post": (201, {409, 422, 429}, False)},
    "/api/v1/session": {"post": (200, {401, 422, 429}, False), "delete": (204, {401}, True)},
    "/api/v1/password-reset": {"post": (202, {422, 429}, False)},
    "/api/v1/password-reset/confirm": {"post": (204, {409, 410, 422, 429}, False)},
    "/api/v1/invitations/claim": {"post": (200, {409, 410, 422, 429}, False)},
    "/api/v1/me": {"get": (200, {401, 403, 404}, True), "patch": (200, {401, 403, 404, 409, 422}, True)},
    "/api/v1/me/password": {"post": (200, {401, 403, 422, 429}, True)},
    "/api/v1/people/{person_id}": {"get": (200, {401, 404}, True)},
    "/api/v1/staff/people": {"post": (201, {401, 403, 409, 422}, True)},
    "/api/v1/staff/people/search": {"post": (200, {401, 403, 422}, True)},
    "/api/v1/staff/people/{person_id}/invitation": {"post": (202, {401, 403, 404, 409, 422}, True)},
    "/api/v1/staff/accounts": {"post": (201, {401, 403, 409, 422}, True)},
    "/api/v1/staff/payroll-clients": {"post": (201, {401, 403, 422}, True)},
    "/api/v1/staff/payroll-clients/{client_id}/rotate": {"post": (200, {401, 403, 404}, True)},
    "/api/v1/integrations/payroll/whoami": {"get": (200, {401, 403}, True)},
    "/api/v1/staff/audit": {"get": (200, {401, 403}, True)},
}

OPERATIONS = [(path, method) for path, methods in ACCOUNTS_API.items() for method in methods]


@pytest.fixture(scope="module")
def document(hub):
    response = requests.get(hub.api("/openapi.json"))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    return response.json()


def resolve(document, schema: dict) -> dict:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        schema = document["components"]["schemas"][name]
    return schema


def test_the_served_document_is_valid_openapi(document):
    from openapi_spec_validator import validate

    validate(document)
    assert document["openapi"].startswith("3.")


@pytest.mark.parametrize("path", ACCOUNTS_API)
def test_every_accounts_path_is_listed_with_exactly_its_methods(document, path):
    assert path in document["paths"], sorted(document["paths"])
    assert set(document["paths"][path]) == set(ACCOUNTS_API[path])


@pytest.mark.parametrize("path, method", OPERATIONS)
def test_every_accounts_operation_documents_its_success_and_its_refusals(document, path, method):
    success, refusals, needs_token = ACCOUNTS_API[path][method]
    operation = document["paths"][path][method]
    documented = {int(status) for status in operation["responses"]}
    assert success in documented
    assert refusals <= documented, f"undocumented: {sorted(refusals - documented)}"
    for status in refusals:
        schema = operation["responses"][str(status)]["content"]["application/json"]["schema"]
        assert set(resolve(document, schema)["required"]) == {"error", "message"}
    assert ("security" in operation) == needs_token


@pytest.mark.parametrize("path, method", [op for op in OPERATIONS if ACCOUNTS_API[op[0]][op[1]][2]])
def test_authenticated_operations_document_acting_on_behalf(document, path, method):
    headers = [p for p in document["paths"][path][method].get("parameters", []) if p["in"] == "header"]
    assert [(h["name"], h["required"]) for h in headers] == [("X-Act-For", False)]


def test_path_parameters_are_declared_as_uuids(document):
    for path in ("/api/v1/people/{person_id}", "/api/v1/staff/people/{person_id}/invitation",
                 "/api/v1/staff/payroll-clients/{client_id}/rotate"):
        (operation,) = document["paths"][path].values()
        in_path = [p for p in operation["parameters"] if p["in"] == "path"]
        assert len(in_path) == 1 and in_path[0]["required"] is True
        assert in_path[0]["schema"] == {"type": "string", "format": "uuid"}
        assert "{" + in_path[0]["name"] + "}" in path


def test_create_account_documents_its_request_fields_and_forbids_others(document):
    operation = document["paths"]["/api/v1/accounts"]["post"]
    schema = resolve(document, operation["requestBody"]["content"]["application/json"]["schema"])
    assert {"email", "password", "first_name", "last_name", "date_of_birth", "ssn"} <= set(schema["required"])
    assert schema.get("additionalProperties") is False
    created = resolve(document, operation["responses"]["201"]["content"]["application/json"]["schema"])
    assert set(created["properties"]) == {"person_id", "il_number"}


def test_my_account_patch_documents_no_identity_fields(document):
    operation = document["paths"]["/api/v1/me"]["patch"]
    schema = resolve(document, operation["requestBody"]["content"]["application/json"]["schema"])
    assert not {"first_name", "last_name", "date_of_birth", "ssn", "roles"} & set(schema["properties"])
    assert {"email", "phone", "email_notifications"} <= set(schema["properties"])
    assert schema.get("additionalProperties") is False
