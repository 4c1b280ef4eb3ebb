"""The documents mailbox (seed 000, option 3): an SMTP server that turns each message into a
Contact Us case with its attachments.

    python -m documents.inbound_mail        # HUB_INBOUND_SMTP_HOST:HUB_INBOUND_SMTP_PORT (127.0.0.1:8025)

Put it behind the organisation's mail relay (MX) and route HUB_DOCUMENTS_MAILBOX
(documents@csatf.org by default; several addresses may be given, comma-separated) to it. Each
attachment gets the checks of a Portal upload: at most HUB_UPLOAD_MAX_MB, not empty, and a PDF,
JPEG, PNG or HEIC/HEIF picture judged from its bytes (puremagic), never from its name. A file
that fails is noted on the case with the reason, never dropped silently. Accepted files are
staged under incoming/ in the documents bucket and adopted by the documents service's
`open_case` RPC, so no bytes travel through RabbitMQ.

The sender is matched to a person with accounts' `find_person_by_email` when accounts offers
it; otherwise (or for an unknown address) the case is flagged "match to a person" for staff.
When the documents service cannot take the case, the server answers 451 and the sending mail
server tries again later: a message is never accepted and then lost.
"""
from __future__ import annotations

import os

os.environ.setdefault("EVENTLET_TESTS", "1")  # only silences eventlet's import banner (nameko)

import asyncio
import hashlib
import html
import logging
import re
import signal
import threading
import uuid
from dataclasses import dataclass, field
from email import message_from_bytes
from email import policy as email_policy
from email.utils import parseaddr

from common import config as hub_config
from common.contracts.text import hidden

log = logging.getLogger("documents.inbound_mail")

ALLOWED = {"application/pdf": "application/pdf", "image/jpeg": "image/jpeg", "image/png": "image/png",
           "image/heic": "image/heic", "image/heif": "image/heif"}
ALLOWED_WORDS = "a PDF, a JPEG or PNG picture, or an iPhone photo (HEIC)"
MAX_SUBJECT = 200
MAX_DESCRIPTION = 20000
DEFAULT_MAILBOX = "documents@csatf.org"


# --- reading a message --------------------------------------------------------------------------

@dataclass
class MailedFile:
    file_name: str
    data: bytes


@dataclass
class Letter:
    sender: str | None                 # the From address, lower case
    sender_name: str | None
    subject: str
    text: str
    files: list[MailedFile] = field(default_factory=list)
    automatic: bool = False            # a bounce or an auto-reply: answer nothing


def clean(text: str | None, keep_lines: bool = False) -> str:
    """Text without control or invisible characters (they are refused in a case)."""
    kept = "\n\t" if keep_lines else ""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    return "".join(char for char in text if char in kept or not hidden(char)).strip()


def html_to_text(markup: str) -> str:
    markup = re.sub(r"(?is)<(script|style)\b.*?</\1>", "", markup)
    markup = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</li>", "\n", markup)
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def read_letter(raw: bytes, envelope_from: str | None = None) -> Letter:
    message = message_from_bytes(raw, policy=email_policy.default)
    name, address = parseaddr(str(message.get("From", "")))
    address = (address or envelope_from or "").strip().lower() or None
    if address and "@" not in address:
        address = None
    body = message.get_body(preferencelist=("plain", "html"))
    text = ""
    if body is not None:
        try:
            text = body.get_content()
        except (LookupError, ValueError):
            text = body.get_payload(decode=True).decode("utf-8", errors="replace")
        if body.get_content_type() == "text/html":
            text = html_to_text(text)
    files = []
    for index, part in enumerate(message.iter_attachments(), start=1):
        data = part.get_payload(decode=True)
        if data is None:  # an attached message or a multipart: no bytes of its own
            data = part.as_bytes()
        files.append(MailedFile(file_name=clean(part.get_filename())[:255] or f"attachment-{index}", data=data))
    auto = str(message.get("Auto-Submitted", "no")).strip().lower()
    precedence = str(message.get("Precedence", "")).strip().lower()
    automatic = (auto not in ("", "no") or precedence in ("bulk", "junk", "list")
                 or envelope_from in ("", "<>") or (address or "").startswith(("mailer-daemon@", "postmaster@")))
    return Letter(sender=address, sender_name=clean(name)[:200] or None,
                  subject=clean(str(message.get("Subject", "")))[:MAX_SUBJECT] or "(no subject)",
                  text=clean(text, keep_lines=True)[:MAX_DESCRIPTION], files=files, automatic=automatic)


