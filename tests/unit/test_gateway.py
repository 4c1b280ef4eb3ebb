"""The gateway on its own: Flask's test client, and a fake RPC pool standing in for the services."""
import re
from contextlib import contextmanager

import pytest
from flask import Blueprint, jsonify
from gateway.auth import require_api
from gateway.rpc import RpcPool
from kombu.exceptions import OperationalError
from nameko.exceptions import RpcTimeout, UnknownService
from openapi_spec_validator import validate

from common.errors import (
    Conflict,
    Forbidden,
    NotFound,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    ValidationFailed,
)
from tests.support.fake_gateway import PERSON_ID, FakeRpc, csrf_token_of, make_app, make_principal  # noqa: F401

ME = {"person_id": PERSON_ID, "il_number": "1234567890", "first_name": "Pat", "last_name": "Grip",
      "email": "pat@example.com", "email_undeliverable": False, "ssn_masked": "***-**-6789",
      "roles": ["industry_professional"]}

HUB_ERRORS = [
    (ValidationFailed, 422, "validation_failed"),
    (NotFound, 404, "not_found"),
    (Conflict, 409, "conflict"),
    (Unauthorized, 401, "unauthorized"),
    (Forbidden, 403, "forbidden"),
    (TooManyRequests, 429, "too_many_requests"),
    (ServiceUnavailable, 503, "service_unavailable"),
]


def logged_in(client, fake_rpc, *roles: str, token: str = "page-token"):
    """A browser session holding `token`, which accounts resolves to a principal."""
    with client.session_transaction() as session:
        session["token"] = token
    fake_rpc.answer("accounts", "authenticate", make_principal(*roles))
    return client


def bearer(token: str = "api-token") -> dict:
    return {"Authorization": f"Bearer {token}"}


# --- the error table -----------------------------------------------------------------------------

@pytest.mark.parametrize("error, status, code", HUB_ERRORS, ids=[e[0].__name__ for e in HUB_ERRORS])
def test_each_hub_error_becomes_its_status_and_code_on_the_api(client, fake_rpc, error, status, code):
    fake_rpc.answer("accounts", "authenticate", make_principal())
    fake_rpc.answer("accounts", "get_me", error("Plain words for the person."))

    response = client.get("/api/v1/me", headers=bearer())

    assert response.status_code == status
    assert response.is_json
    assert response.get_json() == {"error": code, "message": "Plain words for the person."}


def test_details_of_a_validation_error_reach_the_api_client(client, fake_rpc):
    fake_rpc.answer("accounts", "authenticate", make_principal())
    fake_rpc.answer("accounts", "get_me", ValidationFailed("Please correct: ssn", {"fields": {"ssn": "bad"}}))

    body = client.get("/api/v1/me", headers=bearer()).get_json()

    assert body == {"error": "validation_failed", "message": "Please correct: ssn",
                    "details": {"fields": {"ssn": "bad"}}}


@pytest.mark.parametrize("error, status, code", HUB_ERRORS, ids=[e[0].__name__ for e in HUB_ERRORS])
def test_each_hub_error_becomes_a_page_with_its_message(client, fake_rpc, error, status, code):
    logged_in(client, fake_rpc)
    fake_rpc.answer("accounts", "get_me", error("Plain words for the person."))

    response = client.get("/portal")

    assert response.status_code == status
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "Plain words for the person." in page
    assert re.search(r"<h1>(We could not do that|Not found|Something went wrong on our side)</h1>", page)
    assert 'href="/"' in page  # a way back


def test_a_logged_in_page_says_plainly_when_accounts_cannot_be_reached(client, fake_rpc):
    logged_in(client, fake_rpc)
    fake_rpc.answer("accounts", "authenticate", ServiceUnavailable("The accounts service did not answer in time."))

    response = client.get("/portal")

    # the error page's own menu must not ask accounts again (and wait out a second timeout)
    assert response.status_code == 503
    assert "The accounts service did not answer in time." in response.get_data(as_text=True)
    assert fake_rpc.methods_called() == [("accounts", "authenticate")]
    with client.session_transaction() as session:
        assert session["token"] == "page-token"  # an outage does not log anyone out


