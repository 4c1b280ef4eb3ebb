"""Public roster search (SPEC §4 journey 8, §6 POST /api/v1/roster/search).

Anyone may search, by any subset of last name, first name, SSN, IL number, classification and
local. The answer holds public facts only: name, IL number, each classification with its roster
status, and the Safety Pass courses completed and not expired — never an SSN, a date of birth,
contact details or documents.

Statuses are the cached `classification_records.status` (kept fresh by the rosters service and
its daily sweep), so a search never re-evaluates anyone. Pending advancement records (a group a
person has not reached yet) and closed records are not shown.

Speed at 60,000 people: names are matched as case-insensitive prefixes through the indexes on
`lower(last_name)` / `lower(first_name)` (a range the index can scan, then an exact LIKE); the
SSN through the unique blind index; the IL number through its unique index; classification and
local through the indexes of classification_records. A page is three queries: the catalog's
stamp (for the names), the page with the total beside each row when a person criterion is given
(`count(*) OVER ()`: the matches are visited once, not once to count and again to page), and the
page's records and Safety Pass courses together (issue 12: each query costs the service more
than the database).
"""
from __future__ import annotations

import json
import math
import re
import threading
import weakref
from datetime import date

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from common.clock import today as hub_today
from common.contracts.rosters import (  # noqa: F401
    CRITERIA,
    MAX_PAGE,
    ON_ROSTER,
    PAGE_SIZE,
    PUBLIC_STATUSES,
    PublicClassification,
    PublicPerson,
    SafetyPass,
    SearchCriteria,
    SearchResult,
)
from common.contracts.rosters import STATUS_LABELS as LABELS
from common.identity import ssn_index
from rosters.models import CatalogVersion, ClassificationRecord, Completion, Person

# --- the query -----------------------------------------------------------------------------------

def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


_INDEXABLE_LEAD = re.compile(r"^[a-z0-9]+")


def _next_prefix(lead: str) -> str | None:
    """The smallest string after every string that starts with `lead` ([a-z0-9]+), made of
    letters and digits only so that it sorts the same under any collation: 'smi' → 'smj',
    'smz' → 'sn', 'zz' → None (no upper bound)."""
    lead = lead.rstrip("z9")
    if not lead:
        return None
    return lead[:-1] + chr(ord(lead[-1]) + 1)


def name_prefix(column, prefix: str, indexed: bool = True) -> list:
    """Conditions for 'lower(column) starts with lower(prefix)'. A range on lower(column) lets
    the expression index find the candidates (LIKE on an expression cannot use an index); the
    LIKE then makes the match exact, whatever the database's collation. Without `indexed`, the
    LIKE alone: the other name's index finds the candidates."""
    lowered = sa.func.lower(column)
    conditions = [lowered.like(sa.func.lower(sa.literal(_escape_like(prefix) + "%")), escape="\\")]
    lead = _INDEXABLE_LEAD.match(prefix.lower()) if indexed else None
    if lead:
        conditions.append(lowered >= lead.group(0))
        upper = _next_prefix(lead.group(0))
        if upper is not None:
            conditions.append(lowered < upper)
    return conditions


def _visible_records():
    return sa.and_(ClassificationRecord.status.in_(PUBLIC_STATUSES),
                   ClassificationRecord.closed_on.is_(None))


def _record_conditions(criteria: SearchCriteria) -> list:
    conditions = []
    if criteria.classification:
        conditions.append(ClassificationRecord.classification_code == criteria.classification)
    if criteria.local:
        conditions.append(ClassificationRecord.local == criteria.local)
    return conditions


def _person_conditions(criteria: SearchCriteria, config=None) -> list:
    conditions = []
    if criteria.last_name:
        conditions += name_prefix(Person.last_name, criteria.last_name)
    if criteria.first_name:
        # last names narrow far more than first names: with both, only the last name's index is
        # offered, so the planner cannot pick the wider one
        conditions += name_prefix(Person.first_name, criteria.first_name, indexed=not criteria.last_name)
    if criteria.ssn:
        conditions.append(Person.ssn_index == ssn_index(criteria.ssn, config))
    if criteria.il_number:
        conditions.append(Person.il_number == criteria.il_number)
    return conditions


def _count(session: Session, person_conditions: list, record_conditions: list) -> int:
    if record_conditions and not person_conditions:
        # classification/local alone: count in the records' own indexes, no look-up per person
        return session.scalar(sa.select(sa.func.count(sa.distinct(ClassificationRecord.person_id)))
                              .where(_visible_records(), *record_conditions))
    return session.scalar(sa.select(sa.func.count()).select_from(Person)
                          .where(*person_conditions, *_held(record_conditions)))


def _has_a_record():
    """A public record is a person with at least one classification record: people staff
    created without one, and account holders who never applied, are not public records."""
    return sa.exists().where(ClassificationRecord.person_id == Person.person_id)


def _held(record_conditions: list) -> list:
    if not record_conditions:
        return [_has_a_record()]
    return [Person.person_id.in_(sa.select(ClassificationRecord.person_id)
                                 .where(_visible_records(), *record_conditions))]


