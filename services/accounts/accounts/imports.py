"""The legacy import (issue 11, journey 2): CSV files of the legacy systems, imported in the
background, resumably and idempotently.

The gateway streams the file into object storage and calls `start_import`; a timer in the
service claims a queued (or interrupted) job with a lease, streams the CSV back (never whole in
memory), skips the `done` rows already committed, and handles batches of BATCH rows. Each
batch's changes, its rejections and the new `done` are committed together, so a crash or a
restart resumes at the first row not committed, and nothing is applied twice.

`people` rows are applied here (this service owns people); the other kinds go in batches to the
owning service (common.contracts.imports.OWNER) by RPC, whose batch operation is itself
idempotent (a replayed batch after a crash between its commit and ours counts as unchanged
there)."""
from __future__ import annotations

import csv
import io
import json
import logging
import time
import uuid

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.orm import Session

from accounts import ssn as ssn_crypto
from accounts.clock import now
from accounts.import_invitations import invite_claimed
from accounts.leases import LEASE, claim_oldest, locked_if_ours
from accounts.models import Account, ImportInvitation, ImportJob, ImportRejection, Person
from accounts.registration import contact_event
from common import audit
from common.audit import as_actor
from common.contracts.imports import (
    OWNER,
    HeaderProblem,
    ImportOut,
    PersonRow,
    RejectedRow,
    StartImportIn,
    check_header,
    row_problem,
)
from common.errors import NotFound
from common.events.accounts import PersonRegistered

log = logging.getLogger(__name__)

BATCH = 500
BUDGET_SECONDS = 50.0          # one timer run's work; the next run carries on
REPORT_REJECTIONS = 200        # in the JSON report; the CSV has all of them


# --- the stored file, as text --------------------------------------------------------------------

class _ChunkReader(io.RawIOBase):
    """A raw binary stream over an iterator of byte chunks (storage.open_stream)."""

    def __init__(self, chunks):
        self._chunks = iter(chunks)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def close(self):
        closer = getattr(self._chunks, "close", None)
        if closer:
            closer()
        super().close()


def open_csv(storage, key: str):
    """A csv.DictReader over the stored file (UTF-8, a BOM tolerated); `line_num` is the file's line."""
    text = io.TextIOWrapper(io.BufferedReader(_ChunkReader(storage.open_stream(key)), 1 << 16),
                            encoding="utf-8-sig", newline="")
    return text, csv.DictReader(text)


# --- jobs ----------------------------------------------------------------------------------------

def start(session: Session, data: StartImportIn, actor) -> ImportJob:
    """Queue a job (the same id again is the same job)."""
    job = session.get(ImportJob, data.id)
    if job is not None:
        return job
    job = ImportJob(id=data.id, kind=data.kind, storage_key=data.key, file_name=data.file_name,
                    send_invitations=data.send_invitations, status="queued", done=0, created=0,
                    updated=0, unchanged=0, rejected=0, warnings="", actor=as_actor(actor).model_dump_json(),
                    created_at=now())
    session.add(job)
    session.flush()
    audit.record(session, actor, "import.started", "import", job.id, kind=data.kind)
    return job


def _iso(value):
    return value.isoformat() if value else None


def report(session: Session, job_id: uuid.UUID, limit: int = REPORT_REJECTIONS) -> ImportOut:
    job = session.get(ImportJob, job_id)
    if job is None:
        raise NotFound("No such import.")
    rejected = session.execute(sa.select(ImportRejection.line, ImportRejection.reason)
                               .where(ImportRejection.job_id == job_id)
                               .order_by(ImportRejection.line).limit(limit)).all()
    rate = None
    if job.started_at and job.done:
        seconds = ((job.finished_at or now()) - job.started_at).total_seconds()
        rate = round(job.done / max(seconds, 0.001) * 60, 1)
    return ImportOut(id=job.id, kind=job.kind, status=job.status, file_name=job.file_name,
                     send_invitations=job.send_invitations, total=job.total, done=job.done,
                     created=job.created, updated=job.updated, unchanged=job.unchanged,
                     rejected_count=job.rejected, rejected=[RejectedRow(line=n, reason=r) for n, r in rejected],
                     warnings=[w for w in job.warnings.split("\n") if w], error=job.error,
                     created_at=_iso(job.created_at), started_at=_iso(job.started_at),
                     finished_at=_iso(job.finished_at), rows_per_minute=rate)


def list_jobs(session: Session, limit: int = 50) -> list[dict]:
    ids = session.scalars(sa.select(ImportJob.id).order_by(ImportJob.created_at.desc()).limit(limit)).all()
    return [report(session, i, limit=0).model_dump(mode="json") for i in ids]