def test_an_unexpected_error_is_a_plain_500_without_a_traceback(client, fake_rpc, caplog):
    fake_rpc.answer("accounts", "authenticate", make_principal())
    fake_rpc.answer("accounts", "get_me", RuntimeError("secret detail at /srv/hub/accounts.py"))

    api = client.get("/api/v1/me", headers=bearer())
    logged_in(client, fake_rpc)
    page = client.get("/portal")

    assert api.status_code == 500
    assert api.get_json() == {"error": "internal_error",
                              "message": "Something went wrong on our side. Please try again."}
    assert page.status_code == 500
    assert "Something went wrong on our side" in page.get_data(as_text=True)
    for body in (api.get_data(as_text=True), page.get_data(as_text=True)):
        assert "Traceback" not in body
        assert "RuntimeError" not in body
        assert "secret detail" not in body
    # the details go to the log instead, where an operator can find them
    assert any(record.exc_info and "secret detail" in str(record.exc_info[1]) for record in caplog.records)


def test_an_unknown_api_path_answers_json_not_a_page(client):
    response = client.get("/api/v1/no-such-thing")

    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


# --- who is asking -------------------------------------------------------------------------------

@pytest.mark.parametrize("headers", [{}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer "}],
                         ids=["no header", "basic auth", "empty bearer"])
def test_the_api_answers_401_without_a_bearer_token(client, fake_rpc, headers):
    response = client.get("/api/v1/me", headers=headers)

    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"
    assert fake_rpc.calls == []  # nothing to ask the accounts service about


def test_the_api_answers_401_when_accounts_rejects_the_token(client, fake_rpc):
    fake_rpc.answer("accounts", "authenticate", Unauthorized("Your session has ended. Please log in again."))

    response = client.get("/api/v1/me/messages", headers=bearer("revoked"))

    assert response.status_code == 401
    assert fake_rpc.methods_called() == [("accounts", "authenticate")]


def test_the_api_passes_the_principal_from_the_token_to_the_endpoint(client, fake_rpc):
    fake_rpc.answer("accounts", "authenticate", make_principal())
    fake_rpc.answer("accounts", "get_me", ME)

    response = client.get("/api/v1/me", headers=bearer("the-token"))

    assert response.status_code == 200
    assert response.get_json() == ME
    assert fake_rpc.calls[0] == ("accounts", "authenticate", ("the-token",))
    service, method, (person_id, actor) = fake_rpc.calls[1]
    assert (service, method, person_id) == ("accounts", "get_me", PERSON_ID)
    assert actor["roles"] == ["industry_professional"] and actor["on_behalf_of"] is None


@pytest.fixture
def staff_app(fake_rpc):
    app = make_app(fake_rpc)
    throwaway = Blueprint("throwaway", __name__, url_prefix="/api/v1/test-only")

    @throwaway.get("/staff-thing")
    @require_api("staff_admin")
    def staff_thing(principal):
        return jsonify({"person_id": str(principal.person_id), "roles": principal.roles})

    app.register_blueprint(throwaway)
    return app


def test_a_role_restricted_endpoint_refuses_a_principal_without_the_role(staff_app, fake_rpc):
    fake_rpc.answer("accounts", "authenticate", make_principal("industry_professional"))

    response = staff_app.test_client().get("/api/v1/test-only/staff-thing", headers=bearer())

    assert response.status_code == 403
    assert response.get_json()["error"] == "forbidden"


def test_a_role_restricted_endpoint_admits_a_principal_with_the_role(staff_app, fake_rpc):
    fake_rpc.answer("accounts", "authenticate", make_principal("industry_professional", "staff_admin"))

    response = staff_app.test_client().get("/api/v1/test-only/staff-thing", headers=bearer())

    assert response.status_code == 200
    assert response.get_json() == {"person_id": PERSON_ID, "roles": ["industry_professional", "staff_admin"]}


def test_the_portal_sends_a_logged_out_person_to_login_with_a_way_back(client, fake_rpc):
    response = client.get("/portal")

    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/portal"
    assert fake_rpc.calls == []


def test_a_session_whose_token_was_revoked_is_sent_to_login_and_forgotten(client, fake_rpc):
    with client.session_transaction() as session:
        session["token"] = "revoked"
    fake_rpc.answer("accounts", "authenticate", Unauthorized("Your session has ended."))

    response = client.get("/portal/messages")

    assert response.headers["Location"] == "/login?next=/portal/messages"
    with client.session_transaction() as session:
        assert "token" not in session


# --- forms: CSRF and where a login sends you -----------------------------------------------------

@pytest.fixture
def csrf_client(fake_rpc):
    return make_app(fake_rpc, WTF_CSRF_ENABLED=True).test_client()


def test_a_form_post_without_a_csrf_token_is_refused(csrf_client, fake_rpc):
    login = csrf_client.post("/login", data={"email": "pat@example.com", "password": "a-long-password-1"})
    logout = csrf_client.post("/logout")

    assert login.status_code == 400
    assert logout.status_code == 400
    assert "CSRF" in login.get_data(as_text=True)
    assert fake_rpc.calls == []  # refused before anything reached a service


def test_a_form_post_with_the_csrf_token_from_the_page_is_accepted(csrf_client, fake_rpc):
    fake_rpc.answer("accounts", "log_in", {"token": "new-token"})
    token = csrf_token_of(csrf_client.get("/login").get_data(as_text=True))

    response = csrf_client.post("/login", data={"email": "pat@example.com", "password": "a-long-password-1",
                                                "csrf_token": token})

    assert response.status_code == 302
    assert response.headers["Location"] == "/portal"


def test_the_json_api_with_a_bearer_token_needs_no_csrf_token(csrf_client, fake_rpc):
    fake_rpc.answer("accounts", "log_in", {"token": "new-token", "expires_at": "2030-01-01T00:00:00Z"})
    fake_rpc.answer("accounts", "authenticate", make_principal())
    fake_rpc.answer("accounts", "log_out", None)

    logged_in = csrf_client.post("/api/v1/session", json={"email": "pat@example.com", "password": "x"})
    logged_out = csrf_client.delete("/api/v1/session", headers=bearer("new-token"))

    assert logged_in.status_code == 200
    assert logged_in.get_json()["token"] == "new-token"
    assert logged_out.status_code == 204


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example", "http://evil.example/portal",
                                    "/\\evil.example", "/\t/evil.example", "/\n/evil.example",
                                    "evil.example", ""])
