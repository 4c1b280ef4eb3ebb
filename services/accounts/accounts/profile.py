"""A person's record as they and others see it, and My Account changes."""
from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session

from accounts import ssn as ssn_crypto
from accounts.models import Account, Person, PersonLocal
from accounts.registration import CONTACT_COLUMNS, contact_event, email_in_use
from common import audit
from common.authz import STAFF, PersonView, Principal, person_view, require_role
from common.contracts.accounts import Contact, MeOut, PersonOut, ProfilePatch
from common.errors import Conflict, NotFound, ValidationFailed
from common.events.accounts import EmailMarkedUndeliverable, ProfileUpdated


def _person(session: Session, person_id: uuid.UUID) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound("No such person.")
    return person


def _contact(person: Person) -> Contact:
    return Contact(email=person.email, email_undeliverable=person.email_undeliverable,
                   email_notifications=person.email_notifications,
                   **{column: getattr(person, column) for column in CONTACT_COLUMNS})


def _masked_ssn(person: Person, config) -> str:
    return ssn_crypto.mask_ssn(ssn_crypto.decrypt_ssn(person.ssn_encrypted, config))


def locals_of(session: Session, person_id: uuid.UUID) -> set[str]:
    return set(session.scalars(sa.select(PersonLocal.local).where(PersonLocal.person_id == person_id)))


def me(session: Session, person_id: uuid.UUID, config=None, actor=None) -> MeOut:
    """A person's own record (masked SSN included). Staff reading it on someone's behalf is
    audited, like any staff read of an SSN."""
    person = _person(session, person_id)
    if actor is not None and audit.as_actor(actor).on_behalf_of is not None:
        audit.record(session, actor, "person.private_details_viewed", "person", person_id)
    account = session.scalar(sa.select(Account).where(Account.person_id == person_id))
    return MeOut(person_id=person.id, il_number=person.il_number, first_name=person.first_name,
                 last_name=person.last_name, date_of_birth=person.date_of_birth,
                 ssn_masked=_masked_ssn(person, config),
                 roles=account.roles.split(",") if account else [], has_account=account is not None,
                 **_contact(person).model_dump())


def get_person(session: Session, person_id: uuid.UUID, viewer: Principal, config=None) -> PersonOut:
    """What `viewer` may see of a person. Someone they may not see is simply not found, so ids
    cannot be probed. A staff look at the private parts is audited."""
    person = session.get(Person, person_id)
    person_locals = locals_of(session, person_id) if person else set()
    view = person_view(viewer, person_id, person_locals) if person else PersonView.NONE
    if view == PersonView.NONE:
        raise NotFound("No such person.")
    has_account = session.scalar(sa.select(Account.id).where(Account.person_id == person_id)) is not None
    out = PersonOut(person_id=person.id, il_number=person.il_number, first_name=person.first_name,
                    last_name=person.last_name, has_account=has_account,
                    locals=sorted(person_locals), origin=person.origin)
    if view >= PersonView.PRIVATE:
        out.date_of_birth = person.date_of_birth
        out.ssn_masked = _masked_ssn(person, config)
        out.contact = _contact(person)
        if viewer.person_id != person_id:
            audit.record(session, viewer.actor(), "person.private_details_viewed", "person", person_id)
    return out


def person_card(session: Session, person_id: uuid.UUID, viewer: Principal) -> dict:
    """Name and IL number only (public facts): for staff to confirm whom they are helping, and
    for the person's own requests that another service needs them for (rosters on Apply)."""
    if not (viewer.is_staff or viewer.person_id == person_id):
        raise NotFound("No such person.")
    person = _person(session, person_id)
    return {"person_id": str(person.id), "il_number": person.il_number,
            "first_name": person.first_name, "last_name": person.last_name}


def start_acting(session: Session, person_id: uuid.UUID, actor) -> dict:
    """Staff begin helping a person: their card, and one audit entry for the visit."""
    staff = Principal(roles=actor.roles)
    require_role(staff, *STAFF)
    card = person_card(session, person_id, staff)
    audit.record(session, actor.model_copy(update={"on_behalf_of": person_id}),
                 "act_on_behalf.started", "person", person_id)
    return card


