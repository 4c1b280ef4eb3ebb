"""Safety bulletins, hotlines and resources (issue 10).

Staff publish a bulletin (title, body with simple formatting, date, audience); the Hub shows
the ones not withdrawn, newest first. Its audience — everyone, or the members and applicants of
certain locals / classifications — each get ONE Message Center entry (category "bulletin") that
links to the bulletin's page: `BulletinDelivery` remembers who was told, so an edit, a widened
audience or a second publish never tells anyone twice.

An audience of everyone is tens of thousands of people, minutes of work: more than a staff
member's request may wait, and too much for one transaction. So publishing (or an edit) tells
the first batch of people at once and marks the bulletin `delivery_due`; the service's timer
tells the rest a batch a transaction (`deliver_next_batch`), the bulletin's row locked so two
instances never tell the same batch. Withdrawing a bulletin stops telling it.

Who applied for what comes from rosters.application_started (`BulletinAudienceMember`);
"everyone" is every person this service knows (an address or an application).

Hotlines and resources are data (`resources.yml`), validated when the service starts.

Domain functions take a session and plain values and return `(result, [events])`.
"""
from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

import sqlalchemy as sa
from nameko.extensions import DependencyProvider
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy.orm import Session

from common.clock import now, today
from common.contracts.notifications import (
    Audience,
    BulletinIn,
    BulletinOut,
    BulletinPatch,
    BulletinsOut,
    ResourceOut,
    ResourcesOut,
)
from common.data_files import parse_validated, read_data_file
from common.errors import Conflict, NotFound
from common.events.rosters import ApplicationStarted
from notifications.bulletins_models import Bulletin, BulletinAudienceMember, BulletinDelivery
from notifications.models import Recipient

CATEGORY = "bulletin"
DELIVERY_BATCH = 500  # people told in one transaction (about a second of work)

# --- hotlines and resources, as data ------------------------------------------------------------

RESOURCES_FILE = Path(__file__).resolve().parent / "resources.yml"
PHONE = re.compile(r"^\+?[0-9][0-9 .()\-]{1,20}[0-9](\s+ext\.\s*[0-9]{1,6})?$")
LINK = re.compile(r"^(https://[^\s<>\"']+|/(?!/)[A-Za-z0-9/_\-.?=&#]*)$")


