"""Training rules: plain functions over a session. Each write returns `(result, [events])`; the
entrypoint publishes them and commits (and rolls back on a refusal).

Seats in an in-person session are claimed with a conditional UPDATE of its `seats_taken`
counter (`... WHERE seats_taken < capacity`): the database decides who got the last seat, so two
people taking it at once cannot both have it; the other joins the waitlist, numbered by the
session's `waitlist_next` counter in the same way. Quiz attempts are counted the same way.

A completion is valid through `expires_on` (its refresher period in calendar terms) and expired
from the day after, computed as of any date on every read; the daily sweep makes it a fact.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from common import audit
from common.audit import Actor
from common.clock import hub_timezone, local_day
from common.contracts.training import (
    AttendanceIn,
    CompletionOut,
    CourseDetailOut,
    CoursesOut,
    EligibilityOut,
    EnrollIn,
    EnrollmentDetailOut,
    EnrollmentOut,
    EnrollmentsOut,
    ModuleOut,
    MyTrainingOut,
    ProgressIn,
    QuizAnswersIn,
    QuizResultOut,
    SeatOut,
    SessionFiltersIn,
    SessionIn,
    SessionOut,
    SessionRosterOut,
    SessionsOut,
    StaffCompletionIn,
    TranscriptOut,
)
from common.errors import Conflict, NotFound, ValidationFailed
from common.events import Event
from common.events.training import CompletionExpired, CourseCompleted, Enrolled, PromotedFromWaitlist
from training import eligibility
from training.courses import Catalog, Course
from training.models import (
    Completion,
    CourseSession,
    Enrollment,
    Learner,
    LearnerRecord,
    ModuleProgress,
    QuizAttempt,
)

OPEN = ("enrolled", "waitlisted")
EXPIRY_BATCH = 500
DAY = timedelta(days=1)


# --- the catalog -----------------------------------------------------------------------------------

def course_or_404(catalog: Catalog, code: str) -> Course:
    course = catalog.get(code.strip().upper())
    if course is None:
        raise NotFound(f"There is no course {code!r}. See GET /api/v1/courses.")
    return course


def list_courses(catalog: Catalog) -> CoursesOut:
    return CoursesOut(courses=catalog.out(), questionnaires=[q.out() for q in catalog.questionnaires.values()])


def session_out(row: CourseSession, waitlisted: int = 0, shape=SessionOut, **extra):
    return shape(id=row.id, course_code=row.course_code, location=row.location, starts_at=row.starts_at,
                 capacity=row.capacity, seats_left=max(row.capacity - row.seats_taken, 0), waitlisted=waitlisted,
                 cancelled=row.cancelled, **extra)


def _waitlisted_counts(session: Session, session_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not session_ids:
        return {}
    return dict(session.execute(
        sa.select(Enrollment.session_id, sa.func.count()).where(
            Enrollment.session_id.in_(session_ids), Enrollment.status == "waitlisted")
        .group_by(Enrollment.session_id)).all())


def get_course(session: Session, catalog: Catalog, code: str, at: datetime) -> CourseDetailOut:
    course = course_or_404(catalog, code)
    rows = session.scalars(sa.select(CourseSession).where(
        CourseSession.course_code == course.code, CourseSession.cancelled.is_(False),
        CourseSession.starts_at >= at).order_by(CourseSession.starts_at, CourseSession.id)).all()
    counts = _waitlisted_counts(session, [r.id for r in rows])
    base = course.out(catalog.questionnaire_of(course)).model_dump()
    return CourseDetailOut(**base, sessions=[session_out(r, counts.get(r.id, 0)) for r in rows])


# --- what a person may take ----------------------------------------------------------------------

def _records(session: Session, person_id: uuid.UUID) -> list[eligibility.RecordState]:
    return [eligibility.RecordState(status=r.status or "", placed_on=r.placed_on, closed=r.closed,
                                     training_list=r.roster == "training_list")
            for r in session.scalars(sa.select(LearnerRecord).where(LearnerRecord.person_id == person_id))]


def _completions(session: Session, person_id: uuid.UUID) -> list[Completion]:
    return list(session.scalars(sa.select(Completion).where(Completion.person_id == person_id)
                                .order_by(Completion.completed_on, Completion.recorded_at)))


def _taken(completions: list[Completion]) -> list[eligibility.Taken]:
    return [eligibility.Taken(c.course_code, c.completed_on, c.expires_on) for c in completions]


def _open_enrollments(session: Session, person_id: uuid.UUID) -> dict[str, Enrollment]:
    rows = session.scalars(sa.select(Enrollment).where(Enrollment.person_id == person_id,
                                                       Enrollment.status.in_(OPEN))
                           .order_by(Enrollment.enrolled_at))
    return {row.course_code: row for row in rows}


def my_training(session: Session, catalog: Catalog, person_id: uuid.UUID, day: date) -> MyTrainingOut:
    records = _records(session, person_id)
    taken = _taken(_completions(session, person_id))
    open_ones = _open_enrollments(session, person_id)
    out = []
    for course in catalog.courses.values():
        answer = eligibility.decide(catalog, course, records, taken, day)
        enrollment = open_ones.get(course.code)
        out.append(EligibilityOut(
            course_code=course.code, title=course.title, delivery=course.delivery,
            may_enroll=answer.may_enroll, why_not=answer.why_not, unlocks_with=answer.unlocks_with,
            current=answer.current, completed_on=answer.completed_on, expires_on=answer.expires_on,
            enrollment_id=enrollment.id if enrollment else None,
            enrollment_status=enrollment.status if enrollment else None,
            kind=course.kind, questionnaire=course.questionnaire))
    return MyTrainingOut(courses=out)


def refuse_unless_eligible(session: Session, catalog: Catalog, course: Course, person_id: uuid.UUID,
                           day: date) -> None:
    answer = eligibility.decide(catalog, course, _records(session, person_id),
                                _taken(_completions(session, person_id)), day)
    if not answer.may_enroll:
        raise Conflict(answer.why_not, {"reason": "already_current" if answer.current else "not_eligible",
                                        "unlocks_with": answer.unlocks_with, "course_code": course.code})


# --- enrolling ----------------------------------------------------------------------------------------

def _resolve(catalog: Catalog, data: EnrollIn) -> tuple[Course, dict[str, bool]]:
    """The course to enroll in (a questionnaire's code, "HP", picks it from the answers) and the
    answers as kept and published."""
    code = data.course_code
    questionnaire = catalog.questionnaires.get(code)
    course = None
    if questionnaire is None:
        course = course_or_404(catalog, code)
        questionnaire = catalog.questionnaire_of(course)
    if questionnaire is None:
        return course, {}
    if not data.answers:
        raise ValidationFailed(f"Answer the {questionnaire.title} questionnaire to enroll: it decides "
                               f"between {questionnaire.if_no} and {questionnaire.if_yes}.",
                               {"fields": {"answers": "Required"}, "questionnaire": questionnaire.out().model_dump()})
    decided = questionnaire.decide(data.answers)
    if isinstance(decided, list):
        raise ValidationFailed("; ".join(decided), {"fields": {"answers": "; ".join(decided)}})
    chosen, answers = decided
    if course is not None and course.code != chosen:
        raise Conflict(f"Your answers call for {chosen}, not {course.code}. Enroll in {chosen} instead.",
                       {"reason": "questionnaire", "course_code": chosen})
    return catalog.get(chosen), answers


def enrollment_out(session: Session, row: Enrollment, shape=EnrollmentOut, **extra):
    return shape(id=row.id, course_code=row.course_code, status=row.status, session_id=row.session_id,
                 waitlist_position=waitlist_position(session, row), enrolled_at=row.enrolled_at,
                 completed_on=row.completed_on, **extra)


def waitlist_position(session: Session, row: Enrollment) -> int | None:
    if row.status != "waitlisted" or row.session_id is None:
        return None
    return session.scalar(sa.select(sa.func.count()).where(
        Enrollment.session_id == row.session_id, Enrollment.status == "waitlisted",
        Enrollment.waitlist_seq <= row.waitlist_seq))


def _claim_seat(session: Session, session_id: uuid.UUID) -> bool:
    return session.execute(
        sa.update(CourseSession).where(CourseSession.id == session_id, CourseSession.cancelled.is_(False),
                                       CourseSession.seats_taken < CourseSession.capacity)
        .values(seats_taken=CourseSession.seats_taken + 1)
        .execution_options(synchronize_session=False)).rowcount == 1


def _next_waitlist_number(session: Session, session_id: uuid.UUID) -> int:
    return session.execute(
        sa.update(CourseSession).where(CourseSession.id == session_id)
        .values(waitlist_next=CourseSession.waitlist_next + 1)
        .returning(CourseSession.waitlist_next)
        .execution_options(synchronize_session=False)).scalar_one()


def _bookable_session(session: Session, course: Course, session_id: uuid.UUID | None, at: datetime) -> CourseSession:
    if session_id is None:
        raise ValidationFailed(f"{course.code} is taught in person: choose one of its sessions.",
                               {"fields": {"session_id": "Required for an in-person course"}})
    row = session.get(CourseSession, session_id)
    if row is None or row.course_code != course.code:
        raise NotFound(f"No such session of {course.code}.")
    if row.cancelled:
        raise Conflict("That session was cancelled; choose another.", {"reason": "session_cancelled"})
    if row.starts_at <= at:
        raise Conflict("That session has already started; choose a later one.", {"reason": "session_started"})
    return row


def enroll(session: Session, catalog: Catalog, person_id: uuid.UUID, data: EnrollIn, actor: Actor,
           at: datetime, day: date) -> tuple[tuple[EnrollmentOut, bool], list[Event]]:
    """Enroll (online), or take a seat in a session, or join its waitlist when it is full. An open
    enrollment for the same course (and session) is answered as it is (`created` False)."""
    course, answers = _resolve(catalog, data)
    existing = _open_enrollments(session, person_id).get(course.code)
    if existing is not None:
        if course.delivery == "online" or existing.session_id == data.session_id:
            return (enrollment_out(session, existing), False), []
        raise Conflict(f"You already have a place in another session of {course.code}; cancel it first.",
                       {"reason": "already_enrolled", "enrollment_id": str(existing.id)})
    refuse_unless_eligible(session, catalog, course, person_id, day)
    # the answers as given are kept; the event carries them with the questionnaire's decision
    given = {k: bool(v) for k, v in (data.answers or {}).items()} if answers else None
    row = Enrollment(id=uuid.uuid4(), person_id=person_id, course_code=course.code, status="enrolled",
                     answers=given, attempts=0, enrolled_at=at)
    seat = None
    if course.delivery == "in_person":
        seat = _bookable_session(session, course, data.session_id, at)
        row.session_id = seat.id
        if not _claim_seat(session, seat.id):
            row.status = "waitlisted"
            row.waitlist_seq = _next_waitlist_number(session, seat.id)
    elif data.session_id is not None:
        raise ValidationFailed(f"{course.code} is taken online: it has no sessions.",
                               {"fields": {"session_id": "Not for an online course"}})
    session.add(row)
    session.flush()
    audit.record(session, actor, f"enrollment.{row.status}", "enrollment", row.id, person_id=person_id,
                 course_code=course.code, session_id=row.session_id, answers=answers or None)
    out = enrollment_out(session, row)
    event = Enrolled(enrollment_id=row.id, person_id=person_id, course_code=course.code, answers=answers,
                     course_title=course.title, status=row.status, session_id=row.session_id,
                     starts_at=seat.starts_at if seat else None, location=seat.location if seat else None,
                     waitlist_position=out.waitlist_position)
    return (out, True), [event]


def own_enrollment(session: Session, person_id: uuid.UUID, enrollment_id: uuid.UUID) -> Enrollment:
    row = session.get(Enrollment, enrollment_id)
    if row is None or row.person_id != person_id:
        raise NotFound("No such enrollment.")
    return row


def list_enrollments(session: Session, person_id: uuid.UUID) -> EnrollmentsOut:
    rows = session.scalars(sa.select(Enrollment).where(Enrollment.person_id == person_id)
                           .order_by(Enrollment.enrolled_at.desc(), Enrollment.id))
    return EnrollmentsOut(enrollments=[enrollment_out(session, r) for r in rows])


def _done_modules(session: Session, enrollment_id: uuid.UUID) -> set[str]:
    return set(session.scalars(sa.select(ModuleProgress.module_id)
                               .where(ModuleProgress.enrollment_id == enrollment_id)))


def enrollment_detail(session: Session, catalog: Catalog, row: Enrollment) -> EnrollmentDetailOut:
    course = catalog.get(row.course_code)
    extra: dict = {"title": course.title if course else row.course_code}
    if course is not None and course.delivery == "online" and course.content and course.quiz:
        done = _done_modules(session, row.id)
        extra["modules"] = [ModuleOut(id=m.id, title=m.title, body=m.body, media=list(m.media), done=m.id in done)
                            for m in course.content.modules]
        # the questions as the person sees them: never which choice is right
        extra["quiz"] = [q.out() for q in course.quiz.questions]
        extra["pass_mark"] = course.quiz.pass_mark
        extra["attempts_left"] = max(catalog.max_attempts(course) - row.attempts, 0)
        extra["last_score"] = row.last_score
    return enrollment_out(session, row, EnrollmentDetailOut, **extra)


def get_enrollment(session: Session, catalog: Catalog, person_id: uuid.UUID,
                   enrollment_id: uuid.UUID) -> EnrollmentDetailOut:
    return enrollment_detail(session, catalog, own_enrollment(session, person_id, enrollment_id))


def _online_in_progress(catalog: Catalog, row: Enrollment) -> Course:
    course = catalog.get(row.course_code)
    if course is None or course.delivery != "online" or course.content is None or course.quiz is None:
        raise Conflict(f"{row.course_code} is not taken online.", {"reason": "not_online"})
    if row.status != "enrolled":
        raise Conflict(f"This enrollment is {row.status}.", {"reason": row.status})
    return course


def save_progress(session: Session, catalog: Catalog, person_id: uuid.UUID, enrollment_id: uuid.UUID,
                  data: ProgressIn, actor: Actor, at: datetime) -> tuple[EnrollmentDetailOut, list[Event]]:
    row = own_enrollment(session, person_id, enrollment_id)
    course = _online_in_progress(catalog, row)
    if data.module not in {m.id for m in course.content.modules}:
        raise ValidationFailed(f"{course.code} has no module {data.module!r}.",
                               {"fields": {"module": "Not a module of this course"}})
    if session.get(ModuleProgress, (row.id, data.module)) is None:
        session.add(ModuleProgress(enrollment_id=row.id, module_id=data.module, done_at=at))
        session.flush()
    return enrollment_detail(session, catalog, row), []


# --- the quiz -------------------------------------------------------------------------------------------

def score_quiz(course: Course, answers: dict[str, int]) -> tuple[int, list[str]]:
    """(percent, wrong question ids); a question left unanswered is wrong."""
    questions = course.quiz.questions
    wrong = [q.id for q in questions if answers.get(q.id) != q.answer]
    right = len(questions) - len(wrong)
    return (right * 100 + len(questions) // 2) // len(questions), wrong


def _completion(session: Session, catalog: Catalog, course: Course, person_id: uuid.UUID, completed_on: date,
                source: str, at: datetime, actor: Actor, score: int | None = None,
                enrollment_id: uuid.UUID | None = None,
                evidence_document_id: uuid.UUID | None = None) -> tuple[Completion, CourseCompleted]:
    completion = Completion(id=uuid.uuid4(), person_id=person_id, course_code=course.code,
                            completed_on=completed_on, expires_on=course.valid_through(completed_on), score=score,
                            source=source, evidence_document_id=evidence_document_id,
                            enrollment_id=enrollment_id, recorded_at=at, recorded_by=actor.account_id)
    session.add(completion)
    session.flush()
    audit.record(session, actor, "completion.recorded", "completion", completion.id, person_id=person_id,
                 course_code=course.code, completed_on=completed_on, expires_on=completion.expires_on,
                 score=score, source=source, evidence_document_id=evidence_document_id,
                 enrollment_id=enrollment_id)
    return completion, completed_event(course, completion)


def completed_event(course: Course, completion: Completion) -> CourseCompleted:
    return CourseCompleted(person_id=completion.person_id, course_code=course.code,
                           completed_on=completion.completed_on, expires_on=completion.expires_on,
                           course_title=course.title, score=completion.score, completion_source=completion.source)


def status_as_of(completion: Completion, day: date) -> str:
    return "expired" if completion.expires_on is not None and completion.expires_on < day else "current"


def completion_out(catalog: Catalog, completion: Completion, day: date) -> CompletionOut:
    return CompletionOut(id=completion.id, person_id=completion.person_id, course_code=completion.course_code,
                         title=catalog.title(completion.course_code), completed_on=completion.completed_on,
                         expires_on=completion.expires_on, score=completion.score, source=completion.source,
                         status=status_as_of(completion, day))


def submit_quiz(session: Session, catalog: Catalog, person_id: uuid.UUID, enrollment_id: uuid.UUID,
                data: QuizAnswersIn, actor: Actor, at: datetime, day: date) -> tuple[QuizResultOut, list[Event]]:
    row = own_enrollment(session, person_id, enrollment_id)
    course = _online_in_progress(catalog, row)
    questions = {q.id: q for q in course.quiz.questions}
    problems = {key: "Not a question of this quiz" for key in data.answers if key not in questions}
    problems.update({key: f"Choose one of the {len(questions[key].choices)} choices (0 is the first)"
                     for key, choice in data.answers.items()
                     if key in questions and not 0 <= choice < len(questions[key].choices)})
    if problems:
        raise ValidationFailed("Some answers do not fit the quiz.", {"fields": problems})
    missing = [m.title for m in course.content.modules if m.id not in _done_modules(session, row.id)]
    if missing:
        raise Conflict("Finish every module before the quiz: " + "; ".join(missing) + ".",
                       {"reason": "modules_unfinished"})
    limit = catalog.max_attempts(course)
    # counted by the database, so two submissions at once cannot both use the last attempt
    counted = session.execute(
        sa.update(Enrollment).where(Enrollment.id == row.id, Enrollment.status == "enrolled",
                                    Enrollment.attempts < limit)
        .values(attempts=Enrollment.attempts + 1).execution_options(synchronize_session=False)).rowcount
    if counted != 1:
        raise Conflict(f"You have used all {limit} attempts at this quiz. Enroll again to start the course over.",
                       {"reason": "no_attempts_left"})
    session.refresh(row)
    score, wrong = score_quiz(course, data.answers)
    passed = score >= course.quiz.pass_mark
    session.add(QuizAttempt(id=uuid.uuid4(), enrollment_id=row.id, number=row.attempts, score=score,
                            passed=passed, wrong=wrong, at=at))
    row.last_score = score
    events: list[Event] = []
    completion_shape = None
    if passed:
        row.status, row.completed_on, row.ended_at = "completed", day, at
        completion, event = _completion(session, catalog, course, person_id, day, "online", at, actor,
                                        score=score, enrollment_id=row.id)
        events.append(event)
        completion_shape = completion_out(catalog, completion, day)
    elif row.attempts >= limit:
        row.status, row.ended_at = "failed", at
    audit.record(session, actor, "quiz.submitted", "enrollment", row.id, person_id=person_id,
                 course_code=course.code, attempt=row.attempts, score=score, passed=passed, wrong=wrong)
    session.flush()
    return QuizResultOut(passed=passed, score=score, wrong=wrong, attempts_left=max(limit - row.attempts, 0),
                         completion=completion_shape), events


# --- cancelling, and the waitlist -------------------------------------------------------------------

def cancel(session: Session, catalog: Catalog, person_id: uuid.UUID, enrollment_id: uuid.UUID, actor: Actor,
           at: datetime) -> tuple[EnrollmentOut, list[Event]]:
    """Cancel an open enrollment. A seat it held goes to the first person on the session's
    waitlist (who is told), or back to the session."""
    row = own_enrollment(session, person_id, enrollment_id)
    if row.status not in OPEN:
        raise Conflict(f"This enrollment is already {row.status}.", {"reason": row.status})
    held_seat = row.status == "enrolled" and row.session_id is not None
    seat = None
    if held_seat:
        # one cancellation at a time per session hands out its seat (PostgreSQL row lock)
        seat = session.scalar(sa.select(CourseSession).where(CourseSession.id == row.session_id)
                              .with_for_update())
    old = row.status
    taken = session.execute(
        sa.update(Enrollment).where(Enrollment.id == row.id, Enrollment.status == old)
        .values(status="cancelled", ended_at=at).execution_options(synchronize_session=False)).rowcount
    if taken != 1:
        raise Conflict("This enrollment changed meanwhile; reload and try again.", {"reason": "changed"})
    session.refresh(row)
    audit.record(session, actor, "enrollment.cancelled", "enrollment", row.id, person_id=person_id,
                 course_code=row.course_code, session_id=row.session_id, was=old)
    events: list[Event] = []
    if held_seat:
        promoted = _promote_next(session, catalog, seat, actor, at)
        if promoted is not None:
            events.append(promoted)
        else:
            session.execute(sa.update(CourseSession).where(CourseSession.id == seat.id,
                                                           CourseSession.seats_taken > 0)
                            .values(seats_taken=CourseSession.seats_taken - 1)
                            .execution_options(synchronize_session=False))
    session.flush()
    return enrollment_out(session, row), events


def _promote_next(session: Session, catalog: Catalog, seat: CourseSession, actor: Actor,
                  at: datetime) -> PromotedFromWaitlist | None:
    waiting = session.scalars(sa.select(Enrollment).where(
        Enrollment.session_id == seat.id, Enrollment.status == "waitlisted")
        .order_by(Enrollment.waitlist_seq, Enrollment.enrolled_at)).all()
    for candidate in waiting:
        moved = session.execute(
            sa.update(Enrollment).where(Enrollment.id == candidate.id, Enrollment.status == "waitlisted")
            .values(status="enrolled").execution_options(synchronize_session=False)).rowcount
        if moved != 1:
            continue
        session.refresh(candidate)
        audit.record(session, actor, "enrollment.promoted", "enrollment", candidate.id,
                     person_id=candidate.person_id, course_code=candidate.course_code, session_id=seat.id)
        return PromotedFromWaitlist(enrollment_id=candidate.id, person_id=candidate.person_id,
                                    course_code=candidate.course_code, session_id=seat.id,
                                    starts_at=seat.starts_at, location=seat.location,
                                    course_title=catalog.title(candidate.course_code))
    return None


# --- in-person sessions (staff) ---------------------------------------------------------------------

def _aware(value: datetime) -> datetime:
    """A start time without a zone is the Hub's local time (Burbank)."""
    return value.replace(tzinfo=hub_timezone()) if value.tzinfo is None else value


def schedule_session(session: Session, catalog: Catalog, data: SessionIn, actor: Actor,
                     at: datetime) -> tuple[SessionOut, list[Event]]:
    course = catalog.get(data.course_code)
    if course is None:
        raise ValidationFailed(f"There is no course {data.course_code!r}.",
                               {"fields": {"course_code": "Unknown course"}})
    if course.delivery != "in_person":
        raise ValidationFailed(f"{course.code} is taken online: it has no sessions.",
                               {"fields": {"course_code": "Not an in-person course"}})
    starts_at = _aware(data.starts_at)
    if starts_at <= at:
        raise ValidationFailed("A session is scheduled in the future.",
                               {"fields": {"starts_at": "In the past"}})
    row = CourseSession(id=uuid.uuid4(), course_code=course.code, location=data.location, starts_at=starts_at,
                        capacity=data.capacity, seats_taken=0, waitlist_next=0, cancelled=False, created_at=at,
                        created_by=actor.account_id)
    session.add(row)
    session.flush()
    audit.record(session, actor, "session.scheduled", "course_session", row.id, course_code=course.code,
                 location=row.location, starts_at=starts_at, capacity=row.capacity)
    return session_out(row), []


def list_sessions(session: Session, filters: SessionFiltersIn, at: datetime) -> SessionsOut:
    query = sa.select(CourseSession).order_by(CourseSession.starts_at, CourseSession.id).limit(500)
    if filters.course_code:
        query = query.where(CourseSession.course_code == filters.course_code.upper())
    if not filters.include_past:
        query = query.where(CourseSession.starts_at >= at - timedelta(days=1))
    rows = session.scalars(query).all()
    counts = _waitlisted_counts(session, [r.id for r in rows])
    return SessionsOut(sessions=[session_out(r, counts.get(r.id, 0)) for r in rows])


def session_roster(session: Session, session_id: uuid.UUID) -> SessionRosterOut:
    row = session.get(CourseSession, session_id)
    if row is None:
        raise NotFound("No such session.")
    seats = []
    enrollments = session.execute(
        sa.select(Enrollment, Learner).outerjoin(Learner, Learner.person_id == Enrollment.person_id)
        .where(Enrollment.session_id == row.id)
        .order_by(Enrollment.status != "enrolled", Enrollment.waitlist_seq, Enrollment.enrolled_at)).all()
    waiting = 0
    for enrollment, learner in enrollments:
        position = None
        if enrollment.status == "waitlisted":
            waiting += 1
            position = waiting
        seats.append(SeatOut(enrollment_id=enrollment.id, person_id=enrollment.person_id,
                             il_number=learner.il_number if learner else None,
                             first_name=learner.first_name if learner else None,
                             last_name=learner.last_name if learner else None,
                             status=enrollment.status, waitlist_position=position, attended=enrollment.attended))
    return session_out(row, waiting, SessionRosterOut, seats=seats)


def record_attendance(session: Session, catalog: Catalog, session_id: uuid.UUID, data: AttendanceIn, actor: Actor,
                      at: datetime, day: date) -> tuple[SessionRosterOut, list[Event]]:
    """Staff mark who came: each attendee's course is completed (source "in_person") on the
    session's day; the absent are noted."""
    row = session.get(CourseSession, session_id)
    if row is None:
        raise NotFound("No such session.")
    session_day = local_day(row.starts_at)
    if session_day > day:
        raise Conflict(f"The session is on {session_day:%m/%d/%Y}: record attendance on or after that day.",
                       {"reason": "session_not_held"})
    both = set(data.attended) & set(data.absent)
    if both:
        raise ValidationFailed("An enrollment cannot be both present and absent.",
                               {"fields": {"absent": ", ".join(sorted(map(str, both)))}})
    wanted = list(dict.fromkeys([*data.attended, *data.absent]))
    found = {e.id: e for e in session.scalars(sa.select(Enrollment).where(
        Enrollment.session_id == row.id, Enrollment.id.in_(wanted)))} if wanted else {}
    unknown = [str(i) for i in wanted if i not in found or found[i].status not in ("enrolled", "completed")]
    if unknown:
        raise ValidationFailed("Some enrollments do not hold a seat in this session.",
                               {"fields": {"attended": ", ".join(unknown)}})
    course = catalog.get(row.course_code)
    events: list[Event] = []
    for enrollment_id in data.attended:
        enrollment = found[enrollment_id]
        if enrollment.status == "completed":  # recorded before: nothing new
            continue
        enrollment.status, enrollment.attended, enrollment.completed_on, enrollment.ended_at = (
            "completed", True, session_day, at)
        _completion_row, event = _completion(session, catalog, course, enrollment.person_id, session_day,
                                             "in_person", at, actor, enrollment_id=enrollment.id)
        events.append(event)
    for enrollment_id in data.absent:
        enrollment = found[enrollment_id]
        if enrollment.status == "enrolled":
            enrollment.attended = False
            audit.record(session, actor, "enrollment.absent", "enrollment", enrollment.id,
                         person_id=enrollment.person_id, session_id=row.id)
    session.flush()
    return session_roster(session, row.id), events


# --- completions from elsewhere, transcript ----------------------------------------------------------

def record_completion(session: Session, catalog: Catalog, data: StaffCompletionIn, actor: Actor, at: datetime,
                      day: date) -> tuple[CompletionOut, list[Event]]:
    course = catalog.get(data.course_code)
    if course is None:
        raise NotFound(f"There is no course {data.course_code!r}.")
    if session.get(Learner, data.person_id) is None:
        raise NotFound("No such person.")
    if data.completed_on > day:
        raise ValidationFailed("A completion cannot be dated in the future.",
                               {"fields": {"completed_on": f"After today ({day:%m/%d/%Y})"}})
    completion, event = _completion(session, catalog, course, data.person_id, data.completed_on, data.source, at,
                                    actor, score=data.score, evidence_document_id=data.evidence_document_id)
    return completion_out(catalog, completion, day), [event]


def transcript(session: Session, catalog: Catalog, person_id: uuid.UUID, day: date) -> TranscriptOut:
    learner = session.get(Learner, person_id)
    completions = sorted(_completions(session, person_id), key=lambda c: (c.completed_on, c.recorded_at),
                         reverse=True)
    return TranscriptOut(person_id=person_id, il_number=learner.il_number if learner else None,
                         first_name=learner.first_name if learner else None,
                         last_name=learner.last_name if learner else None,
                         completions=[completion_out(catalog, c, day) for c in completions])


# --- expiry --------------------------------------------------------------------------------------------

def expire_batch(session: Session, catalog: Catalog, as_of: date, at: datetime, actor: Actor,
                 limit: int = EXPIRY_BATCH) -> tuple[int, list[CompletionExpired]]:
    """Up to `limit` completions that lapsed before `as_of` become a fact. Each is announced once
    (training.completion_expired) unless a later completion of the same course still keeps the
    person current: a refresher taken in time lapses nothing. The caller publishes, commits and
    calls again until nothing is left; returns (handled, events)."""
    due = session.scalars(
        sa.select(Completion).where(Completion.expires_on < as_of, Completion.expired_event_sent_at.is_(None))
        .order_by(Completion.expires_on, Completion.id).limit(limit)).all()
    events = []
    for completion in due:
        # conditional, so a staff sweep and the daily one running together announce it once
        taken = session.execute(
            sa.update(Completion).where(Completion.id == completion.id, Completion.expired_event_sent_at.is_(None))
            .values(expired_event_sent_at=at).execution_options(synchronize_session=False)).rowcount
        if taken != 1:
            continue
        expired_on = completion.expires_on + DAY
        renewed = session.scalar(sa.select(sa.func.count()).where(
            Completion.person_id == completion.person_id, Completion.course_code == completion.course_code,
            Completion.id != completion.id, Completion.completed_on <= expired_on,
            sa.or_(Completion.expires_on.is_(None), Completion.expires_on >= expired_on)))
        audit.record(session, actor, "completion.expired", "completion", completion.id,
                     person_id=completion.person_id, course_code=completion.course_code, expired_on=expired_on,
                     renewed=bool(renewed))
        if renewed:
            continue
        events.append(CompletionExpired(person_id=completion.person_id, course_code=completion.course_code,
                                        expired_on=expired_on, course_title=catalog.title(completion.course_code),
                                        completed_on=completion.completed_on))
    for completion in due:
        session.expire(completion)
    return len(due), events
