"""The classification catalog: YAML files → validated rules → the database → a `Catalog`.

The reference catalog ships as `rosters/catalog/*.yml`, one file per local and version, each a
`rosters.engine.rules.CatalogFile`. A requirement is written as a one-key mapping naming its kind:

    application:
      - work_days: {days: 30, window: {days: 365}}
      - questionnaire: {question: supervisor, if_yes: HP2, if_no: HP1, refresher: {years: 2}}
      - any_of:                         # or: any_of: [ <requirement>, <requirement> ]
          rules: [{course: {code: A}}, {course: {code: A2}}]

(the models' own form, `{kind: course, code: A}`, is accepted too: it is what the database holds).
Periods are calendar periods, `{years: 2}`, `{months: 6}`, `{days: 90}` (rosters.engine.rules.Period);
the integer fields of earlier files (`window_days: 365`, `refresher_days: 730`, `due_days_after: 90`,
`time_in_group: {days: 100}`) still load, as periods of days. `warning: {days: 30}` (the Approaching
Deadlines window) may be set per file or per classification; 30 days by default.

A file that does not validate is refused with a `CatalogError` naming the file, the field and the
line, e.g. "80.yml: classifications.0.application.1.course.code: Field required (line 24)".
Across files: a classification code belongs to one local and appears once per version;
`advances_to` names a lower group of the same local in the same version; `also_counts` names
classifications that exist; a local's versions are numbered in the order they take effect.

Which rules apply on a date: for each local, the newest version whose effective date is on or
before that date. The first version of a local is its baseline and also answers for earlier dates
(no earlier rules are known; records migrated from years back are evaluated with it).
"""
from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa
import yaml
from pydantic import ValidationError
from sqlalchemy.orm import Session

from rosters.engine.rules import (
    AllOf,
    AnyOf,
    CatalogFile,
    Classification,
    Course,
    Document,
    Local,
    Questionnaire,
    WorkDays,
)

CATALOG_DIR = Path(__file__).resolve().parent / "catalog"
KINDS = ("work_days", "course", "document", "time_in_group", "questionnaire", "any_of", "all_of")

COURSE_CODE = re.compile(r"^[A-Z0-9][A-Z0-9\-]{0,19}$")     # completions.course_code is 20 wide
DOCUMENT_TYPE = re.compile(r"^[a-z][a-z0-9_]{0,59}$")       # document_facts.document_type: 60
QUESTION = re.compile(r"^[a-z][a-z0-9_]{0,39}$")            # answers.question: 40


