"""Message Center rules: plain functions over a session.

Each function for an event returns `(result, [events])`; the handler publishes and commits.
The words come from templates/email (notifications.render); every message names what happened,
what to do, and links to the page where to do it.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.orm import Session

from common.clock import hub_timezone, local_day, now
from common.contracts.notifications import MANDATORY_EMAIL, MessageFiltersIn, MessageOut, MessagesOut
from common.errors import NotFound
from common.events.accounts import (
    AccountClaimed,
    ContactDetailsChanged,
    InvitationSent,
    PasswordResetRequested,
    PersonRegistered,
)
from common.events.documents import CaseOpened, CaseReplied, DocumentExpired, DocumentReviewed
from common.events.notifications import MessageCreated
from common.events.rosters import (
    DeadlineApproaching,
    ExtensionDecided,
    GroupAdvanced,
    PlacedOnRoster,
    Reinstated,
    Removed,
    StatusChanged,
    Suspended,
)
from common.events.training import CompletionExpired, CourseCompleted, Enrolled, PromotedFromWaitlist
from notifications import preferences
from notifications.models import Message, OutgoingEmail, Recipient
from notifications.render import long_date, plural, render


def post_message(session: Session, person_id: uuid.UUID, category: str, subject: str, body: str,
                 email: bool = True, deadline: date | None = None,
                 html: str | None = None, link: str | None = None,
                 mandatory: bool = False) -> tuple[Message, list[MessageCreated]]:
    """A Message Center entry, mirrored by an e-mail the mail loop will send unless the person
    chose otherwise (notifications.preferences); `link` is the Hub path of the place to act.
    `mandatory` (and the MANDATORY_EMAIL categories) go by e-mail whatever the person chose."""
    message = Message(id=uuid.uuid4(), person_id=person_id, category=category, subject=subject,
                      body=body, deadline=deadline, created_at=now(), link=link)
    session.add(message)
    mandatory = mandatory or category in MANDATORY_EMAIL
    route = preferences.email_route(session, person_id, category, mandatory) if email else None
    if route is not None:
        session.add(OutgoingEmail(id=uuid.uuid4(), person_id=person_id, message_id=message.id,
                                  subject=subject, body=body, html=html, status=route,
                                  category=category, mandatory=mandatory,
                                  attempts=0, next_attempt_at=now(), created_at=now()))
    return message, [MessageCreated(message_id=message.id, person_id=person_id, category=category,
                                    subject=subject)]


def send_email(session: Session, person_id: uuid.UUID, subject: str, body: str,
               html: str | None = None) -> OutgoingEmail:
    """An e-mail with no Message Center entry (the person may have no Portal yet)."""
    email = OutgoingEmail(id=uuid.uuid4(), person_id=person_id, message_id=None, kind="transactional",
                          subject=subject, body=body, html=html, status="pending", attempts=0,
                          next_attempt_at=now(), created_at=now())
    session.add(email)
    return email


def first_name_of(session: Session, person_id: uuid.UUID) -> str | None:
    recipient = session.get(Recipient, person_id)
    return recipient.first_name if recipient else None


# Where each kind of message sends the person to act: Hub paths, never personal data in them.
ACCOUNT_PATH = "/portal/account"
DOCUMENTS_PATH = "/portal/documents"
TRAINING_PATH = "/portal/training"
CASES_PATH = "/portal/cases"


def classification_path(code: str) -> str:
    return f"/portal/classifications/{quote(code, safe='')}"


def classification_url(public_url: str, code: str) -> str:
    return public_url + classification_path(code)


# --- accounts.* events --------------------------------------------------------------------------

def welcome(session: Session, event: PersonRegistered, public_url: str):
    subject = "Welcome to the Industry Hub"
    words = render("welcome", subject=subject, first_name=event.first_name, il_number=event.il_number,
                   public_url=public_url, action_url=f"{public_url}/portal")
    return post_message(session, event.person_id, "account", subject, words.text, html=words.html,
                        link=ACCOUNT_PATH)


def invitation(session: Session, event: InvitationSent, public_url: str):
    subject = "Action Required - Welcome to the Contract Services Portal!"
    words = render("invitation", subject=subject, first_name=first_name_of(session, event.person_id),
                   expires_on=local_day(datetime.fromisoformat(event.expires_at)),
                   public_url=public_url, action_url=event.claim_url)
    return send_email(session, event.person_id, subject, words.text, words.html), []


def password_reset(session: Session, event: PasswordResetRequested, public_url: str):
    subject = "Reset your Contract Services Portal password"
    words = render("password_reset", subject=subject, first_name=first_name_of(session, event.person_id),
                   public_url=public_url, action_url=event.reset_url)
    return send_email(session, event.person_id, subject, words.text, words.html), []


def account_ready(session: Session, event: AccountClaimed, public_url: str):
    subject = "Your Portal account is ready"
    words = render("account_ready", subject=subject, first_name=first_name_of(session, event.person_id),
                   public_url=public_url, action_url=f"{public_url}/portal")
    return post_message(session, event.person_id, "account", subject, words.text, html=words.html,
                        link=ACCOUNT_PATH)


def record_contact(session: Session, event: ContactDetailsChanged):
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
    return recipient, []


# --- the Message Center -------------------------------------------------------------------------

PAGE_SIZE = 25


def _inbox(person_id: uuid.UUID):
    return (Message.person_id == person_id, Message.archived_at.is_(None))


def unread_count(session: Session, person_id: uuid.UUID) -> int:
    """One count on a partial index (ix_messages_unread_inbox): the Portal header asks on every page."""
    return session.scalar(sa.select(sa.func.count()).select_from(Message).where(
        *_inbox(person_id), Message.read_at.is_(None))) or 0


def message_out(m: Message) -> MessageOut:
    return MessageOut(id=m.id, category=m.category, subject=m.subject, body=m.body, deadline=m.deadline,
                      created_at=m.created_at, read=m.read_at is not None, link=m.link,
                      archived=m.archived_at is not None)


def list_messages(session: Session, person_id: uuid.UUID,
                  filters: MessageFiltersIn | None = None) -> MessagesOut:
    """Newest first, 25 a page: the inbox, or the archive; by category; only unread ones.
    `unread` is always the inbox's unread count (the header's number)."""
    filters = filters or MessageFiltersIn()
    where = [Message.person_id == person_id,
             Message.archived_at.is_not(None) if filters.archived else Message.archived_at.is_(None)]
    if filters.category:
        where.append(Message.category == filters.category)
    if filters.unread:
        where.append(Message.read_at.is_(None))
    total = session.scalar(sa.select(sa.func.count()).select_from(Message).where(*where)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    rows = session.scalars(
        sa.select(Message).where(*where).order_by(Message.created_at.desc(), Message.id.desc())
        .offset((filters.page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    return MessagesOut(messages=[message_out(m) for m in rows], unread=unread_count(session, person_id),
                       page=filters.page, pages=pages, total=total)


def _own_message(session: Session, person_id: uuid.UUID, message_id: uuid.UUID) -> Message:
    message = session.get(Message, message_id)
    # Someone else's message answers exactly like a missing one.
    if message is None or message.person_id != person_id:
        raise NotFound("No such message.")
    return message


def mark_read(session: Session, person_id: uuid.UUID, message_id: uuid.UUID) -> Message:
    message = _own_message(session, person_id, message_id)
    if message.read_at is None:
        message.read_at = now()
    return message


def mark_unread(session: Session, person_id: uuid.UUID, message_id: uuid.UUID) -> Message:
    message = _own_message(session, person_id, message_id)
    message.read_at = None
    return message


def archive(session: Session, person_id: uuid.UUID, message_id: uuid.UUID) -> Message:
    message = _own_message(session, person_id, message_id)
    if message.archived_at is None:
        message.archived_at = now()
    return message


# --- roster news (rosters.* events): each a Message Center entry, also e-mailed ----------------

def _roster_news(session: Session, template: str, person_id: uuid.UUID, subject: str, public_url: str,
                 code: str, category: str = "roster", deadline: date | None = None, mandatory: bool = False,
                 **facts):
    words = render(template, subject=subject, first_name=first_name_of(session, person_id),
                   public_url=public_url, action_url=classification_url(public_url, code), **facts)
    return post_message(session, person_id, category, subject[:200], words.text, deadline=deadline,
                        html=words.html, link=classification_path(code), mandatory=mandatory)


def placed_on_roster(session: Session, event: PlacedOnRoster, public_url: str):
    name = event.classification_name or event.classification_code
    return _roster_news(session, "placed_on_roster", event.person_id, "You are placed on the roster",
                        public_url, event.classification_code, classification=name,
                        placed_on=event.placed_on)


def suspended(session: Session, event: Suspended, public_url: str):
    name = event.classification_name or event.classification_code
    # a suspension always comes by e-mail too, whatever the person chose
    return _roster_news(session, "suspended", event.person_id, f"Not Compliant: {name}", public_url,
                        event.classification_code, mandatory=True, classification=name, as_of=event.as_of,
                        reason=event.reason, requirements=event.requirements)


def reinstated(session: Session, event: Reinstated, public_url: str):
    name = event.classification_name or event.classification_code
    return _roster_news(session, "reinstated", event.person_id, f"Compliant again: {name}", public_url,
                        event.classification_code, classification=name, as_of=event.as_of)


def extension_decided(session: Session, event: ExtensionDecided, public_url: str):
    name = event.classification_name or event.classification_code
    approved = event.decision == "approved"
    subject = (f"More time approved: {event.requirement}" if approved
               else f"More time not approved: {event.requirement}")
    return _roster_news(session, "extension_decided", event.person_id, subject, public_url,
                        event.classification_code, category="deadline", deadline=event.until if approved else None,
                        classification=name, requirement=event.requirement, decision=event.decision,
                        until=event.until, reason=event.reason)


def removed(session: Session, event: Removed, public_url: str):
    """Removed from a roster, with the protest window; the message links to the removals page,
    where the Protest button is."""
    name = event.classification_name or event.classification_code
    subject = f"Removed from the roster: {name}"
    words = render("removed", subject=subject, first_name=first_name_of(session, event.person_id),
                   public_url=public_url, action_url=f"{public_url}/portal/removals", classification=name,
                   reason=event.reason, effective_on=event.effective_on, protest_by=event.protest_by)
    return post_message(session, event.person_id, "roster", subject[:200], words.text,
                        deadline=event.protest_by, html=words.html, link="/portal/removals", mandatory=True)


def group_advanced(session: Session, event: GroupAdvanced, public_url: str):
    to_name = event.to_classification_name or event.to_classification_code
    from_name = event.from_classification_name or event.from_classification_code
    return _roster_news(session, "group_advanced", event.person_id, f"You advanced to {to_name}", public_url,
                        event.to_classification_code, as_of=event.as_of,
                        from_classification=from_name, to_classification=to_name)


def deadline_approaching(session: Session, event: DeadlineApproaching, public_url: str):
    name = event.classification_name or event.classification_code
    if event.days_left < 0:  # the reminder after a lapse, while the requirement is still unmet
        subject = f"Overdue by {plural(-event.days_left, 'day')}: {event.requirement}"
    elif event.days_left == 0:
        subject = f"Due today: {event.requirement}"
    else:
        subject = f"Due in {plural(event.days_left, 'day')}: {event.requirement}"
    # An applicant was never placed: a lapse delays placement and suspends nothing. Publishers
    # older than the field send None, worded as before (for a placed record).
    placed = event.placed is not False
    return _roster_news(session, "deadline_approaching", event.person_id, subject, public_url,
                        event.classification_code, category="deadline", deadline=event.due_on,
                        classification=name, requirement=event.requirement, due_on=event.due_on,
                        days_left=event.days_left, placed=placed)


def status_changed(session: Session, event: StatusChanged, public_url: str, classification_name: str | None = None):
    """Most status changes have their own, better event (placed, suspended, reinstated, a deadline);
    the one a person needs to hear about besides is a first verified work day, which unlocks
    training (SPEC §4 journey 1). Every other change posts nothing."""
    if (event.old_status, event.new_status) != ("in_progress_not_training_eligible", "in_progress_training_eligible"):
        return None, []
    name = classification_name or event.classification_code
    return _roster_news(session, "training_eligible", event.person_id, f"Training unlocked: {name}", public_url,
                        event.classification_code, classification=name, as_of=event.as_of,
                        training_url=training_url(public_url))


# --- document reviews and expiry (documents.*): each a Message Center entry, also e-mailed --------

def documents_url(public_url: str) -> str:
    return public_url + DOCUMENTS_PATH


def _document_news(session: Session, template: str, person_id: uuid.UUID, subject: str, public_url: str,
                   **facts):
    words = render(template, subject=subject, first_name=first_name_of(session, person_id),
                   public_url=public_url, action_url=documents_url(public_url), **facts)
    return post_message(session, person_id, "document", subject[:200], words.text, html=words.html,
                        link=DOCUMENTS_PATH)


def document_reviewed(session: Session, event: DocumentReviewed, public_url: str):
    document = event.document_label or event.document_type.replace("_", " ")
    if event.decision == "approved":
        return _document_news(session, "document_approved", event.person_id, f"Document approved: {document}",
                              public_url, document=document, expires_on=event.expires_on)
    return _document_news(session, "document_rejected", event.person_id, f"Document not accepted: {document}",
                          public_url, document=document, reason=event.reason or "No reason was given.")


def document_expired(session: Session, event: DocumentExpired, public_url: str):
    document = event.document_label or event.document_type.replace("_", " ")
    return _document_news(session, "document_expired", event.person_id, f"Document expired: {document}",
                          public_url, document=document, expired_on=event.expired_on)


# --- Contact Us cases (documents.case_*): a person hears in their Message Center (and by
# e-mail); an anonymous sender only by e-mail, at the address they gave -------------------------

def send_email_to_address(session: Session, address: str, subject: str, body: str,
                          html: str | None = None) -> OutgoingEmail:
    """An e-mail to someone with no person record (sender.py sends it to `address` as is)."""
    email = OutgoingEmail(id=uuid.uuid4(), person_id=None, to_address=address, message_id=None, kind="case",
                          subject=subject, body=body, html=html, status="pending", attempts=0,
                          next_attempt_at=now(), created_at=now())
    session.add(email)
    return email


def _case_words(session: Session, template: str, subject: str, person_id: uuid.UUID | None, name: str | None,
                public_url: str, **facts):
    in_portal = person_id is not None
    first_name = first_name_of(session, person_id) if in_portal else name
    action_url = public_url + CASES_PATH if in_portal else f"{public_url}/contact"
    return render(template, subject=subject, first_name=first_name, public_url=public_url,
                  action_url=action_url, in_portal=in_portal, **facts)


def case_opened(session: Session, event: CaseOpened, public_url: str):
    subject = f"We received your request {event.reference}"
    words = _case_words(session, "case_opened", subject, event.person_id, event.name, public_url,
                        reference=event.reference, case_subject=event.subject, via=event.via)
    if event.person_id is not None:
        return post_message(session, event.person_id, "case", subject, words.text, email=event.acknowledge,
                            html=words.html, link=CASES_PATH)
    if not event.acknowledge or not event.email:
        return None, []
    return send_email_to_address(session, event.email, subject, words.text, words.html), []


def case_replied(session: Session, event: CaseReplied, public_url: str):
    subject = f"Re: {event.subject} [{event.reference}]"[:200]
    words = _case_words(session, "case_replied", subject, event.person_id, event.name, public_url,
                        reference=event.reference, case_subject=event.subject, reply=event.body)
    if event.person_id is not None:
        return post_message(session, event.person_id, "case", subject, words.text, html=words.html,
                            link=CASES_PATH)
    if not event.email:
        return None, []
    return send_email_to_address(session, event.email, subject, words.text, words.html), []


# --- training (training.*): enrollments, seats, completions and lapses, each a message (also
# e-mailed) that links to the person's Training page ---------------------------------------------

def training_url(public_url: str) -> str:
    return public_url + TRAINING_PATH


def session_time(instant: datetime | None) -> str | None:
    """"June 3, 2027 at 9:00 AM" in the Hub's time zone (where the training centre is)."""
    if instant is None:
        return None
    local = instant.astimezone(hub_timezone())
    hour = local.hour % 12 or 12
    return f"{long_date(local.date())} at {hour}:{local:%M} {'AM' if local.hour < 12 else 'PM'}"


