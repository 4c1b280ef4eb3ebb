"""Accounts and notifications over RabbitMQ with a real SMTP server: a new account is welcomed
by e-mail, and an address the mail server refuses comes back to accounts as undeliverable
(notifications gets 550 → notifications.email_failed through its outbox → accounts)."""
import pytest
from accounts.service import AccountsService
from nameko.standalone.rpc import ClusterRpcProxy
from notifications.service import NotificationsService

from tests.support.factories import make_person
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.smtp, pytest.mark.broker, pytest.mark.postgres]


@pytest.fixture
def rpc(service_config, postgres_url, smtp, runner_factory):
    config = {**service_config, "ACCOUNTS_DB_URL": postgres_url(),
              "HUB_SMTP_HOST": "127.0.0.1", "HUB_SMTP_PORT": smtp.port}
    runner = runner_factory(config, AccountsService, NotificationsService)
    runner.start()
    with ClusterRpcProxy(service_config, timeout=10) as proxy:
        yield proxy
    # nameko's own teardown would stop the services only after the database is dropped
    runner.stop()


def test_a_new_account_is_welcomed_by_email(rpc, smtp):
    person = make_person()
    email = person["email"]

    created = rpc.accounts.create_account(person)

    [welcome] = wait_until(lambda: smtp.messages_to(email), timeout=20,
                           message="the welcome e-mail at the SMTP server")
    assert welcome["Subject"] == "Welcome to the Industry Hub"
    assert welcome.get_content_type() == "multipart/alternative"
    assert created["il_number"] in welcome.get_body(("plain",)).get_content()
    assert created["il_number"] in welcome.get_body(("html",)).get_content()
    assert rpc.accounts.get_me(created["person_id"])["email_undeliverable"] is False


def test_an_address_the_mail_server_refuses_is_marked_undeliverable_and_no_other(rpc, smtp):
    good_person = make_person()
    good = rpc.accounts.create_account(good_person)
    bounced = rpc.accounts.create_account(make_person(email="bounce.x@example.com"))

    wait_until(lambda: rpc.accounts.get_me(bounced["person_id"])["email_undeliverable"],
               timeout=20, interval=0.25, message="accounts to hear the address was refused")

    # the good address has been tried too, so "False" below is its answer, not a pending one
    wait_until(lambda: smtp.messages_to(good_person["email"]), timeout=20,
               message="the good welcome e-mail")
    assert rpc.accounts.get_me(good["person_id"])["email_undeliverable"] is False
    assert smtp.messages_to("bounce.x@example.com") == []
