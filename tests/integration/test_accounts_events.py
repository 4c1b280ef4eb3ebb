"""accounts → notifications through the real broker: invitations, resets and claims reach people."""
import pytest
import sqlalchemy as sa
from accounts.service import AccountsService
from notifications.models import OutgoingEmail
from notifications.service import NotificationsService

from tests.support.databases import service_sessions
from tests.support.factories import make_person
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.broker, pytest.mark.smtp]
SYSTEM = {"roles": ["system"]}


@pytest.fixture
def services(runner_factory, service_config, smtp):
    config = {**service_config, "HUB_SMTP_HOST": "127.0.0.1", "HUB_SMTP_PORT": smtp.port,
              "HUB_PUBLIC_URL": "https://hub.example"}
    runner = runner_factory(config, AccountsService, NotificationsService)
    runner.start()
    yield config
    runner.stop()


def migrated(rpc) -> tuple[dict, dict]:
    data = make_person()
    data.pop("password")
    return data, rpc.accounts.create_person({**data, "origin": "import"}, SYSTEM)


def test_invitation_email_reaches_the_person_and_the_link_is_not_kept(services, rpc, smtp):
    data, person = migrated(rpc)
    rpc.accounts.send_invitation(person["person_id"], SYSTEM)
    mail = wait_until(lambda: smtp.messages_to(data["email"]), timeout=20, message="the invitation")[0]
    assert mail["Subject"] == "Action Required - Welcome to the Contract Services Portal!"
    body = mail.get_body(("plain",)).get_content()
    assert "https://hub.example/claim?token=" in body and "7 days" in body

    with service_sessions("notifications", services)() as session:
        sent = session.scalars(sa.select(OutgoingEmail).where(OutgoingEmail.status == "sent")).all()
    assert "token=" not in sent[-1].body  # a copy of the database opens nothing



def test_the_accounts_outbox_keeps_no_live_link_once_the_invitation_is_relayed(services, rpc, smtp):
    data, person = migrated(rpc)
    rpc.accounts.send_invitation(person["person_id"], SYSTEM)
    rpc.accounts.request_password_reset({"email": data["email"]}, SYSTEM)
    wait_until(lambda: len(smtp.messages_to(data["email"])) == 2, timeout=20, message="both e-mails")

    def stored_links():
        with service_sessions("accounts", services)() as session:
            outbox = session.info["base"].OutboxMessage
            return [row.payload for row in session.scalars(sa.select(outbox).where(
                outbox.event_type.in_(["invitation_sent", "password_reset_requested"])))]

    wait_until(lambda: len(stored_links()) == 2 and not any("token=" in p for p in stored_links()),
               timeout=10, message="the outbox copies to lose their links")


def test_claiming_posts_an_account_ready_message(services, rpc, smtp):
    data, person = migrated(rpc)
    rpc.accounts.send_invitation(person["person_id"], SYSTEM)
    mail = wait_until(lambda: smtp.messages_to(data["email"]), timeout=20, message="the invitation")[0]
    token = mail.get_body(("plain",)).get_content().split("claim?token=")[1].split()[0]
    claimed = rpc.accounts.claim_account({"token": token, "password": "a-long-password-1"})
    assert claimed["person_id"] == person["person_id"]
    inbox = wait_until(lambda: rpc.notifications.list_messages(person["person_id"])["messages"],
                       timeout=20, message="the account-ready message")
    assert inbox[0]["subject"] == "Your Portal account is ready"


def test_reset_email_goes_even_to_someone_who_opted_out_of_notifications(services, rpc, smtp):
    data = make_person()
    created = rpc.accounts.create_account(data)
    rpc.accounts.update_me(created["person_id"], {"email_notifications": False}, SYSTEM)
    wait_until(lambda: smtp.messages_to(data["email"]), timeout=20, message="the welcome")  # sent before opting out
    smtp.clear()
    rpc.accounts.request_password_reset({"email": data["email"]}, SYSTEM)
    mail = wait_until(lambda: smtp.messages_to(data["email"]), timeout=20, message="the reset e-mail")[0]
    assert mail["Subject"] == "Reset your Contract Services Portal password"
    assert "https://hub.example/reset-password?token=" in mail.get_body(("plain",)).get_content()