class CatalogError(ValueError):
    """A catalog file (or set of files, or stored version) that cannot be used. `problems` holds
    one line per problem, each naming the file and the field."""

    def __init__(self, problems: str | Sequence[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class NotFound(KeyError):
    """No such classification (on that date) or local."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


# --- reading one file ----------------------------------------------------------------------------

class _Loader(yaml.SafeLoader):
    """YAML without implicit timestamps (pydantic parses dates and names the field when one is
    wrong) and refusing a key given twice in one mapping (YAML would keep the last silently)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False):
    loader.flatten_mapping(node)
    seen: dict = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"{key!r} is given twice in this mapping (first on line {seen[key]})",
                key_node.start_mark)
        seen[key] = key_node.start_mark.line + 1
    return loader.construct_mapping(node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _path(loc: Iterable) -> str:
    return ".".join(str(part) for part in loc)


def _line(root: yaml.Node | None, loc: Sequence) -> int | None:
    """The line of the deepest node of `loc` present in the text. Parts that exist only in the
    models' form (a kind's tag, `rules` of a list-form any_of) are stepped over."""
    if root is None:
        return None
    node = root
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                    node = value
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
    return node.start_mark.line + 1


class _Problems:
    def __init__(self, source: str, root: yaml.Node | None = None):
        self.source, self.root, self.lines = source, root, []

    def add(self, loc: Sequence, message: str) -> None:
        where = f"{self.source}: {_path(loc)}: " if loc else f"{self.source}: "
        line = _line(self.root, loc)
        self.lines.append(where + message + (f" (line {line})" if line else ""))

    def raise_if_any(self) -> None:
        if self.lines:
            raise CatalogError(self.lines)


def _requirement(raw, loc: tuple, problems: _Problems):
    """One requirement from the file's one-key form (or the models' form) to the models' form."""
    if not isinstance(raw, dict):
        return raw  # pydantic names it
    if "kind" in raw:
        out = dict(raw)
        kind = out["kind"]
    else:
        if len(raw) != 1:
            keys = ", ".join(str(k) for k in raw) or "nothing"
            problems.add(loc, f"a requirement is one kind written as `<kind>: {{fields}}` "
                              f"(one of {', '.join(KINDS)}); found {keys}")
            return raw
        (kind, body), = raw.items()
        if kind not in KINDS:
            problems.add(loc, f"unknown requirement kind {kind!r} (known: {', '.join(KINDS)})")
            return raw
        if body is None:
            body = {}
        if kind in ("any_of", "all_of") and isinstance(body, list):
            body = {"rules": body}
        if not isinstance(body, dict):
            problems.add((*loc, kind), f"expected the {kind} rule's fields as a mapping, got {body!r}")
            return raw
        if body.get("kind", kind) != kind:
            problems.add((*loc, kind, "kind"), f"says {body['kind']!r} inside a {kind!r} rule")
            return raw
        out = {**body, "kind": kind}
    if isinstance(out.get("rules"), list):
        out["rules"] = [_requirement(r, (*loc, kind, "rules", i), problems)
                        for i, r in enumerate(out["rules"])]
    return out


def _to_models_form(data: dict, problems: _Problems) -> dict:
    classifications = data.get("classifications")
    if not isinstance(classifications, list):
        return data
    out = []
    for i, c in enumerate(classifications):
        if isinstance(c, dict):
            c = dict(c)
            for phase in ("application", "ongoing"):
                if isinstance(c.get(phase), list):
                    c[phase] = [_requirement(r, ("classifications", i, phase, j), problems)
                                for j, r in enumerate(c[phase])]
        out.append(c)
    return {**data, "classifications": out}


def _walk(rule, loc: tuple):
    """Every rule inside `rule` (itself included), with its location as pydantic names it."""
    yield rule, loc
    if isinstance(rule, (AnyOf, AllOf)):
        for i, inner in enumerate(rule.rules):
            yield from _walk(inner, (*loc, "rules", i, inner.kind))


def _check_codes(rule, loc: tuple, problems: _Problems) -> None:
    course = (COURSE_CODE, "course code (capitals, digits and '-', up to 20 characters)")

    def need(value: str, field: tuple, rule_of: tuple[re.Pattern, str]):
        pattern, what = rule_of
        if not value.strip():
            problems.add((*loc, *field), "must not be empty")
        elif not pattern.match(value):
            problems.add((*loc, *field), f"{value!r} is not a valid {what}")

    if isinstance(rule, Course):
        need(rule.code, ("code",), course)
        for i, code in enumerate(rule.satisfied_by):
            need(code, ("satisfied_by", i), course)
    elif isinstance(rule, Questionnaire):
        need(rule.question, ("question",), (QUESTION, "question key (lower case, digits and '_')"))
        need(rule.if_yes, ("if_yes",), course)
        need(rule.if_no, ("if_no",), course)
    elif isinstance(rule, Document):
        need(rule.type, ("type",), (DOCUMENT_TYPE, "document type (lower case, digits and '_', up to 60)"))
    elif isinstance(rule, WorkDays):
        for i, code in enumerate(rule.also_counts):
            if not code.strip():
                problems.add((*loc, "also_counts", i), "classification code must not be empty")


def _check_file(catalog_file: CatalogFile, problems: _Problems) -> None:
    """What one file must satisfy beyond its models: codes, and groups within the file."""
    by_code: dict[str, tuple[int, Classification]] = {}
    for i, c in enumerate(catalog_file.classifications):
        if c.code in by_code:
            problems.add(("classifications", i, "code"),
                         f"{c.code!r} is already classification {by_code[c.code][0]} of this file")
        else:
            by_code[c.code] = (i, c)
        for phase in ("application", "ongoing"):
            for j, rule in enumerate(getattr(c, phase)):
                for inner, loc in _walk(rule, ("classifications", i, phase, j, rule.kind)):
                    _check_codes(inner, loc, problems)
    for i, c in enumerate(catalog_file.classifications):
        if not c.advances_to:
            continue
        loc = ("classifications", i, "advances_to")
        target = by_code.get(c.advances_to)
        if c.advances_to == c.code:
            problems.add(loc, f"{c.code!r} cannot advance to itself")
        elif target is None:
            problems.add(loc, f"{c.advances_to!r} is not a classification of local "
                              f"{catalog_file.local.code} in this file")
        elif c.group is None or target[1].group is None:
            problems.add(loc, f"{c.code!r} advances to {c.advances_to!r}: both need a group")
        elif not target[1].group < c.group:
            problems.add(loc, f"{c.advances_to!r} is group {target[1].group}, not a lower group than "
                              f"{c.code!r} (group {c.group})")


def parse_catalog_text(text: str, source: str) -> CatalogFile:
    """One catalog file's text → a validated `CatalogFile`; `source` names it in errors."""
    problems = _Problems(source)
    try:
        root = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        reason = getattr(exc, "problem", None) or str(exc)
        raise CatalogError(f"{source}: not valid YAML: {reason}{where}") from None
    problems.root = root
    if not isinstance(data, dict):
        got = "an empty file" if data is None else f"a {type(data).__name__}"
        raise CatalogError(f"{source}: expected a mapping with version, effective, local and "
                           f"classifications, got {got}")
    data = _to_models_form(data, problems)
    problems.raise_if_any()
    try:
        catalog_file = CatalogFile.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            hint = ""
            if error["type"] == "string_type" and isinstance(error.get("input"), (int, float)):
                hint = f' (quote it: "{error["input"]}")'
            problems.add(error["loc"], error["msg"] + hint)
        problems.raise_if_any()
        raise  # pragma: no cover — a ValidationError always has errors
    _check_file(catalog_file, problems)
    problems.raise_if_any()
    return catalog_file


def parse_catalog_file(path: Path | str) -> CatalogFile:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{path.name}: cannot be read: {exc}") from None
    return parse_catalog_text(text, path.name)


# --- the catalog as a whole ----------------------------------------------------------------------

def check_catalog(files: Sequence[tuple[str, CatalogFile]]) -> None:
    """What files must satisfy together; each file is named by the string paired with it."""
    problems: list[str] = []
    seen_version: dict[tuple[str, int], str] = {}
    local_of: dict[str, tuple[str, str]] = {}  # code → (local, first file naming it)
    every_code: set[str] = set()
    for source, f in files:
        key = (f.local.code, f.version)
        if key in seen_version:
            problems.append(f"{source}: version: {seen_version[key]} is already version {f.version} "
                            f"of local {f.local.code}")
        else:
            seen_version[key] = source
        for i, c in enumerate(f.classifications):
            every_code.add(c.code)
            owner = local_of.setdefault(c.code, (f.local.code, source))
            if owner[0] != f.local.code:
                problems.append(f"{source}: classifications.{i}.code: {c.code!r} is already a "
                                f"classification of local {owner[0]} ({owner[1]})")
    by_local: dict[str, list[tuple[str, CatalogFile]]] = defaultdict(list)
    for source, f in files:
        by_local[f.local.code].append((source, f))
    for local, versions in by_local.items():
        ordered = sorted(versions, key=lambda sf: sf[1].version)
        for (earlier_source, earlier), (source, later) in zip(ordered, ordered[1:], strict=False):
            if later.effective < earlier.effective:
                problems.append(f"{source}: effective: version {later.version} of local {local} takes "
                                f"effect on {later.effective}, before version {earlier.version} "
                                f"({earlier_source}, {earlier.effective}); number versions in the "
                                "order they take effect")
    for source, f in files:
        for i, c in enumerate(f.classifications):
            for phase in ("application", "ongoing"):
                for j, rule in enumerate(getattr(c, phase)):
                    for inner, loc in _walk(rule, ("classifications", i, phase, j, rule.kind)):
                        if isinstance(inner, WorkDays):
                            for k, code in enumerate(inner.also_counts):
                                if code.strip() and code not in every_code:
                                    problems.append(f"{source}: {_path((*loc, 'also_counts', k))}: "
                                                    f"{code!r} is not a classification in the catalog")
    if problems:
        raise CatalogError(problems)


def load_catalog_files(folder: Path | str | None = None) -> list[tuple[Path, CatalogFile]]:
    """Every `*.yml` / `*.yaml` in `folder` (the shipped catalog by default), parsed, validated
    one by one and together. Raises CatalogError naming each file and field at fault."""
    folder = Path(folder) if folder is not None else CATALOG_DIR
    paths = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in (".yml", ".yaml"))
    if not paths:
        raise CatalogError(f"{folder}: no catalog files (*.yml)")
    loaded, problems = [], []
    for path in paths:
        try:
            loaded.append((path, parse_catalog_file(path)))
        except CatalogError as exc:
            problems.extend(exc.problems)
    if problems:
        raise CatalogError(problems)
    check_catalog([(path.name, f) for path, f in loaded])
    return loaded


