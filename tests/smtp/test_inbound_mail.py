"""The documents mailbox (seed 000, option 3) for real: a message with attachments sent over SMTP
to documents.inbound_mail becomes a case in the documents service (over RabbitMQ), its PDF is
stored, its executable is refused and noted, and the sender gets the reference number by e-mail
through the notifications service and a real SMTP server."""
import os
import smtplib
import subprocess
import sys
import uuid
from email.message import EmailMessage
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from documents.cases_models import Case, CaseAttachment
from documents.service import DocumentsService
from notifications.service import NotificationsService

from common.storage import storage_from_config
from tests.support.databases import service_sessions
from tests.support.waiting import free_port, wait_for_port, wait_until

pytestmark = [pytest.mark.smtp, pytest.mark.broker]

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200
MAILBOX = "documents@csatf.org"


@pytest.fixture
def stack(service_config, smtp, runner_factory):
    """The documents and notifications services in this process, and the mailbox as its own
    process, started the way `make run` starts it (in-process it would meet the asyncio loop
    that Playwright's browser fixtures keep running in this thread)."""
    config = {**service_config, "HUB_SMTP_HOST": "127.0.0.1", "HUB_SMTP_PORT": smtp.port,
              "HUB_PUBLIC_URL": "https://hub.example"}
    runner = runner_factory(config, DocumentsService, NotificationsService)
    runner.start()
    storage = storage_from_config(config)
    port = free_port()
    env = {**os.environ, "AMQP_URI": config["AMQP_URI"], "HUB_DATA_DIR": str(config["HUB_DATA_DIR"]),
           "HUB_INBOUND_SMTP_HOST": "127.0.0.1", "HUB_INBOUND_SMTP_PORT": str(port),
           "HUB_DOCUMENTS_MAILBOX": MAILBOX, "HUB_UPLOAD_MAX_MB": "1", "HUB_DEV_DEFAULTS": "1"}
    env.pop("DOCUMENTS_AMQP_URI", None)
    process = subprocess.Popen([sys.executable, "-m", "documents.inbound_mail"], env=env)
    wait_for_port(port, 30, "the documents mailbox", process)
    yield config, SimpleNamespace(hostname="127.0.0.1", port=port), storage
    process.terminate()
    process.wait(timeout=10)
    runner.stop()


def letter(sender: str, **headers) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"Pat Grip <{sender}>"
    message["To"] = MAILBOX
    message["Subject"] = "My CDL for Local 399"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content("Pat Grip, Teamsters Local #399, Driver.\nMy CDL is attached.")
    message.add_attachment(PDF, maintype="application", subtype="pdf", filename="cdl.pdf")
    message.add_attachment(EXE, maintype="application", subtype="pdf", filename="medical.pdf")
    return message


def send(controller, message: EmailMessage, to: str = MAILBOX) -> tuple[int, bytes]:
    with smtplib.SMTP(controller.hostname, controller.port, timeout=20) as client:
        client.ehlo()
        client.mail(message["From"].addresses[0].addr_spec)
        code, reason = client.rcpt(to)
        if code != 250:
            return code, reason
        return client.data(message.as_string())  # a str: smtplib ends its lines with CRLF


def test_a_mailed_document_becomes_a_case_with_its_file_and_the_refused_one_noted(stack, smtp):
    config, controller, storage = stack
    sender = f"pat.{uuid.uuid4().hex[:8]}@example.com"

    code, answer = send(controller, letter(sender))

    assert code == 250, answer
    reference = answer.decode().rsplit(" ", 1)[-1]
    assert reference.startswith("CS-")
    with service_sessions("documents", config)() as session:
        case = session.scalar(sa.select(Case).where(Case.reference == reference))
        assert (case.source, case.topic, case.subtopic) == ("email", "roster", "required_documents")
        assert case.subject == "My CDL for Local 399" and "My CDL is attached." in case.description
        assert case.sender_email == sender and case.person_id is None and case.needs_person_match
        files = {a.file_name: a for a in session.scalars(sa.select(CaseAttachment).where(
            CaseAttachment.case_id == case.id))}
        assert files["cdl.pdf"].status == "stored" and files["cdl.pdf"].content_type == "application/pdf"
        assert storage.get(files["cdl.pdf"].object_key) == PDF
        assert files["medical.pdf"].status == "refused" and "PDF" in files["medical.pdf"].reason
    assert list(storage.list_objects("incoming/")) == []  # adopted: nothing left staged

    [acknowledgement] = wait_until(lambda: smtp.messages_to(sender), timeout=20,
                                   message="the reference number e-mailed back to the sender")
    assert acknowledgement["Subject"] == f"We received your request {reference}"
    assert reference in acknowledgement.get_body(("plain",)).get_content()


def test_an_auto_reply_becomes_a_case_but_is_not_answered(stack, smtp):
    config, controller, _ = stack
    sender = f"away.{uuid.uuid4().hex[:8]}@example.com"
    code, answer = send(controller, letter(sender, Auto_Submitted="auto-replied"))
    assert code == 250
    reference = answer.decode().rsplit(" ", 1)[-1]
    with service_sessions("documents", config)() as session:
        assert session.scalar(sa.select(Case).where(Case.reference == reference)) is not None
    # a real message sent after it is answered, so the auto-reply's silence is not just slowness
    other = f"pat.{uuid.uuid4().hex[:8]}@example.com"
    assert send(controller, letter(other))[0] == 250
    wait_until(lambda: smtp.messages_to(other), timeout=20, message="the answer to the real message")
    assert smtp.messages_to(sender) == []


def test_mail_for_another_address_is_refused_at_the_door(stack):
    _, controller, _ = stack
    code, _ = send(controller, letter("pat@example.com"), to="someone.else@csatf.org")
    assert code == 550
