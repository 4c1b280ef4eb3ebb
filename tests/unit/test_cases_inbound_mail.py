"""The documents mailbox's rules without a network: reading a message, checking each file from
its bytes, and what the SMTP server answers when the Hub cannot take the case."""
import struct
import uuid
from email.message import EmailMessage

import pytest
from documents.inbound_mail import Mailbox, check_file, content_type_of, read_letter
from nameko.exceptions import MethodNotFound

from common.errors import ServiceUnavailable, ValidationFailed
from common.storage import LocalFolderStorage

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 30
HEIC = struct.pack(">I", 24) + b"ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 40
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
ZIP = b"PK\x03\x04" + b"\x00" * 40


def message(body="Hello,\nmy CDL.", html=None, files=(), **headers) -> bytes:
    mail = EmailMessage()
    mail["From"] = headers.pop("From", "Pat Grip <Pat@Example.com>")
    mail["To"] = "documents@csatf.org"
    mail["Subject"] = headers.pop("Subject", "My CDL")
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    if html is not None:
        mail.set_content(html, subtype="html")
    else:
        mail.set_content(body)
    for name, data in files:
        mail.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return mail.as_bytes()


def test_a_letter_gives_its_sender_subject_text_and_files():
    letter = read_letter(message(files=[("cdl.pdf", PDF)]))
    assert (letter.sender, letter.sender_name, letter.subject) == ("pat@example.com", "Pat Grip", "My CDL")
    assert letter.text == "Hello,\nmy CDL."
    assert [(f.file_name, f.data) for f in letter.files] == [("cdl.pdf", PDF)]
    assert not letter.automatic


def test_an_html_only_letter_is_read_as_text_without_its_markup_or_scripts():
    letter = read_letter(message(html="<p>Hello <b>there</b></p><script>x()</script><p>Pat</p>"))
    assert letter.text == "Hello there\nPat"


def test_hidden_characters_are_removed_from_the_subject_and_a_missing_subject_is_named():
    assert read_letter(message(Subject="CDL\u202efdp.exe")).subject == "CDLfdp.exe"
    assert read_letter(message(Subject="")).subject == "(no subject)"


@pytest.mark.parametrize("headers", [{"Auto_Submitted": "auto-replied"}, {"Precedence": "bulk"},
                                     {"From": "MAILER-DAEMON@mail.example.com"}])
def test_automatic_mail_is_recognised_so_it_is_not_answered(headers):
    assert read_letter(message(**headers)).automatic


@pytest.mark.parametrize("data, expected", [(PDF, "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg")])
def test_allowed_files_are_recognised_from_their_bytes(data, expected):
    assert check_file(type("F", (), {"data": data})(), 1024 * 1024) == (expected, None)


def test_an_iphone_photo_is_accepted():
    assert content_type_of(HEIC) in ("image/heic", "image/heif")


@pytest.mark.parametrize("data", [EXE, HTML, ZIP, b"just some words"])
def test_other_files_are_refused_whatever_their_name(data):
    content_type, reason = check_file(type("F", (), {"data": data})(), 1024 * 1024)
    assert content_type is None and "PDF" in reason


def test_empty_and_oversized_files_are_refused_with_the_reason():
    assert check_file(type("F", (), {"data": b""})(), 1024)[1] == "The file is empty."
    assert "larger than" in check_file(type("F", (), {"data": PDF * 100_000})(), 1024 * 1024)[1]


class FakeHub:
    def __init__(self, documents=None, accounts=None):
        self.documents, self.accounts, self.calls = documents, accounts, []

    def __call__(self, service, method, *args):
        self.calls.append((service, method, args))
        answer = self.accounts if service == "accounts" else self.documents
        if isinstance(answer, BaseException):
            raise answer
        return answer(*args) if callable(answer) else answer


@pytest.fixture
def storage(tmp_path):
    return LocalFolderStorage(tmp_path / "objects")


def mailbox(storage, hub) -> Mailbox:
    return Mailbox(storage, hub, ["documents@csatf.org", " Docs@Thehub.org "], 1024 * 1024,
                   ("roster", "required_documents"))


def staged(storage) -> list:
    folder = storage.root / "incoming"
    return [p for p in folder.glob("*") if not p.name.endswith(".content-type")] if folder.exists() else []


def test_only_the_mailbox_addresses_are_accepted(storage):
    box = mailbox(storage, FakeHub())
    assert box.accepts("DOCUMENTS@csatf.org") and box.accepts("docs@thehub.org")
    assert not box.accepts("someone@csatf.org")


def test_a_letter_becomes_a_case_with_good_files_staged_and_bad_ones_noted(storage):
    hub = FakeHub(documents={"reference": "CS-2026-000007"}, accounts=MethodNotFound("find_person_by_email"))
    answer = mailbox(storage, hub).deliver(message(files=[("cdl.pdf", PDF), ("setup.pdf", EXE)]), "pat@example.com")

    assert answer == "250 OK: case CS-2026-000007"
    payload, actor = hub.calls[-1][2]
    assert (payload["topic"], payload["subtopic"], payload["source"]) == ("roster", "required_documents", "email")
    assert payload["email"] == "pat@example.com" and payload["person_id"] is None and payload["acknowledge"]
    [attachment] = payload["attachments"]
    assert storage.get(attachment["staging_key"]) == PDF and attachment["content_type"] == "application/pdf"
    assert [r["file_name"] for r in payload["refused"]] == ["setup.pdf"]
    assert actor["roles"] == ["system"]


def test_a_known_address_becomes_the_persons_case(storage):
    person_id = str(uuid.uuid4())
    hub = FakeHub(documents={"reference": "CS-2026-000008"}, accounts={"person_id": person_id})
    mailbox(storage, hub).deliver(message(), "pat@example.com")
    assert hub.calls[0] == ("accounts", "find_person_by_email", ("pat@example.com",))
    assert hub.calls[-1][2][0]["person_id"] == person_id


def test_accounts_without_the_lookup_is_asked_once_and_cases_wait_for_a_match(storage):
    hub = FakeHub(documents={"reference": "CS-2026-000009"}, accounts=MethodNotFound("find_person_by_email"))
    box = mailbox(storage, hub)
    box.deliver(message(), "pat@example.com")
    box.deliver(message(), "pat@example.com")
    assert [c[:2] for c in hub.calls].count(("accounts", "find_person_by_email")) == 1


def test_when_the_documents_service_is_away_the_sender_is_asked_to_retry_and_nothing_stays(storage):
    hub = FakeHub(documents=ServiceUnavailable("down"), accounts=None)
    answer = mailbox(storage, hub).deliver(message(files=[("cdl.pdf", PDF)]), "pat@example.com")
    assert answer.startswith("451 ") and staged(storage) == []


def test_a_case_the_service_refuses_is_refused_to_the_sender_and_nothing_stays(storage):
    hub = FakeHub(documents=ValidationFailed("No."), accounts=None)
    answer = mailbox(storage, hub).deliver(message(files=[("cdl.pdf", PDF)]), "pat@example.com")
    assert answer.startswith("550 ") and staged(storage) == []


def test_a_letter_without_a_from_address_is_refused(storage):
    hub = FakeHub(documents={"reference": "x"})
    assert mailbox(storage, hub).deliver(message(From="nobody"), "").startswith("550 ")
    assert hub.calls == []