def rejections(session: Session, job_id: uuid.UUID) -> list[dict]:
    if session.get(ImportJob, job_id) is None:
        raise NotFound("No such import.")
    return [{"line": n, "reason": r} for n, r in session.execute(
        sa.select(ImportRejection.line, ImportRejection.reason)
        .where(ImportRejection.job_id == job_id).order_by(ImportRejection.line))]


def claim(session: Session, token: str) -> ImportJob | None:
    """The oldest queued job, or a running one whose lease lapsed (its runner died); leased to us."""
    return claim_oldest(session, ImportJob, ("queued", "running"), ImportJob.created_at, token)


def _locked(session: Session, job_id, token: str) -> ImportJob | None:
    """The job, locked for this transaction, if our lease still holds."""
    return locked_if_ours(session, ImportJob, job_id, token)


# --- people --------------------------------------------------------------------------------------



PERSON_FIELDS = ("first_name", "last_name", "date_of_birth", "email", "phone", "address_line1")


class Context:
    """What applying a batch needs from the service."""

    def __init__(self, config=None, publish=None, public_url: str = "", remote=None):
        self.config = config
        self.publish = publish or (lambda event: None)
        self.public_url = public_url
        self.remote = remote  # callable(service, method, *args)


def apply_people(session: Session, job: ImportJob, rows: list[tuple[int, dict]], ctx: Context,
                 actor) -> tuple[dict, list[tuple[int, str]]]:
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    rejected: list[tuple[int, str]] = []
    parsed = []
    for line, raw in rows:
        try:
            parsed.append((line, PersonRow.model_validate({k: v for k, v in raw.items() if k})))
        except ValidationError as exc:
            rejected.append((line, row_problem(exc)))
    indexes = {row.il_number: ssn_crypto.ssn_index(row.ssn, ctx.config) for _, row in parsed}
    by_il = {p.il_number: p for p in session.scalars(
        sa.select(Person).where(Person.il_number.in_(list(indexes))))}
    by_index = {p.ssn_index: p for p in session.scalars(
        sa.select(Person).where(Person.ssn_index.in_(list(indexes.values()))))}
    touched: list[Person] = []
    for line, row in parsed:
        index = indexes[row.il_number]
        values = {"first_name": row.first_name, "last_name": row.last_name,
                  "date_of_birth": row.date_of_birth, "email": row.email, "phone": row.phone,
                  "address_line1": row.address}
        person = by_il.get(row.il_number)
        if person is None:
            other = by_index.get(index)
            if other is not None:
                rejected.append((line, f"ssn: already on file under IL number {other.il_number}"))
                continue
            person = Person(id=uuid.uuid4(), il_number=row.il_number,
                            ssn_encrypted=ssn_crypto.encrypt_ssn(row.ssn, ctx.config),
                            ssn_index=index, origin="import", email_notifications=True,
                            email_undeliverable=False, created_at=now(), **values)
            session.add(person)
            by_il[row.il_number] = by_index[index] = person
            counts["created"] += 1
            ctx.publish(PersonRegistered(person_id=person.id, il_number=person.il_number,
                                         first_name=person.first_name, last_name=person.last_name,
                                         origin="import", has_account=False, ssn_index=index))
            if person.email:
                ctx.publish(contact_event(person))
            touched.append(person)
            continue
        if person.ssn_index != index:
            rejected.append((line, "ssn: does not match the SSN on file for this IL number"))
            continue
        changed = {k: v for k, v in values.items() if v is not None and getattr(person, k) != v}
        if not changed:
            counts["unchanged"] += 1
        else:
            for k, v in changed.items():
                setattr(person, k, v)
            counts["updated"] += 1
            ctx.publish(PersonRegistered(person_id=person.id, il_number=person.il_number,
                                         first_name=person.first_name, last_name=person.last_name,
                                         origin="import", has_account=False, ssn_index=index))
            if {"email", "first_name"} & set(changed):
                ctx.publish(contact_event(person))
        touched.append(person)
    session.flush()
    if job.send_invitations and touched:
        _invite(session, job, touched, ctx, actor)
    return counts, rejected


def _invite(session: Session, job: ImportJob, people: list[Person], ctx: Context, actor) -> None:
    """The claim invitation, once per person ever (whatever the reruns), to those with an e-mail
    and no account. Claimed by the same conditional insert as staff's invitation drives
    (accounts.import_invitations), so a drive inviting the same people at once never collides."""
    ids = [p.id for p in people if p.email]
    if not ids:
        return
    with_account = set(session.scalars(sa.select(Account.person_id).where(Account.person_id.in_(ids))))
    invited = set(session.scalars(sa.select(ImportInvitation.person_id).where(ImportInvitation.person_id.in_(ids))))
    done = with_account | invited
    wanted = [person_id for person_id in dict.fromkeys(ids) if person_id not in done]
    _, events = invite_claimed(session, wanted, job.id, ctx.public_url, actor)
    for event in events:
        ctx.publish(event)