def test_login_never_sends_a_person_to_another_host(client, fake_rpc, target):
    fake_rpc.answer("accounts", "log_in", {"token": "new-token"})

    response = client.post("/login", query_string={"next": target},
                           data={"email": "pat@example.com", "password": "a-long-password-1"})

    assert response.status_code == 302
    assert response.headers["Location"] == "/portal"


def test_login_returns_a_person_to_the_page_they_asked_for(client, fake_rpc):
    fake_rpc.answer("accounts", "log_in", {"token": "new-token"})

    response = client.post("/login?next=/portal/messages",
                           data={"email": "pat@example.com", "password": "a-long-password-1"})

    assert response.headers["Location"] == "/portal/messages"


# --- headers and the API document ----------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/login", "/api/v1/openapi.json", "/api/v1/me", "/no-such-page"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)

    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy


def api_routes(app) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            routes |= {(path, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return routes


def test_the_openapi_document_is_valid_and_lists_every_api_route(client, app):
    document = client.get("/api/v1/openapi.json").get_json()

    validate(document)
    documented = {(path, method) for path, operations in document["paths"].items() for method in operations}
    assert api_routes(app), "no API routes found: the comparison would prove nothing"
    assert documented == api_routes(app)


# --- the RPC pool --------------------------------------------------------------------------------

class FakeProxy:
    """proxy.<service>.<method>(...) → behaviour(service, method, *args)."""

    def __init__(self, behaviour):
        self._behaviour = behaviour

    def with_correlation_id(self, correlation_id):  # as gateway.rpc.ExpiringProxy
        return self

    def __getattr__(self, service):
        behaviour = self._behaviour

        class Service:
            def __getattr__(self, method):
                return lambda *args, **kwargs: behaviour(service, method, *args)

        return Service()


def raising(exc):
    def behaviour(*_):
        raise exc
    return behaviour


class FakeRunner:
    def __init__(self):
        self.stopped = False

    def stop(self):
        self.stopped = True


@pytest.fixture
def pool():
    pool = RpcPool("memory://", size=1, timeout=2)
    yield pool
    pool.close()


@pytest.mark.parametrize("failure", [RpcTimeout(), OperationalError("connection refused"),
                                     ConnectionResetError(), UnknownService("training")],
                         ids=["timeout", "broker down", "connection reset", "service not running"])
def test_the_rpc_pool_turns_a_silent_service_into_service_unavailable(pool, monkeypatch, failure):
    @contextmanager
    def borrow(timeout):
        yield FakeProxy(raising(failure))

    monkeypatch.setattr(pool, "_borrow", borrow)

    with pytest.raises(ServiceUnavailable) as raised:
        pool.call("training", "list_courses")
    assert raised.value.http_status == 503
    assert "try again" in raised.value.message


def test_the_rpc_pool_names_the_service_that_timed_out(pool, monkeypatch):
    @contextmanager
    def borrow(timeout):
        yield FakeProxy(raising(RpcTimeout()))

    monkeypatch.setattr(pool, "_borrow", borrow)

    with pytest.raises(ServiceUnavailable, match="training service did not answer in time"):
        pool.call("training", "list_courses")


def test_the_rpc_pool_lets_a_service_error_through_unchanged(pool, monkeypatch):
    @contextmanager
    def borrow(timeout):
        yield FakeProxy(raising(NotFound("No such message.")))

    monkeypatch.setattr(pool, "_borrow", borrow)

    with pytest.raises(NotFound, match="No such message."):
        pool.call("notifications", "mark_message_read", "a", "b")


@pytest.fixture
def pool_with_fake_proxies(pool, monkeypatch):
    """The real borrowing logic over fake proxies; `runners` lists every proxy the pool made."""
    runners, behaviour = [], {"current": lambda service, method, *args: "ok"}

    def new(timeout):
        runner = FakeRunner()
        runners.append(runner)
        return runner, FakeProxy(lambda *call: behaviour["current"](*call))

    monkeypatch.setattr(pool, "_new", new)
    return pool, runners, behaviour


def test_the_rpc_pool_keeps_a_proxy_after_the_service_answered_with_an_error(pool_with_fake_proxies):
    pool, runners, behaviour = pool_with_fake_proxies
    behaviour["current"] = raising(Conflict("That e-mail address already has an account."))

    with pytest.raises(Conflict):
        pool.call("accounts", "create_account", {})

    assert len(runners) == 1 and not runners[0].stopped
    assert pool._idle.qsize() == 1
    behaviour["current"] = lambda *call: "ok"
    assert pool.call("accounts", "health") == "ok"
    assert len(runners) == 1  # the same proxy served the next call


def test_the_rpc_pool_throws_away_a_proxy_that_timed_out(pool_with_fake_proxies):
    pool, runners, behaviour = pool_with_fake_proxies
    behaviour["current"] = raising(RpcTimeout())

    with pytest.raises(ServiceUnavailable):
        pool.call("accounts", "get_me", PERSON_ID)

    assert runners[0].stopped
    assert pool._idle.qsize() == 0
    assert pool._created == 0  # the slot is free again, so a pool of one is not stuck
    behaviour["current"] = lambda *call: "ok"
    assert pool.call("accounts", "health") == "ok"
    assert len(runners) == 2  # a fresh proxy: a late reply cannot reach the next caller



def test_account_creation_is_rate_limited_per_address_with_a_clear_answer(fake_rpc):
    fake_rpc.answer("accounts", "create_account", {"person_id": PERSON_ID, "il_number": "1234567890"})
    app = make_app(fake_rpc, RATELIMIT_ENABLED=True, RATELIMIT_CREATE_ACCOUNT="2 per hour")
    client = app.test_client()
    body = {"email": "pat@example.com", "password": "a-long-password-1", "first_name": "Pat",
            "last_name": "Grip", "date_of_birth": "1990-01-02", "ssn": "123-45-6789"}
    assert [client.post("/api/v1/accounts", json=body).status_code for _ in range(2)] == [201, 201]
    refused = client.post("/api/v1/accounts", json=body)
    assert refused.status_code == 429
    assert refused.get_json()["error"] == "too_many_requests"
    assert "try again later" in refused.get_json()["message"].lower()
    assert fake_rpc.methods_called().count(("accounts", "create_account")) == 2
