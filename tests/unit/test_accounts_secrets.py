"""Start-up secrets: a missing key stops the start with a message naming it, unless development
defaults were asked for (make run, the test fixtures); any payroll key an operator sets works."""
import pytest
from accounts import staff
from accounts.service import AccountsService
from nameko.testing.services import worker_factory

from common.errors import Unauthorized
from common.secrets import MissingSecret
from tests.support.databases import memory_sessions

NO_DEV_DEFAULTS = {"HUB_DEV_DEFAULTS": "0"}


class Container:
    def __init__(self, config):
        self.config = config


def start_check(config):
    container = Container(config)  # extensions hold their container weakly
    AccountsService.required_secrets.bind(container, "required_secrets").setup()


def test_the_accounts_service_refuses_to_start_without_an_ssn_key(monkeypatch):
    monkeypatch.delenv("HUB_SSN_KEY", raising=False)
    with pytest.raises(MissingSecret) as error:
        start_check({**NO_DEV_DEFAULTS, "HUB_SSN_KEY": ""})
    assert "HUB_SSN_KEY" in str(error.value) and "HUB_DEV_DEFAULTS" in str(error.value)


def test_the_accounts_service_starts_with_an_ssn_key_or_with_development_defaults(monkeypatch):
    monkeypatch.delenv("HUB_SSN_KEY", raising=False)
    start_check({**NO_DEV_DEFAULTS, "HUB_SSN_KEY": "a-real-key"})
    start_check({"HUB_DEV_DEFAULTS": "1"})


def test_the_ssn_key_never_silently_falls_back_to_the_development_default(monkeypatch):
    from accounts import ssn

    monkeypatch.delenv("HUB_SSN_KEY", raising=False)
    with pytest.raises(MissingSecret):
        ssn.ssn_index("123456789", NO_DEV_DEFAULTS)


def test_the_gateway_refuses_to_start_without_a_secret_key(monkeypatch):
    from gateway import create_app

    monkeypatch.delenv("HUB_SECRET_KEY", raising=False)
    monkeypatch.setenv("HUB_DEV_DEFAULTS", "0")
    with pytest.raises(MissingSecret) as error:
        create_app({"TESTING": True})
    assert "HUB_SECRET_KEY" in str(error.value)
    assert create_app({"TESTING": True, "SECRET_KEY": "given"}).config["SECRET_KEY"] == "given"
    monkeypatch.setenv("HUB_SECRET_KEY", "from-the-environment")
    assert create_app({"TESTING": True}).config["SECRET_KEY"] == "from-the-environment"


def test_a_payroll_key_without_the_usual_prefix_still_authenticates():
    factory = memory_sessions("accounts")
    staff.bootstrap(factory, None, None, "an-operators-own-payroll-key-0123")
    with factory() as session:
        service = worker_factory(AccountsService, db=session, config={})
        # the gateway asks `authenticate` for any bearer token without the hubpk_ prefix
        principal = service.authenticate("an-operators-own-payroll-key-0123")
        assert principal["roles"] == ["payroll_client"]
        assert service.authenticate_api_key("an-operators-own-payroll-key-0123")["roles"] == ["payroll_client"]
        with pytest.raises(Unauthorized):
            service.authenticate("not-a-session-nor-a-key")


def test_the_rosters_service_refuses_to_start_without_an_ssn_key(monkeypatch):
    from rosters.service import RostersService

    monkeypatch.delenv("HUB_SSN_KEY", raising=False)
    container = Container({**NO_DEV_DEFAULTS, "HUB_SSN_KEY": ""})
    with pytest.raises(MissingSecret, match="HUB_SSN_KEY"):
        RostersService.required_secrets.bind(container, "required_secrets").setup()