def update_profile(session: Session, person_id: uuid.UUID, patch: ProfilePatch, actor):
    """My Account changes. Returns (person, events); no events if nothing changed."""
    person = _person(session, person_id)
    changes = {field: value for field, value in patch.model_dump(exclude_unset=True).items()
               if getattr(person, field) != value}
    if "email" in changes:
        if changes["email"] is None:
            problem = "An e-mail address is needed to log in; change it rather than remove it."
            raise ValidationFailed(problem, {"fields": {"email": problem}})
        if email_in_use(session, changes["email"], except_person=person_id):
            raise Conflict("Another account already uses that e-mail address.")
        account = session.scalar(sa.select(Account).where(Account.person_id == person_id))
        if account is not None:
            account.email = changes["email"]
        person.email_undeliverable = False
    if changes.get("email_notifications") is None:
        changes.pop("email_notifications", None)
    if not changes:
        return person, []
    for field, value in changes.items():
        setattr(person, field, value)
    audit.record(session, actor, "profile.updated", "person", person_id, fields=sorted(changes))
    events = [ProfileUpdated(person_id=person_id, changed_fields=sorted(changes))]
    if {"email", "email_notifications"} & set(changes):
        events.append(contact_event(person))
    return person, events


def record_local(session: Session, person_id: uuid.UUID, local: str | None) -> None:
    if local and session.get(Person, person_id) is not None \
            and session.get(PersonLocal, (person_id, local)) is None:
        session.add(PersonLocal(person_id=person_id, local=local))


def mark_email_undeliverable(session: Session, person_id: uuid.UUID):
    """The mail server refused this person's address. Returns (person, events)."""
    person = session.get(Person, person_id)
    if person is None or person.email_undeliverable:
        return person, []
    person.email_undeliverable = True
    return person, [EmailMarkedUndeliverable(person_id=person_id)]


def find_people(session: Session, query: str, viewer: Principal, config=None, limit: int = 25) -> list[dict]:
    """Staff look-up by IL number, e-mail, exact SSN or last name."""
    require_role(viewer, *STAFF)
    query = (query or "").strip()
    if not query:
        return []
    conditions = [Person.il_number == query, Person.email == query.lower(),
                  Person.last_name.ilike(query)]
    try:
        conditions.append(Person.ssn_index == ssn_crypto.ssn_index(ssn_crypto.normalise_ssn(query), config))
        audit.record(session, viewer.actor(), "person.searched_by_ssn", "person", None)
    except ValueError:
        pass
    people = session.scalars(sa.select(Person).where(sa.or_(*conditions)).order_by(Person.last_name)
                             .limit(limit)).all()
    ids = [p.id for p in people]
    with_account = set(session.scalars(sa.select(Account.person_id).where(Account.person_id.in_(ids))))
    locals_by_person: dict = {}
    for person_id, local in session.execute(sa.select(PersonLocal.person_id, PersonLocal.local)
                                            .where(PersonLocal.person_id.in_(ids))):
        locals_by_person.setdefault(person_id, []).append(local)
    return [{"person_id": str(p.id), "il_number": p.il_number, "first_name": p.first_name,
             "last_name": p.last_name, "has_account": p.id in with_account,
             "locals": sorted(locals_by_person.get(p.id, []), key=_local_order)} for p in people]


def _local_order(local: str):
    return (0, int(local), "") if local.isdigit() else (1, 0, local)


def name_accounts(session: Session, account_ids: list[str], viewer: Principal) -> dict[str, dict]:
    """Who did it, for the staff audit page: each account's display name and e-mail."""
    require_role(viewer, *STAFF)
    wanted = []
    for raw in account_ids[:500]:
        try:
            wanted.append(uuid.UUID(str(raw)))
        except ValueError:
            continue
    rows = session.execute(sa.select(Account.id, Account.display_name, Account.email, Account.person_id)
                           .where(Account.id.in_(wanted)))
    names = {}
    for account_id, display_name, email, person_id in rows:
        person = session.get(Person, person_id) if person_id and not display_name else None
        name = display_name or (f"{person.first_name} {person.last_name}" if person else None)
        names[str(account_id)] = {"name": name, "email": email}
    return names


def find_person_by_email(session: Session, email: str) -> dict | None:
    """Whose e-mail address this is (for the documents mailbox, which turns a mailed document
    into that person's case). Only the id: the caller learns nothing else about them. A From
    address can be forged, so what arrives this way still waits for staff review."""
    address = (email or "").strip().lower()
    if not address or "@" not in address:
        return None
    person_id = session.scalar(sa.select(Person.id).where(Person.email == address))
    if person_id is None:
        person_id = session.scalar(sa.select(Account.person_id).where(Account.email == address))
    return {"person_id": str(person_id)} if person_id else None