def _sort_key(code: str):
    return (0, int(code), code) if code.isdigit() else (1, 0, code)


@dataclass(frozen=True)
class _Version:
    source: str
    file: CatalogFile


class Catalog:
    """Every version of every local's rules; answers which rules apply on a date."""

    def __init__(self, files: Iterable[CatalogFile | tuple[object, CatalogFile]]):
        named = []
        for item in files:
            if isinstance(item, CatalogFile):
                named.append((f"local {item.local.code} version {item.version}", item))
            else:
                source, f = item
                named.append((Path(source).name if isinstance(source, Path) else str(source), f))
        check_catalog(named)
        self._versions: dict[str, list[_Version]] = defaultdict(list)
        self._local_of: dict[str, str] = {}
        for source, f in named:
            self._versions[f.local.code].append(_Version(source, f))
            for c in f.classifications:
                self._local_of[c.code] = f.local.code
        for versions in self._versions.values():
            versions.sort(key=lambda v: (v.file.effective, v.file.version))
        self._versions = dict(self._versions)

    # construction ---------------------------------------------------------------------------------

    @classmethod
    def from_files(cls, folder: Path | str | None = None) -> Catalog:
        return cls(load_catalog_files(folder))

    @classmethod
    def from_rows(cls, rows: Iterable) -> Catalog:
        """From rows of the CatalogVersion table (or anything with local, version, effective_on,
        source and document — the validated file as JSON)."""
        return cls(_stored_files(rows))

    # reading --------------------------------------------------------------------------------------

    def versions(self, local: str) -> list[CatalogFile]:
        """A local's versions in the order they take effect."""
        if local not in self._versions:
            raise NotFound(f"no local {local!r} in the catalog")
        return [v.file for v in self._versions[local]]

    def version_on(self, local: str, on: date) -> CatalogFile:
        """The version of a local's rules in force on `on` (its first version before that)."""
        versions = self.versions(local)
        in_force = [f for f in versions if f.effective <= on]
        return in_force[-1] if in_force else versions[0]

    def local_of(self, code: str) -> str:
        try:
            return self._local_of[code]
        except KeyError:
            raise NotFound(f"no classification {code!r} in the catalog") from None

    def classification(self, code: str, on: date) -> Classification:
        """The rules of classification `code` in force on `on`."""
        version = self.version_on(self.local_of(code), on)
        for c in version.classifications:
            if c.code == code:
                return c
        raise NotFound(f"classification {code!r} is not in version {version.version} of local "
                       f"{version.local.code}, in force on {on}")

    def all(self, on: date) -> list[Classification]:
        """Every classification in force on `on`, local by local."""
        return [c for local in self._ordered_locals() for c in self.version_on(local, on).classifications]

    def local(self, code: str) -> Local:
        """A local as its newest version describes it."""
        return self.versions(code)[-1].local

    def locals(self) -> list[Local]:
        return [self.local(code) for code in self._ordered_locals()]

    def codes(self) -> set[str]:
        """Every classification code in any version."""
        return set(self._local_of)

    def __contains__(self, code: str) -> bool:
        return code in self._local_of

    def _ordered_locals(self) -> list[str]:
        return sorted(self._versions, key=_sort_key)