def apply_remote(job: ImportJob, rows: list[tuple[int, dict]], ctx: Context, actor):
    service = OWNER[job.kind]
    payload = [{"line": line, "values": {k: v for k, v in raw.items() if k}} for line, raw in rows]
    out = ctx.remote(service, "import_rows", job.kind, payload, actor.model_dump(mode="json"))
    counts = {k: out.get(k, 0) for k in ("created", "updated", "unchanged")}
    return counts, [(r["line"], r["reason"]) for r in out.get("rejected", [])]


# --- the runner ----------------------------------------------------------------------------------

def _commit_batch(session: Session, job_id, token: str, rows, counts, rejected, warnings=None) -> bool:
    job = _locked(session, job_id, token)
    if job is None:
        session.rollback()
        return False
    for line, reason in rejected:
        if session.get(ImportRejection, (job_id, line)) is None:
            session.add(ImportRejection(job_id=job_id, line=line, reason=reason[:500]))
    job.done += rows
    job.created += counts.get("created", 0)
    job.updated += counts.get("updated", 0)
    job.unchanged += counts.get("unchanged", 0)
    job.rejected += len(rejected)
    job.lease_until = now() + LEASE
    session.commit()
    return True


def _fail(session: Session, job_id, token: str, message: str) -> None:
    session.rollback()
    job = _locked(session, job_id, token)
    if job is not None:
        job.status, job.error, job.finished_at, job.lease_token, job.lease_until = \
            "failed", message[:2000], now(), None, None
    session.commit()


def _count_rows(storage, key: str) -> int:
    text, reader = open_csv(storage, key)
    with text:
        return sum(1 for _ in reader)


def process(session: Session, job: ImportJob, token: str, storage, ctx: Context,
            budget_seconds: float = BUDGET_SECONDS, batch_size: int = BATCH, crash_after=None) -> str:
    """Carry the job on from `done` for up to `budget_seconds`. Returns its status afterwards."""
    job_id = job.id
    actor = as_actor(json.loads(job.actor or "null"))
    started = time.monotonic()
    text, reader = open_csv(storage, job.storage_key)
    with text:
        try:
            extra = check_header(job.kind, reader.fieldnames)
        except HeaderProblem as exc:
            _fail(session, job_id, token, str(exc))
            return "failed"
        if job.total is None:
            total = _count_rows(storage, job.storage_key)
            locked = _locked(session, job_id, token)
            if locked is None:
                session.rollback()
                return "lost"
            locked.total = total
            if extra:
                locked.warnings = f"Extra column(s) ignored: {', '.join(extra)}"
            session.commit()
        skip = job.done
        for _ in range(skip):
            if next(reader, None) is None:
                break
        batch: list[tuple[int, dict]] = []
        batches = 0

        def flush() -> bool:
            nonlocal batches
            current = session.get(ImportJob, job_id)
            if job.kind == "people":
                counts, rejected = apply_people(session, current, batch, ctx, actor)
            else:
                counts, rejected = apply_remote(current, batch, ctx, actor)
            if crash_after is not None and batches >= crash_after:
                raise SystemExit("simulated crash")
            ok = _commit_batch(session, job_id, token, len(batch), counts, rejected)
            batches += 1
            batch.clear()
            return ok

        for row in reader:
            batch.append((reader.line_num, row))
            if len(batch) >= batch_size:
                if not flush():
                    return "lost"
                if time.monotonic() - started > budget_seconds:
                    return "running"
        if batch and not flush():
            return "lost"
    job = _locked(session, job_id, token)
    if job is None:
        session.rollback()
        return "lost"
    job.status, job.finished_at, job.lease_token, job.lease_until = "done", now(), None, None
    audit.record(session, actor, "import.finished", "import", job_id, kind=job.kind, rows=job.done,
                 created=job.created, updated=job.updated, unchanged=job.unchanged, rejected=job.rejected)
    session.commit()
    return "done"


def run_pending(session: Session, storage, ctx: Context, budget_seconds: float = BUDGET_SECONDS,
                batch_size: int = BATCH) -> str | None:
    """Claim one job and carry it on; None when there is nothing to do."""
    token = uuid.uuid4().hex
    job = claim(session, token)
    if job is None:
        return None
    try:
        status = process(session, job, token, storage, ctx, budget_seconds, batch_size)
    except NotFound as exc:
        _fail(session, job.id, token, f"The uploaded file is gone: {exc}")
        return "failed"
    except UnicodeDecodeError:
        _fail(session, job.id, token, "The file is not UTF-8 text. Save it as CSV UTF-8 and upload it again.")
        return "failed"
    except csv.Error as exc:
        _fail(session, job.id, token, f"The file is not a readable CSV file: {exc}")
        return "failed"
    if status == "running":
        session.rollback()
        held = _locked(session, job.id, token)
        if held is not None:
            held.lease_until = None  # free for the next run (ours or another instance's)
        session.commit()
    return status
