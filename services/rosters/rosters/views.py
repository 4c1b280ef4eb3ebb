"""What people see: the catalog and their classification records, recomputed as of a date on
every read (SPEC §3: a status is never left stale as time passes). Reads write nothing."""
from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from common.contracts.rosters import ClassificationOut, MyClassificationsOut, RecordOut
from common.errors import NotFound
from rosters.engine.evaluate import Evaluation, evaluate, pending_advancement
from rosters.engine.requirements import label_of
from rosters.facts_store import as_engine_record, facts_for
from rosters.models import ClassificationRecord
from rosters.rulebook import classification_or_none


def _local(catalog, code: str):
    try:
        return catalog.local(code)
    except KeyError:
        return None


def classification_out(catalog, rules) -> ClassificationOut:
    local = _local(catalog, rules.local)
    return ClassificationOut(
        code=rules.code, name=rules.name, local=rules.local,
        local_name=local.name if local else rules.local, union=local.union if local else "",
        roster=rules.roster, group=rules.group, advances_to=rules.advances_to,
        illustrative=rules.illustrative, application=[label_of(r) for r in rules.application],
        ongoing=[label_of(r) for r in rules.ongoing])


def list_classifications(catalog, as_of: date) -> list[dict]:
    return [classification_out(catalog, c).model_dump(mode="json")
            for c in sorted(catalog.all(as_of), key=lambda c: (c.local, c.name))]


def record_out(catalog, rules, result: Evaluation, record: ClassificationRecord | None) -> RecordOut:
    local = _local(catalog, rules.local)
    return RecordOut(
        record_id=record.id if record else None, classification_code=rules.code, name=rules.name,
        local=rules.local, local_name=local.name if local else rules.local, roster=rules.roster,
        group=rules.group, status=result.status, label=result.label, as_of=result.as_of,
        applied_on=record.applied_on if record else None, placed_on=result.placed_on,
        training_eligible=result.training_eligible,
        anticipated_advancement_on=result.anticipated_advancement_on, advances_to=rules.advances_to,
        rows=[asdict(row) for row in result.rows],
        timeline=[{"start": i.start, "end": i.end, "compliant": i.compliant} for i in result.timeline])


def person_records(session: Session, catalog, person_id: uuid.UUID, as_of: date) -> MyClassificationsOut:
    records = session.scalars(sa.select(ClassificationRecord).where(
        ClassificationRecord.person_id == person_id,
        ClassificationRecord.applied_on <= as_of)  # a record made later did not exist yet
        .order_by(ClassificationRecord.applied_on, ClassificationRecord.classification_code)).all()
    facts = facts_for(session, person_id)
    mine = {r.classification_code for r in records if not (r.closed_on and r.closed_on <= as_of)}
    out = MyClassificationsOut(as_of=as_of, records=[], pending=[], closed=[])
    for record in records:
        rules = (classification_or_none(catalog, record.classification_code, as_of)
                 or classification_or_none(catalog, record.classification_code, record.applied_on))
        if rules is None:
            continue
        result = evaluate(as_engine_record(record), rules, facts, as_of)
        if result.status == "closed":
            out.closed.append(record_out(catalog, rules, result, record))
            continue
        out.records.append(record_out(catalog, rules, result, record))
        if rules.advances_to and result.placed_on and rules.advances_to not in mine:
            next_rules = classification_or_none(catalog, rules.advances_to, as_of)
            if next_rules is not None:
                out.pending.append(record_out(catalog, next_rules,
                                              pending_advancement(result, rules, next_rules), None))
    return out


def person_record(session: Session, catalog, person_id: uuid.UUID, code: str, as_of: date) -> RecordOut:
    mine = person_records(session, catalog, person_id, as_of)
    code = code.upper()
    for record in (*mine.records, *mine.pending, *mine.closed):
        if record.classification_code == code:
            return record
    raise NotFound("You have no record in that classification.")
