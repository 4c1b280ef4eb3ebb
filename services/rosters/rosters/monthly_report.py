"""Staff reports: what happened on the rosters month by month (calendar months in the Hub's time
zone, this one included, newest first), for every local or one.

Each figure is one GROUP BY in SQL over a CASE naming the month a fact falls in. The month
boundaries are computed here and passed as parameters, so the same statement runs on SQLite and
PostgreSQL and costs about the same for sixty people or sixty thousand. Dates (placed_on,
starts_on, effective_on, decided_on) are business days already; the audit log's instants are UTC,
so their boundaries are each month's first midnight in HUB_TIMEZONE, as UTC.

What is counted, each from a dated fact:
- placements: records placed on a roster (ClassificationRecord.placed_on);
- suspensions: records that went Not Compliant, whether a requirement lapsed or staff suspended or
  withdrew the person. The engine keeps no status history; its audit entry "record.suspended" is
  the dated fact;
- staff_suspensions, withdrawals: what staff imposed (rosters.suspensions), by the day it starts;
- removals: removals taking effect (rosters.removals), unless they were reversed;
- reinstatements: records back from Not Compliant ("record.reinstated"), and removals reversed
  (by the day of the decision).
"""
from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from common.clock import hub_timezone
from common.contracts.rosters import MONTHLY_COLUMNS, MonthlyActivityIn, MonthlyActivityOut, MonthlyActivityRow
from common.db import base_of
from common.errors import ValidationFailed
from rosters.models import ClassificationRecord, Removal, Suspension

SUSPENDED, REINSTATED = "record.suspended", "record.reinstated"


def month_starts(today: date, months: int) -> list[date]:
    """The first day of each of the last `months` months (this one last), and of the next month."""
    index = today.year * 12 + today.month - 1
    return [date(i // 12, i % 12 + 1, 1) for i in range(index - months + 1, index + 2)]


def _instant(day: date) -> datetime:
    """Midnight starting `day` in the Hub's time zone, as the UTC instant the audit log stores."""
    return datetime.combine(day, time(0), tzinfo=hub_timezone()).astimezone(UTC)


def _by_month(session: Session, column, bounds: list, source, *criteria, by=None) -> Counter:
    """{(month index, `by` or None): count} of the rows of `source` whose `column` falls in the
    months bounded by `bounds` (index 0 the oldest)."""
    month = sa.case(*[(column < bound, i) for i, bound in enumerate(bounds[1:])])
    picked = [month.label("month"), (by if by is not None else sa.null()).label("key")]
    inner = (sa.select(*picked).select_from(source)
             .where(column >= bounds[0], column < bounds[-1], *criteria).subquery())
    rows = session.execute(sa.select(inner.c.month, inner.c.key, sa.func.count())
                           .group_by(inner.c.month, inner.c.key)).tuples()
    return Counter({(month_index, key): n for month_index, key, n in rows})


def _on_local(table, local: str | None):
    """`table` (its rows name a person and a classification), joined to the record to filter by
    local; the table itself when every local is wanted."""
    if local is None:
        return table, ()
    record = ClassificationRecord
    joined = sa.join(table, record, sa.and_(record.person_id == table.c.person_id,
                                            record.classification_code == table.c.classification_code))
    return joined, (record.local == local,)


def _audited_on_local(entry, local: str | None):
    """The audit log's entries about classification records; with a local, joined to the record.
    The entry holds the record's id as text: compared without hyphens, as SQLite stores a UUID
    (32 hex digits) and PostgreSQL prints one (with them)."""
    about_records = entry.target_type == "classification_record"
    if local is None:
        return entry.__table__, (about_records,)
    record = ClassificationRecord
    same = sa.func.replace(entry.target_id, "-", "") == sa.func.replace(sa.cast(record.id, sa.String), "-", "")
    return sa.join(entry.__table__, record.__table__, same), (about_records, record.local == local)


def monthly_activity(session: Session, catalog, data: MonthlyActivityIn, today: date) -> MonthlyActivityOut:
    locals_ = {local.code: local.name for local in catalog.locals()}
    if data.local is not None and data.local not in locals_:
        raise ValidationFailed(f"There is no local {data.local!r}.", {"fields": {"local": "unknown local"}})
    starts = month_starts(today, data.months)
    counts = {column: Counter() for column in MONTHLY_COLUMNS[1:]}

    source, criteria = (ClassificationRecord.__table__, ())
    if data.local is not None:
        criteria = (ClassificationRecord.local == data.local,)
    for (month, _), n in _by_month(session, ClassificationRecord.placed_on, starts, source, *criteria).items():
        counts["placements"][month] += n

    source, criteria = _on_local(Suspension.__table__, data.local)
    kinds = {"suspension": "staff_suspensions", "withdrawal": "withdrawals"}
    for (month, kind), n in _by_month(session, Suspension.starts_on, starts, source, *criteria,
                                      by=Suspension.kind).items():
        if kind in kinds:
            counts[kinds[kind]][month] += n

    source, criteria = _on_local(Removal.__table__, data.local)
    for (month, _), n in _by_month(session, Removal.effective_on, starts, source, *criteria,
                                   Removal.status != "reversed").items():
        counts["removals"][month] += n
    for (month, _), n in _by_month(session, Removal.decided_on, starts, source, *criteria,
                                   Removal.status == "reversed").items():
        counts["reinstatements"][month] += n

    entry = base_of(session).AuditEntry
    source, criteria = _audited_on_local(entry, data.local)
    actions = {SUSPENDED: "suspensions", REINSTATED: "reinstatements"}
    for (month, action), n in _by_month(session, entry.at, [_instant(day) for day in starts], source, *criteria,
                                        entry.action.in_(actions), by=entry.action).items():
        counts[actions[action]][month] += n

    rows = [MonthlyActivityRow(month=f"{start:%Y-%m}", starts_on=start, ends_on=starts[i + 1] - timedelta(days=1),
                               **{column: counts[column][i] for column in counts})
            for i, start in enumerate(starts[:-1])]
    return MonthlyActivityOut(as_of=today, months=data.months, local=data.local, time_zone=str(hub_timezone()),
                              rows=rows[::-1], totals={column: sum(c.values()) for column, c in counts.items()},
                              locals=locals_)
