"""The mail transports against a real SMTP server (tests/support/smtp_sink.py)."""
import uuid
from email import message_from_bytes

import pytest
from notifications.mail import EmlFolderTransport, PermanentFailure, SmtpTransport, TemporaryFailure, build_email

from tests.support.waiting import free_port

pytestmark = pytest.mark.smtp

MAIL_FROM = "Contract Services <no-reply@thehub.local>"


def make_email(to: str, **overrides):
    fields = {"email_id": uuid.uuid4(), "to": to, "subject": "Your Safety Pass class",
              "body": "Hello Pat,\n\nYour class is on Monday.\n", "mail_from": MAIL_FROM}
    fields.update(overrides)
    return build_email(**fields)


@pytest.fixture
def transport(smtp):
    return SmtpTransport("127.0.0.1", smtp.port, MAIL_FROM, timeout=10)


def test_an_email_arrives_with_its_recipient_subject_body_and_stable_message_id(smtp, transport):
    email_id = uuid.uuid4()
    to = f"pat.{email_id.hex[:8]}@example.com"

    transport.send(make_email(to, email_id=email_id))

    [received] = smtp.messages_to(to)
    assert received["To"] == to
    assert received["From"] == MAIL_FROM
    assert received["Subject"] == "Your Safety Pass class"
    assert received["Message-ID"] == f"<{email_id}@thehub.local>"
    assert "Your class is on Monday." in received.get_payload(decode=True).decode()


def test_an_email_with_html_arrives_as_multipart_alternative_text_first(smtp, transport):
    to = f"pat.{uuid.uuid4().hex[:8]}@example.com"

    transport.send(make_email(to, html="<p>Hello Pat,</p><p>Your class is on <b>Monday</b>.</p>"))

    [received] = smtp.messages_to(to)
    assert received.get_content_type() == "multipart/alternative"
    text, html = received.iter_parts()  # readers show the last part they understand
    assert text.get_content_type() == "text/plain" and "Your class is on Monday." in text.get_content()
    assert html.get_content_type() == "text/html" and "<b>Monday</b>" in html.get_content()


def test_a_refused_recipient_is_a_permanent_failure_with_the_servers_code(smtp, transport):
    with pytest.raises(PermanentFailure) as failure:
        transport.send(make_email("bounce.pat@example.com"))

    assert failure.value.code == 550
    assert "No such user" in failure.value.reason
    assert smtp.messages() == []


def test_a_busy_mailbox_is_a_temporary_failure(smtp, transport):
    with pytest.raises(TemporaryFailure) as failure:
        transport.send(make_email("busy.pat@example.com"))

    assert "451" in str(failure.value)
    assert smtp.messages() == []


def test_a_mail_server_that_is_not_there_is_a_temporary_failure():
    transport = SmtpTransport("127.0.0.1", free_port(), MAIL_FROM, timeout=5)

    with pytest.raises(TemporaryFailure):
        transport.send(make_email("pat@example.com"))


def test_eml_folder_transport_writes_a_readable_eml_file(tmp_path):
    email_id = uuid.uuid4()
    folder = tmp_path / "mail"

    EmlFolderTransport(folder).send(make_email("pat@example.com", email_id=email_id))

    [path] = folder.glob("*.eml")
    assert str(email_id) in path.name
    message = message_from_bytes(path.read_bytes())
    assert message["To"] == "pat@example.com"
    assert message["Subject"] == "Your Safety Pass class"
    assert message["Message-ID"] == f"<{email_id}@thehub.local>"
    assert "Your class is on Monday." in message.get_payload(decode=True).decode()