def search(session: Session, criteria: SearchCriteria | dict, *, config=None,
           today: date | None = None) -> SearchResult:
    """One page (25 people) of the people matching every criterion given, in name order."""
    if not isinstance(criteria, SearchCriteria):
        criteria = SearchCriteria.model_validate(criteria)
    today = today or hub_today()
    names = classification_names(session, today)
    person_conditions = _person_conditions(criteria, config)
    record_conditions = _record_conditions(criteria)
    conditions = [*person_conditions, *_held(record_conditions)]
    # With a name, SSN or IL number every match is visited anyway (to count them), so the page
    # carries the total. Classification or local alone: the page walks the name index and stops
    # after 25 (a total beside each row would visit all 60,000 people); the records count apart.
    windowed = bool(person_conditions)
    columns = [Person.person_id, Person.il_number, Person.first_name, Person.last_name]
    people = session.execute(
        sa.select(*columns, *([sa.func.count().over().label("total")] if windowed else []))
        .where(*conditions)
        .order_by(sa.func.lower(Person.last_name), sa.func.lower(Person.first_name), Person.il_number)
        .limit(PAGE_SIZE).offset((criteria.page - 1) * PAGE_SIZE)).all()
    if windowed and people:
        total = people[0].total
    elif windowed and criteria.page == 1:
        total = 0
    else:   # past the last page, or not windowed: the count alone
        total = _count(session, person_conditions, record_conditions)
    records, courses = _details_of(session, [p.person_id for p in people], today)
    results = [PublicPerson(
        il_number=p.il_number, first_name=p.first_name, last_name=p.last_name,
        classifications=[PublicClassification(
            code=code, name=names.get(code, code), local=local, status=status, status_label=LABELS[status],
            on_roster=status in ON_ROSTER)
            for code, local, status in records.get(p.person_id, [])],
        safety_pass=SafetyPass(courses=sorted(courses.get(p.person_id, ()))))
        for p in people]
    for person in results:
        person.classifications.sort(key=lambda c: (c.name.lower(), c.code))
    return SearchResult(results=results, total=total, page=criteria.page, page_size=PAGE_SIZE,
                        pages=math.ceil(total / PAGE_SIZE))


def _among(session: Session, column, ids: list):
    """`column` is one of `ids`: one array parameter on PostgreSQL (an IN list of 25 UUIDs costs
    SQLAlchemy a rendered, cast parameter each), the IN list elsewhere."""
    if session.get_bind().dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam("ids", ids, type_=ARRAY(sa.Uuid())))
    return column.in_(ids)


def _details_of(session: Session, ids: list, today: date) -> tuple[dict, dict]:
    """The shown records and the Safety Pass courses of the page's people, in one query:
    ({person: [(code, local, status)]}, {person: {course}}). Safety Pass: courses completed
    and not expired (refresher rules belong to classifications and show in their statuses)."""
    if not ids:
        return {}, {}
    shown = (sa.select(ClassificationRecord.person_id, sa.literal("r").label("kind"),
                       ClassificationRecord.classification_code.label("code"), ClassificationRecord.local,
                       ClassificationRecord.status)
             .where(_among(session, ClassificationRecord.person_id, ids), _visible_records()))
    passed = (sa.select(Completion.person_id, sa.literal("c").label("kind"), Completion.course_code.label("code"),
                        sa.null().label("local"), sa.null().label("status"))
              .where(_among(session, Completion.person_id, ids),
                     sa.or_(Completion.expires_on.is_(None), Completion.expires_on >= today))
              .distinct())   # a course renewed is one course
    records: dict = {}
    courses: dict = {}
    for person_id, kind, code, local, status in session.execute(sa.union_all(shown, passed)):
        if kind == "r":
            records.setdefault(person_id, []).append((code, local, status))
        else:
            courses.setdefault(person_id, set()).add(code)
    return records, courses


# --- classification names from the catalog -------------------------------------------------------

_names_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine → (key, names)
_names_lock = threading.Lock()


def classification_names(session: Session, today: date | None = None) -> dict[str, str]:
    """{code: name} from each local's catalog version in force today (or its first version
    when none is in force yet). Cached per database until a version is added or the day changes."""
    today = today or hub_today()
    engine = session.get_bind()
    stamp = session.execute(sa.select(sa.func.max(CatalogVersion.id), sa.func.count(CatalogVersion.id))).one()
    key = (tuple(stamp), today)
    with _names_lock:
        cached = _names_cache.get(engine)
    if cached is not None and cached[0] == key:
        return cached[1]
    versions = session.execute(
        sa.select(CatalogVersion.local, CatalogVersion.effective_on, CatalogVersion.version,
                  CatalogVersion.document)
        .order_by(CatalogVersion.local, CatalogVersion.effective_on, CatalogVersion.version)).all()
    chosen: dict = {}
    for v in versions:
        if v.local not in chosen or v.effective_on <= today:
            chosen[v.local] = v.document
    names: dict[str, str] = {}
    for document in chosen.values():
        try:
            for c in json.loads(document).get("classifications", ()):
                names[c["code"]] = c["name"]
        except (ValueError, TypeError, KeyError, AttributeError):
            continue  # a malformed version names nothing; codes are shown instead
    with _names_lock:
        _names_cache[engine] = (key, names)
    return names
