"""Shapes of the notifications service's RPCs and of the API built on them (Message Center,
e-mail preferences and deliveries, safety bulletins, hotlines and resources): pydantic only.

RPCs of the notifications service (`actor` is gateway.auth.actor(principal)):
  list_messages(person_id, filters: MessageFiltersIn | None = None) -> MessagesOut
  unread_count(person_id) -> int                      (cheap: the Portal header asks on every page)
  mark_message_read(person_id, message_id, actor)     (kept from before)
  mark_message_unread(person_id, message_id, actor)
  archive_message(person_id, message_id, actor)
  get_preferences(person_id) -> PreferencesOut
  update_preferences(person_id, payload: PreferencesIn, actor) -> PreferencesOut
  list_deliveries(person_id, actor) -> DeliveriesOut   (staff)
  list_bulletins(include_withdrawn=False) -> BulletinsOut   (published, newest first)
  get_bulletin(bulletin_id) -> BulletinOut
  publish_bulletin(payload: BulletinIn, actor) -> BulletinOut          (staff)
  update_bulletin(bulletin_id, payload: BulletinPatch, actor) -> BulletinOut   (staff)
  withdraw_bulletin(bulletin_id, actor) -> BulletinOut                 (staff)
  list_resources() -> ResourcesOut                     (hotlines and resources, as data)
"""
from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from common.contracts.text import plain_text

CATEGORIES = ("deadline", "document", "training", "roster", "account", "case", "bulletin")
Category = Literal["deadline", "document", "training", "roster", "account", "case", "bulletin"]
# what always comes by e-mail too, whatever the person chose (SPEC: deadlines, account security
# and suspensions cannot be turned off; suspensions are "roster" messages of kind suspended)
MANDATORY_EMAIL = ("deadline", "account")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# --- the Message Center --------------------------------------------------------------------------

class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    category: str
    subject: str
    body: str
    deadline: date | None
    created_at: datetime
    read: bool
    link: str | None = None        # the place to act, a Hub path such as /portal/documents
    archived: bool = False


class MessagesOut(BaseModel):
    messages: list[MessageOut]
    unread: int
    page: int = 1
    pages: int = 1
    total: int | None = None


class MessageFiltersIn(Strict):
    category: Category | None = None
    unread: bool = False
    archived: bool = False         # True: the archive instead of the inbox
    page: int = Field(1, ge=1, le=10_000)


# --- e-mail ----------------------------------------------------------------------------------

class PreferencesOut(BaseModel):
    email: dict[str, bool]          # category -> also by e-mail
    digest: bool = False            # the rest in one daily e-mail instead of one each
    mandatory: list[str] = list(MANDATORY_EMAIL)   # categories that always come by e-mail


class PreferencesIn(Strict):
    email: dict[Category, bool] | None = None
    digest: bool | None = None


class DeliveryOut(BaseModel):
    id: uuid.UUID
    kind: str                       # welcome, invitation, password_reset, message, digest, …
    subject: str
    status: Literal["queued", "sent", "failed"]
    attempts: int = 0
    reason: str | None = None       # why it failed (the mail server's answer)
    created_at: datetime
    sent_at: datetime | None = None


class DeliveriesOut(BaseModel):
    deliveries: list[DeliveryOut]
    email_undeliverable: bool = False


# --- safety bulletins, hotlines and resources ---------------------------------------------------

class Audience(Strict):
    """Everyone when both lists are empty; else the members and applicants of these locals or
    classifications."""
    locals: list[str] = []
    classifications: list[str] = []


def _plain_keeping_lines(value: str) -> str:
    """Line breaks are part of a bulletin's formatting; other control characters are not."""
    lines = value.replace("\r\n", "\n").split("\n")
    return "\n".join(plain_text(line, "This text") for line in lines)


class BulletinIn(Strict):
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=20_000)   # simple formatting: paragraphs, **bold**, lists, links
    audience: Audience = Audience()
    published_on: date | None = None                     # today if not given

    @field_validator("title", "body", mode="before")
    @classmethod
    def plain(cls, value):
        return _plain_keeping_lines(value) if isinstance(value, str) else value


class BulletinPatch(Strict):
    title: str | None = Field(None, min_length=1, max_length=200)
    body: str | None = Field(None, min_length=1, max_length=20_000)
    audience: Audience | None = None

    @field_validator("title", "body", mode="before")
    @classmethod
    def plain(cls, value):
        return _plain_keeping_lines(value) if isinstance(value, str) else value


class BulletinOut(BaseModel):
    id: uuid.UUID
    title: str
    body: str
    audience: Audience
    published_on: date
    updated_at: datetime | None = None
    withdrawn: bool = False
    delivering: bool = False   # some of its audience is still being told in the Message Center


class BulletinsOut(BaseModel):
    bulletins: list[BulletinOut]


class ResourceOut(BaseModel):
    name: str
    kind: Literal["hotline", "resource"]
    phone: str | None = None
    link: str | None = None
    description: str = ""


class ResourcesOut(BaseModel):
    hotlines: list[ResourceOut]
    resources: list[ResourceOut]