# --- the database --------------------------------------------------------------------------------

def _stored_files(rows: Iterable) -> list[tuple[str, CatalogFile]]:
    named, problems = [], []
    for row in rows:
        source = f"{row.source} (stored version {row.version} of local {row.local})"
        try:
            f = CatalogFile.model_validate_json(row.document)
        except ValidationError as exc:
            problems.extend(f"{source}: {_path(e['loc'])}: {e['msg']}" for e in exc.errors())
            continue
        if (f.local.code, f.version, f.effective) != (row.local, row.version, row.effective_on):
            problems.append(f"{source}: the document is version {f.version} of local {f.local.code} "
                            f"effective {f.effective}, not what the row says")
            continue
        named.append((source, f))
    if problems:
        raise CatalogError(problems)
    return named


def _document(f: CatalogFile) -> str:
    return f.model_dump_json()


def _same_rules(document: str):
    """A stored version in today's form (older rows say `window_days: 365` where the models now
    say `window: {days: 365}`: the same rules), or the stored JSON if it no longer validates."""
    try:
        return json.loads(_document(CatalogFile.model_validate_json(document)))
    except ValidationError:
        return json.loads(document)


def sync_catalog_to_db(session: Session, files: Iterable[CatalogFile | tuple[Path | str, CatalogFile]]) -> int:
    """Store each (local, version) not yet in the catalog_versions table; return how many were
    added. Idempotent. A stored version whose rules differ from the file's is refused (rules are
    versioned: a changed file needs a new version number). Flushes; the caller commits."""
    from rosters.models import CatalogVersion

    incoming: list[tuple[str, CatalogFile]] = []
    for item in files:
        if isinstance(item, CatalogFile):
            incoming.append((f"local {item.local.code} version {item.version}", item))
        else:
            source, f = item
            incoming.append((Path(source).name, f))
    rows = session.scalars(sa.select(CatalogVersion)).all()
    stored = {(row.local, row.version): row for row in rows}
    problems, new = [], []
    for source, f in incoming:
        row = stored.get((f.local.code, f.version))
        if row is None:
            new.append((source, f))
        elif _same_rules(row.document) != json.loads(_document(f)):
            problems.append(f"{source}: version {f.version} of local {f.local.code} is already loaded "
                            f"(from {row.source}, {row.loaded_at:%Y-%m-%d}) with different rules; "
                            "give the changed file a new version number")
    if problems:
        raise CatalogError(problems)
    # the stored versions and the new ones must make a consistent catalog together
    Catalog([*_stored_files(rows), *new])
    now = datetime.now(UTC)
    for source, f in new:
        session.add(CatalogVersion(local=f.local.code, version=f.version, effective_on=f.effective,
                                   document=_document(f), source=source[:200], loaded_at=now))
    if new:
        session.flush()
    return len(new)


def catalog_from_db(session: Session) -> Catalog:
    from rosters.models import CatalogVersion

    rows = session.scalars(sa.select(CatalogVersion).order_by(CatalogVersion.local, CatalogVersion.version)).all()
    return Catalog.from_rows(rows)
