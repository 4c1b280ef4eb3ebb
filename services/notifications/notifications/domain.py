"""Message Center rules: plain functions over a session."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.orm import Session

from common.errors import NotFound
from common.events.accounts import (ContactDetailsChanged, InvitationSent, PasswordResetRequested,
                                    PersonRegistered)
from common.events.notifications import MessageCreated
from common.events.rosters import DeadlineApproaching, GroupAdvanced, PlacedOnRoster, Reinstated, Suspended
from notifications.models import Message, OutgoingEmail, Recipient
from notifications.schemas import MessageOut, MessagesOut


def now() -> datetime:
    return datetime.now(timezone.utc)


def post_message(session: Session, person_id: uuid.UUID, category: str, subject: str,
                 body: str, email: bool = True, deadline=None) -> tuple[Message, MessageCreated]:
    """A Message Center entry, optionally mirrored by an e-mail the mail loop will send."""
    message = Message(id=uuid.uuid4(), person_id=person_id, category=category, subject=subject,
                      body=body, deadline=deadline, created_at=now())
    session.add(message)
    if email:
        session.add(OutgoingEmail(id=uuid.uuid4(), person_id=person_id, message_id=message.id,
                                  subject=subject, body=body, status="pending", attempts=0,
                                  next_attempt_at=now(), created_at=now()))
    event = MessageCreated(message_id=message.id, person_id=person_id, category=category,
                           subject=subject)
    return message, event


def send_email(session: Session, person_id: uuid.UUID, subject: str, body: str) -> None:
    """An e-mail with no Message Center entry (the person may have no Portal yet)."""
    session.add(OutgoingEmail(id=uuid.uuid4(), person_id=person_id, message_id=None, kind="transactional",
                              subject=subject, body=body, status="pending", attempts=0,
                              next_attempt_at=now(), created_at=now()))


def invitation(session: Session, event: InvitationSent, first_name: str | None) -> None:
    expires = datetime.fromisoformat(event.expires_at).strftime("%B %-d, %Y")
    body = (
        f"Hello {first_name or 'there'},\n\n"
        "Contract Services has a brand-new Portal on the Industry Hub, and your records are "
        "waiting for you there: your classifications, requirements, deadlines, documents and "
        "training.\n\n"
        "Create your password to claim your new Portal account:\n\n"
        f"{event.claim_url}\n\n"
        f"This link can be used once and expires on {expires} (7 days). After that, visit the "
        "Industry Hub, select “Forgot your password?” and choose a new password to unlock your "
        "Portal.\n\n"
        "Need help? Contact us at 818.565.0550 ext. 1100.\n\nContract Services"
    )
    send_email(session, event.person_id, "Action Required - Welcome to the Contract Services Portal!", body)


def password_reset(session: Session, event: PasswordResetRequested, first_name: str | None) -> None:
    body = (
        f"Hello {first_name or 'there'},\n\n"
        "Someone (hopefully you) asked to reset the password of your Contract Services Portal "
        "account. Choose a new password here:\n\n"
        f"{event.reset_url}\n\n"
        "This link can be used once and expires in one hour. If you did not ask, ignore this "
        "e-mail: your password stays as it is.\n\nContract Services"
    )
    send_email(session, event.person_id, "Reset your Contract Services Portal password", body)


def account_ready(session: Session, person_id: uuid.UUID, public_url: str):
    body = ("Your Contract Services Portal account is ready. Your dashboard shows every "
            "classification on file for you, with its requirements and deadlines.\n\n"
            f"Log in any time at {public_url}/portal.\n\nContract Services")
    return post_message(session, person_id, "account", "Your Portal account is ready", body)


def first_name_of(session: Session, person_id: uuid.UUID) -> str | None:
    recipient = session.get(Recipient, person_id)
    return recipient.first_name if recipient else None


def welcome(session: Session, event: PersonRegistered, public_url: str):
    body = (
        f"Hello {event.first_name},\n\n"
        "Welcome to the Industry Hub, the home of the Industry Experience Roster and the Safety "
        "Pass training program.\n\n"
        f"Your IL number is {event.il_number}. Keep it handy: employers and Contract Services "
        "use it to find your records.\n\n"
        f"Log into your Portal at {public_url}/portal to see your classifications, their "
        "requirements and deadlines, upload documents and enroll in training.\n\n"
        "Contract Services"
    )
    return post_message(session, event.person_id, "account", "Welcome to the Industry Hub", body)


def record_contact(session: Session, event: ContactDetailsChanged) -> None:
    recipient = session.get(Recipient, event.person_id)
    if recipient is None:
        recipient = Recipient(person_id=event.person_id)
        session.add(recipient)
    recipient.email = event.email
    recipient.first_name = event.first_name
    recipient.email_notifications = event.email_notifications
    # e-mails that were waiting for an address can go now
    session.execute(sa.update(OutgoingEmail).where(
        OutgoingEmail.person_id == event.person_id, OutgoingEmail.status == "pending")
        .values(next_attempt_at=now()))


def list_messages(session: Session, person_id: uuid.UUID, limit: int = 100) -> MessagesOut:
    rows = session.scalars(
        sa.select(Message).where(Message.person_id == person_id)
        .order_by(Message.created_at.desc()).limit(limit)).all()
    unread = session.scalar(sa.select(sa.func.count()).select_from(Message).where(
        Message.person_id == person_id, Message.read_at.is_(None)))
    return MessagesOut(
        messages=[MessageOut(id=m.id, category=m.category, subject=m.subject, body=m.body,
                             deadline=m.deadline, created_at=m.created_at,
                             read=m.read_at is not None) for m in rows],
        unread=unread)


def mark_read(session: Session, person_id: uuid.UUID, message_id: uuid.UUID) -> None:
    message = session.get(Message, message_id)
    # Someone else's message answers exactly like a missing one.
    if message is None or message.person_id != person_id:
        raise NotFound("No such message.")
    if message.read_at is None:
        message.read_at = now()


# --- roster news (rosters.* events): each a Message Center entry, also e-mailed ----------------

SIGN_OFF = "\n\nLog into your Portal to see every requirement and what to do next.\n\nContract Services"


def _hello(session: Session, person_id: uuid.UUID) -> str:
    return f"Hello {first_name_of(session, person_id) or 'there'},\n\n"


def _long_date(day) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def placed_on_roster(session: Session, event: PlacedOnRoster):
    name = event.classification_name or event.classification_code
    body = (_hello(session, event.person_id)
            + f"Congratulations! You are placed on the roster as {name}, as of "
              f"{_long_date(event.placed_on)}. To stay on it, keep every ongoing requirement met; "
              "we will remind you before anything is due." + SIGN_OFF)
    return post_message(session, event.person_id, "roster", "You are placed on the roster", body)


def suspended(session: Session, event: Suspended):
    name = event.classification_name or event.classification_code
    body = (_hello(session, event.person_id)
            + f"Your {name} record is Not Compliant as of {_long_date(event.as_of)}, so you are "
              f"suspended from the roster until this is resolved: {event.reason}.\n\nDays out of "
              "compliance do not count toward advancing in grouping." + SIGN_OFF)
    return post_message(session, event.person_id, "roster", f"Not Compliant: {name}", body)


def reinstated(session: Session, event: Reinstated):
    name = event.classification_name or event.classification_code
    body = (_hello(session, event.person_id)
            + f"Your {name} record is Compliant again as of {_long_date(event.as_of)}: you are back "
              "on the roster." + SIGN_OFF)
    return post_message(session, event.person_id, "roster", f"Compliant again: {name}", body)


def group_advanced(session: Session, event: GroupAdvanced):
    to_name = event.to_classification_name or event.to_classification_code
    from_name = event.from_classification_name or event.from_classification_code
    body = (_hello(session, event.person_id)
            + f"Congratulations! On {_long_date(event.as_of)} you advanced from {from_name} to "
              f"{to_name}." + SIGN_OFF)
    return post_message(session, event.person_id, "roster", f"You advanced to {to_name}", body)


def deadline_approaching(session: Session, event: DeadlineApproaching):
    name = event.classification_name or event.classification_code
    when = _long_date(event.due_on)
    if event.days_left <= 0:
        subject = f"Due today: {event.requirement}"
        lead = f"Today, {when}, is the deadline for “{event.requirement}” ({name})."
    else:
        days = f"{event.days_left} day{'s' if event.days_left != 1 else ''}"
        subject = f"Due in {days}: {event.requirement}"
        lead = f"“{event.requirement}” ({name}) is due on {when}, in {days}."
    body = (_hello(session, event.person_id) + lead + " If it lapses, your record becomes Not "
            "Compliant and you are suspended from the roster." + SIGN_OFF)
    return post_message(session, event.person_id, "deadline", subject[:200], body, deadline=event.due_on)