def _training_news(session: Session, template: str, person_id: uuid.UUID, subject: str, public_url: str,
                   deadline: date | None = None, **facts):
    words = render(template, subject=subject, first_name=first_name_of(session, person_id),
                   public_url=public_url, action_url=training_url(public_url), **facts)
    return post_message(session, person_id, "training", subject[:200], words.text, deadline=deadline,
                        html=words.html, link=TRAINING_PATH)


def training_enrolled(session: Session, event: Enrolled, public_url: str):
    course = event.course_title or event.course_code
    when = session_time(event.starts_at)
    if event.status == "waitlisted":
        return _training_news(session, "training_waitlisted", event.person_id, f"On the waitlist: {course}",
                              public_url, course=course, when=when, location=event.location,
                              position=event.waitlist_position)
    return _training_news(session, "training_enrolled", event.person_id, f"Enrolled: {course}", public_url,
                          deadline=local_day(event.starts_at) if event.starts_at else None,
                          course=course, when=when, location=event.location)


def training_promoted(session: Session, event: PromotedFromWaitlist, public_url: str):
    course = event.course_title or event.course_code
    return _training_news(session, "training_promoted", event.person_id, f"A seat is yours: {course}", public_url,
                          deadline=local_day(event.starts_at), course=course,
                          when=session_time(event.starts_at), location=event.location)


def training_completed(session: Session, event: CourseCompleted, public_url: str):
    course = event.course_title or event.course_code
    return _training_news(session, "training_completed", event.person_id, f"Course completed: {course}",
                          public_url, course=course, completed_on=event.completed_on, expires_on=event.expires_on,
                          score=event.score)


def training_completion_expired(session: Session, event: CompletionExpired, public_url: str):
    course = event.course_title or event.course_code
    return _training_news(session, "training_completion_expired", event.person_id, f"Training expired: {course}",
                          public_url, course=course, expired_on=event.expired_on)
