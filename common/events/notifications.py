"""Facts published by the notifications service."""
from __future__ import annotations

import uuid

from common.events import Event


class NotificationsEvent(Event):
    source = "notifications"


class MessageCreated(NotificationsEvent):
    event_type = "message_created"
    message_id: uuid.UUID
    person_id: uuid.UUID
    category: str
    subject: str


class EmailFailed(NotificationsEvent):
    """The mail server refused the recipient for good (5xx), so the address needs fixing."""
    event_type = "email_failed"
    person_id: uuid.UUID
    email_id: uuid.UUID
    smtp_code: int
    reason: str