def content_type_of(data: bytes) -> str | None:
    """What the bytes are (puremagic's best match), if it is a type we accept."""
    import puremagic

    try:
        matches = puremagic.magic_string(data[:8192])
    except puremagic.PureError:
        return None
    if not matches:
        return None
    best = matches[0]
    mime = ALLOWED.get(best.mime_type)
    if mime is None and best.extension in (".heic", ".heif"):
        mime = "image/heic" if best.extension == ".heic" else "image/heif"
    return mime


def check_file(file: MailedFile, max_bytes: int) -> tuple[str | None, str | None]:
    """(content type, None) for a file we take, (None, reason) for one we refuse."""
    if not file.data:
        return None, "The file is empty."
    if len(file.data) > max_bytes:
        return None, f"The file is larger than {max_bytes // (1024 * 1024)} MB, the most we accept."
    content_type = content_type_of(file.data)
    if content_type is None:
        return None, f"We can only accept {ALLOWED_WORDS}."
    return content_type, None


# --- the mailbox --------------------------------------------------------------------------------

class Mailbox:
    """Turns letters into cases: stages the files, finds the person, opens the case."""

    def __init__(self, storage, call, addresses: list[str], max_bytes: int, topic: tuple[str, str]):
        self.storage = storage
        self.call = call                  # call(service, method, *args) → the RPC's answer
        self.addresses = {a.strip().lower() for a in addresses if a.strip()}
        self.max_bytes = max_bytes
        self.topic = topic
        self._asked_accounts = True       # whether accounts may know find_person_by_email

    def accepts(self, address: str) -> bool:
        return address.strip().lower() in self.addresses

    def find_person(self, address: str | None) -> str | None:
        """The person whose e-mail address this is, if accounts can say (accounts owns the
        addresses: the documents service never receives contact details)."""
        if not address or not self._asked_accounts:
            return None
        from nameko.exceptions import MethodNotFound

        try:
            found = self.call("accounts", "find_person_by_email", address)
        except MethodNotFound:
            log.warning("accounts has no find_person_by_email: mailed cases wait for staff to match them")
            self._asked_accounts = False
            return None
        except Exception as exc:  # accounts away or slow: staff match the case instead
            log.warning("could not match the sender of a mailed case (%s)", type(exc).__name__)
            return None
        if isinstance(found, dict):
            found = found.get("person_id")
        return str(found) if found else None

    def deliver(self, raw: bytes, envelope_from: str | None, peer: str | None = None) -> str:
        """The SMTP answer for one message: 250 once its case exists, 451 to be sent again later."""
        letter = read_letter(raw, envelope_from)
        if letter.sender is None:
            return "550 5.1.7 We need a From address to answer you"
        staged, refused = [], []
        try:
            for file in letter.files:
                content_type, reason = check_file(file, self.max_bytes)
                if reason:
                    refused.append({"file_name": file.file_name, "reason": reason, "size": len(file.data)})
                    continue
                key = f"incoming/{uuid.uuid4()}"
                self.storage.put(key, file.data, content_type)
                staged.append({"staging_key": key, "file_name": file.file_name, "size": len(file.data),
                               "content_type": content_type, "sha256": hashlib.sha256(file.data).hexdigest()})
            person_id = self.find_person(letter.sender)
            payload = {"topic": self.topic[0], "subtopic": self.topic[1], "subject": letter.subject,
                       "description": letter.text, "source": "email", "person_id": person_id,
                       "name": letter.sender_name, "email": letter.sender, "attachments": staged,
                       "refused": refused, "acknowledge": not letter.automatic}
            opened = self.call("documents", "open_case", payload, {"roles": ["system"], "client_ip": peer})
        except Exception as exc:
            self._discard(staged)
            from common.errors import ValidationFailed

            if isinstance(exc, ValidationFailed):
                log.warning("a mailed message was refused: %s", exc.message)
                return f"550 5.6.0 {exc.message}"[:300]
            log.warning("a mailed message could not become a case yet (%s); the sender will retry",
                        type(exc).__name__)
            return "451 4.3.0 Please try again later"
        # no address in the log: personal data stays out of logs
        log.info("mailed message became case %s (%d files, %d refused)", opened["reference"], len(staged),
                 len(refused))
        return f"250 OK: case {opened['reference']}"

    def _discard(self, staged: list[dict]) -> None:
        for item in staged:
            try:
                self.storage.delete(item["staging_key"])
            except Exception:  # the orphan sweeper removes what this misses
                log.warning("could not remove the staged file %s", item["staging_key"])