class ResourcesError(ValueError):
    def __init__(self, problems: str | Sequence[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class Resource(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)
    name: str = Field(min_length=1, max_length=120)
    kind: Literal["hotline", "resource"]
    phone: str | None = Field(None, max_length=40)
    link: str | None = Field(None, max_length=500)
    description: str = Field("", max_length=600)

    @field_validator("phone", mode="before")
    @classmethod
    def phone_is_a_number(cls, value):
        if value is None:
            return None
        value = str(value).strip()
        if not PHONE.match(value):
            raise ValueError("a phone number is digits with spaces, dots, dashes or brackets, "
                             "optionally followed by 'ext. 1234'")
        return value

    @field_validator("link")
    @classmethod
    def link_is_https_or_a_hub_path(cls, value):
        if value is not None and not LINK.match(value):
            raise ValueError("a link is an https:// address or a path on the Hub starting with /")
        return value

    @model_validator(mode="after")
    def hotline_has_a_phone(self):
        if self.kind == "hotline" and not self.phone:
            raise ValueError("a hotline needs a phone number")
        if self.kind == "resource" and not (self.link or self.phone):
            raise ValueError("a resource needs a link or a phone number")
        return self

    def out(self) -> ResourceOut:
        return ResourceOut(name=self.name, kind=self.kind, phone=self.phone, link=self.link,
                           description=self.description)


class ResourcesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = Field(ge=1)
    resources: tuple[Resource, ...] = Field(min_length=1)


def parse_resources(text: str, source: str = "resources.yml") -> ResourcesOut:
    parsed, _root = parse_validated(text, ResourcesFile, source, ResourcesError, "`version` and `resources`")
    names: set[str] = set()
    for i, item in enumerate(parsed.resources):
        if item.name in names:
            raise ResourcesError(f"{source}: resources.{i}.name: {item.name!r} is given twice")
        names.add(item.name)
    return ResourcesOut(hotlines=[r.out() for r in parsed.resources if r.kind == "hotline"],
                        resources=[r.out() for r in parsed.resources if r.kind == "resource"])


def load_resources(path: Path | str | None = None) -> ResourcesOut:
    path = Path(path) if path is not None else RESOURCES_FILE
    return parse_resources(read_data_file(path, ResourcesError), path.name)


class ResourcesProvider(DependencyProvider):
    """`self.resources`: hotlines and resources, loaded once when the service starts (a bad file
    stops the start). NOTIFICATIONS_RESOURCES_FILE in the config points at a deployment's own."""

    def __init__(self, path: Path | str | None = None):
        self.path = path

    def setup(self):
        path = self.container.config.get("NOTIFICATIONS_RESOURCES_FILE") or self.path
        self.resources = load_resources(path)

    def get_dependency(self, worker_ctx):
        return self.resources


# --- who applied for what -------------------------------------------------------------------------

def record_applicant(session: Session, event: ApplicationStarted):
    member = session.get(BulletinAudienceMember, (event.person_id, event.classification_code))
    if member is None:
        member = BulletinAudienceMember(person_id=event.person_id,
                                        classification_code=event.classification_code)
        session.add(member)
    if event.local is not None:
        member.local = event.local
    return member, []


def _norm_local(value: str) -> str:
    """"Local #399", "#399" and "399" are the same local."""
    return re.sub(r"^(local\s*)?#?\s*", "", value.strip(), flags=re.IGNORECASE)


def audience_query(audience: Audience) -> sa.Select:
    """The people a bulletin is for, as a query of `person_id`: everyone known, or those who
    applied for one of the locals / classifications (members are applicants who were placed, so
    they are in too)."""
    if not audience.locals and not audience.classifications:
        return sa.union(sa.select(Recipient.person_id), sa.select(BulletinAudienceMember.person_id))
    conditions = []
    if audience.locals:
        conditions.append(BulletinAudienceMember.local.in_({_norm_local(x) for x in audience.locals}))
    if audience.classifications:
        conditions.append(BulletinAudienceMember.classification_code.in_(audience.classifications))
    return sa.select(BulletinAudienceMember.person_id).where(sa.or_(*conditions)).distinct()


def audience_of(session: Session, audience: Audience) -> set[uuid.UUID]:
    return set(session.scalars(audience_query(audience)))


def _not_yet_told(session: Session, bulletin: Bulletin, limit: int) -> list[uuid.UUID]:
    """Up to `limit` people of the bulletin's audience it has not been delivered to, in id order:
    the database picks them, so a batch costs the same with 50 or 50,000 already told."""
    audience = audience_query(_audience(bulletin)).subquery()
    told = sa.exists().where(BulletinDelivery.bulletin_id == bulletin.id,
                             BulletinDelivery.person_id == audience.c.person_id)
    return list(session.scalars(sa.select(audience.c.person_id).where(~told)
                                .order_by(audience.c.person_id).limit(limit)))


def _clean_list(values: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for value in values:
        value = value.strip()
        if value and value not in seen:
            seen.append(value)
    return seen


def _audience(bulletin: Bulletin) -> Audience:
    return Audience(locals=list(bulletin.audience_locals or []),
                    classifications=list(bulletin.audience_classifications or []))


def out(bulletin: Bulletin) -> BulletinOut:
    return BulletinOut(id=bulletin.id, title=bulletin.title, body=bulletin.body,
                       audience=_audience(bulletin), published_on=bulletin.published_on,
                       updated_at=bulletin.updated_at, withdrawn=bulletin.withdrawn_at is not None,
                       delivering=bool(bulletin.delivery_due))


def bulletin_path(bulletin_id: uuid.UUID) -> str:
    return f"/safety/bulletins/{bulletin_id}"


# --- the bulletins ------------------------------------------------------------------------------

def list_bulletins(session: Session, include_withdrawn: bool = False) -> BulletinsOut:
    query = sa.select(Bulletin).order_by(Bulletin.published_on.desc(), Bulletin.created_at.desc())
    if not include_withdrawn:
        query = query.where(Bulletin.withdrawn_at.is_(None))
    return BulletinsOut(bulletins=[out(b) for b in session.scalars(query)])


def _get(session: Session, bulletin_id: uuid.UUID) -> Bulletin:
    bulletin = session.get(Bulletin, bulletin_id)
    if bulletin is None:
        raise NotFound("No such bulletin.")
    return bulletin


def get_bulletin(session: Session, bulletin_id: uuid.UUID) -> BulletinOut:
    return out(_get(session, bulletin_id))


def publish(session: Session, payload: BulletinIn, public_url: str):
    """The bulletin, shown at once; the first DELIVERY_BATCH people of its audience told now, the
    rest by the service's timer (see the module's docstring)."""
    bulletin = Bulletin(id=uuid.uuid4(), title=payload.title, body=payload.body,
                        audience_locals=_clean_list(payload.audience.locals),
                        audience_classifications=_clean_list(payload.audience.classifications),
                        published_on=payload.published_on or today(), created_at=now(), delivery_due=True)
    session.add(bulletin)
    session.flush()
    events = deliver(session, bulletin, public_url)
    return out(bulletin), events


def update(session: Session, bulletin_id: uuid.UUID, payload: BulletinPatch, public_url: str):
    """An edit is shown at once; only people newly in the audience are told (once), the first
    batch now and the rest by the timer."""
    # locked: a batch another instance's timer is telling commits first, so this edit's batch
    # sees who it told instead of telling them again
    bulletin = session.scalar(sa.select(Bulletin).where(Bulletin.id == bulletin_id).with_for_update()
                              .execution_options(populate_existing=True))
    if bulletin is None:
        raise NotFound("No such bulletin.")
    if bulletin.withdrawn_at is not None:
        raise Conflict("This bulletin was withdrawn; publish a new one instead.")
    if payload.title is not None:
        bulletin.title = payload.title
    if payload.body is not None:
        bulletin.body = payload.body
    if payload.audience is not None:
        bulletin.audience_locals = _clean_list(payload.audience.locals)
        bulletin.audience_classifications = _clean_list(payload.audience.classifications)
    bulletin.updated_at = now()
    bulletin.delivery_due = True
    session.flush()
    return out(bulletin), deliver(session, bulletin, public_url)


def withdraw(session: Session, bulletin_id: uuid.UUID):
    """Off the public page (withdrawing twice is the same as once). Messages already sent stay;
    their link says the bulletin was withdrawn."""
    bulletin = _get(session, bulletin_id)
    if bulletin.withdrawn_at is None:
        bulletin.withdrawn_at = now()
    bulletin.delivery_due = False  # nobody else is told of a withdrawn bulletin
    return out(bulletin), []


def deliver(session: Session, bulletin: Bulletin, public_url: str) -> list:
    """One Message Center entry for each of up to DELIVERY_BATCH people in the audience not yet told of
    this bulletin; once nobody is left, the bulletin is no longer due."""
    from notifications import domain
    from notifications.render import render

    waiting = _not_yet_told(session, bulletin, DELIVERY_BATCH + 1)   # one more: is anyone left after?
    batch = waiting[:DELIVERY_BATCH]
    # their names in one query (the greeting), not one a person
    session.scalars(sa.select(Recipient).where(Recipient.person_id.in_(batch))).all()
    subject = f"Safety bulletin: {bulletin.title}"[:200]
    link = bulletin_path(bulletin.id)
    events: list = []
    for person_id in batch:
        words = render("bulletin", subject=subject, title=bulletin.title,
                       published_on=bulletin.published_on,
                       first_name=domain.first_name_of(session, person_id),
                       public_url=public_url, action_url=f"{public_url}{link}")
        message, created = domain.post_message(session, person_id, CATEGORY, subject, words.text,
                                               html=words.html, link=link)
        session.add(BulletinDelivery(bulletin_id=bulletin.id, person_id=person_id,
                                     message_id=message.id, created_at=now()))
        events.extend(created)
    if len(waiting) <= DELIVERY_BATCH:
        bulletin.delivery_due = False
    return events


def deliver_next_batch(session: Session, public_url: str) -> list | None:
    """Tell the next batch of the oldest bulletin still being told (its row locked for this
    transaction; another instance takes another bulletin or waits for the next tick); returns
    the events, or None when no bulletin is due. The caller publishes them and commits."""
    bulletin = session.scalar(
        sa.select(Bulletin).where(Bulletin.delivery_due.is_(True), Bulletin.withdrawn_at.is_(None))
        .order_by(Bulletin.created_at).limit(1).with_for_update(skip_locked=True))
    if bulletin is None:
        return None
    return deliver(session, bulletin, public_url)
