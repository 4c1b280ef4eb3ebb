"""Sending e-mail: over SMTP when HUB_SMTP_HOST is set, else as .eml files in HUB_DATA_DIR/mail."""
from __future__ import annotations

import smtplib
import uuid
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from common import config as hub_config
from common.clock import now


class PermanentFailure(Exception):
    """The server refused for good (5xx): retrying will not help."""

    def __init__(self, code: int, reason: str):
        super().__init__(f"{code} {reason}")
        self.code = code
        self.reason = reason


class TemporaryFailure(Exception):
    """Try again later (4xx, server away, connection dropped)."""


def build_email(email_id: uuid.UUID, to: str, subject: str, body: str, mail_from: str,
                html: str | None = None) -> EmailMessage:
    """Plain text, and with `html` a multipart/alternative whose HTML part mail readers prefer."""
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(now())
    # Stable per e-mail, so a resend after a crash can be recognised as the same message.
    message["Message-ID"] = f"<{email_id}@thehub.local>"
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


class SmtpTransport:
    def __init__(self, host: str, port: int, mail_from: str, timeout: float = 20):
        self.host, self.port, self.mail_from, self.timeout = host, port, mail_from, timeout

    def send(self, message: EmailMessage) -> None:
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reason = next(iter(exc.recipients.values()))
            if code >= 500:
                raise PermanentFailure(code, _text(reason)) from None
            raise TemporaryFailure(f"{code} {_text(reason)}") from None
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code >= 500:
                raise PermanentFailure(exc.smtp_code, _text(exc.smtp_error)) from None
            raise TemporaryFailure(f"{exc.smtp_code} {_text(exc.smtp_error)}") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise TemporaryFailure(str(exc) or type(exc).__name__) from None


class EmlFolderTransport:
    """The embedded default: each e-mail becomes a file a developer can open."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def send(self, message: EmailMessage) -> None:
        stamp = now().strftime("%Y%m%dT%H%M%S")
        name = message["Message-ID"].strip("<>").split("@")[0]  # the e-mail's id
        (self.folder / f"{stamp}-{name}.eml").write_bytes(bytes(message))


def transport_from_config(config=None):
    smtp = hub_config.smtp_settings(config)
    if smtp is None:
        return EmlFolderTransport(hub_config.data_dir(config) / "mail")
    return SmtpTransport(smtp["host"], smtp["port"], smtp["mail_from"])


def _text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)