class Handler:
    """aiosmtpd's handler: recipients checked at RCPT, the work done off the event loop."""

    def __init__(self, mailbox: Mailbox):
        self.mailbox = mailbox

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if not self.mailbox.accepts(address):
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        peer = session.peer[0] if isinstance(session.peer, tuple) else None
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, self.mailbox.deliver, raw, envelope.mail_from, peer)


# --- the process --------------------------------------------------------------------------------

def rpc_caller(amqp_uri: str, timeout: float):
    """call(service, method, *args) over nameko's standalone RPC, replying to queues named
    rpc.reply-documents-<uuid> (what the documents broker user may use)."""
    from nameko.standalone.rpc import ClusterRpcProxy

    class DocumentsRpcProxy(ClusterRpcProxy):
        class ServiceContainer(ClusterRpcProxy.ServiceContainer):
            service_name = "documents"

    config = hub_config.nameko_config({"AMQP_URI": amqp_uri})
    lock = threading.Lock()

    def call(service: str, method: str, *args):
        with lock, DocumentsRpcProxy(config, timeout=timeout) as proxy:
            return getattr(getattr(proxy, service), method)(*args)

    return call


def max_upload_bytes() -> int:
    return int(float(hub_config.setting("HUB_UPLOAD_MAX_MB", "20")) * 1024 * 1024)


def mailbox_addresses() -> list[str]:
    return (hub_config.setting("HUB_DOCUMENTS_MAILBOX", DEFAULT_MAILBOX) or DEFAULT_MAILBOX).split(",")


def build_controller(mailbox: Mailbox, host: str, port: int):
    from aiosmtpd.controller import Controller

    # base64 makes attachments a third larger; several files may come in one message
    limit = max(25 * 1024 * 1024, 4 * mailbox.max_bytes)
    return Controller(Handler(mailbox), hostname=host, port=port, data_size_limit=limit,
                      ident="Industry Hub documents mailbox")


def main() -> None:
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s inbound-mail %(levelname)s %(name)s: %(message)s")
    # aiosmtpd logs every envelope address at INFO: personal data stays out of the logs
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    from common.storage import storage_from_config
    from documents.cases import load_topics

    own_uri = os.environ.get("DOCUMENTS_AMQP_URI")  # the documents broker user, in compose
    amqp_uri = own_uri or hub_config.amqp_uri()
    host = hub_config.setting("HUB_INBOUND_SMTP_HOST", "127.0.0.1")
    port = int(hub_config.setting("HUB_INBOUND_SMTP_PORT", "8025"))
    mailbox = Mailbox(storage_from_config(), rpc_caller(amqp_uri, float(hub_config.setting("HUB_RPC_TIMEOUT", "10"))),
                      mailbox_addresses(), max_upload_bytes(), load_topics().mailbox)
    controller = build_controller(mailbox, host, port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    controller.start()
    log.info("the documents mailbox (%s) listens on %s:%d", ", ".join(sorted(mailbox.addresses)), host, port)
    try:
        stop.wait()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
