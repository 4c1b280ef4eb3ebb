"""The document types, as data (`document_types.yml` next to this module): code, label, whether
an approval needs an expiry date, and what staff check. Loaded and validated when the service
starts; a file that does not validate is refused with a `DocumentTypesError` naming the file, the
field and the line, e.g. "document_types.yml: document_types.2.expires: Input should be a valid
boolean (line 19)".
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from nameko.extensions import DependencyProvider
from pydantic import BaseModel, ConfigDict, Field, field_validator

from common.contracts.documents import DocumentTypeOut, DocumentTypesOut
from common.data_files import line_of, parse_validated, read_data_file

TYPES_FILE = Path(__file__).resolve().parent / "document_types.yml"
CODE = re.compile(r"^[a-z][a-z0-9_]{0,59}$")  # the same form as the rosters catalog's document types


class DocumentTypesError(ValueError):
    def __init__(self, problems: str | Sequence[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class DocumentType(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)
    code: str
    label: str = Field(min_length=1, max_length=120)
    expires: bool
    checks: tuple[str, ...] = Field(min_length=1)
    description: str | None = Field(None, max_length=500)

    @field_validator("code")
    @classmethod
    def code_is_a_plain_word(cls, value: str) -> str:
        if not CODE.match(value):
            raise ValueError("a document type code is lower case letters, digits and '_', up to 60")
        return value

    @field_validator("checks")
    @classmethod
    def checks_are_said(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not str(check).strip() for check in value):
            raise ValueError("each check says what staff look at")
        return tuple(str(check).strip() for check in value)

    def out(self) -> DocumentTypeOut:
        return DocumentTypeOut(code=self.code, label=self.label, expires=self.expires,
                               checks=list(self.checks), description=self.description)


class DocumentTypesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = Field(ge=1)
    document_types: tuple[DocumentType, ...] = Field(min_length=1)


class DocumentTypes:
    """The loaded types, by code."""

    def __init__(self, types: Sequence[DocumentType]):
        self.by_code = {t.code: t for t in types}

    def __contains__(self, code: str) -> bool:
        return code in self.by_code

    def get(self, code: str) -> DocumentType | None:
        return self.by_code.get(code)

    def label(self, code: str) -> str:
        known = self.by_code.get(code)
        return known.label if known else code

    def out(self) -> DocumentTypesOut:
        return DocumentTypesOut(document_types=[t.out() for t in self.by_code.values()])


def parse_document_types(text: str, source: str = "document_types.yml") -> DocumentTypes:
    parsed, root = parse_validated(text, DocumentTypesFile, source, DocumentTypesError,
                                   "`version` and `document_types`")
    seen: dict[str, int] = {}
    problems = []
    for i, kind in enumerate(parsed.document_types):
        if kind.code in seen:
            problems.append(f"{source}: document_types.{i}.code: {kind.code!r} is given twice "
                            f"(first as document_types.{seen[kind.code]}) "
                            f"(line {line_of(root, ('document_types', i, 'code'))})")
        seen.setdefault(kind.code, i)
    if problems:
        raise DocumentTypesError(problems)
    return DocumentTypes(parsed.document_types)


def load_document_types(path: Path | str | None = None) -> DocumentTypes:
    path = Path(path) if path is not None else TYPES_FILE
    return parse_document_types(read_data_file(path, DocumentTypesError), path.name)


class DocumentTypesProvider(DependencyProvider):
    """`self.document_types`: loaded once when the service starts (a bad file stops the start)."""

    def __init__(self, path: Path | str | None = None):
        self.path = path

    def setup(self):
        path = self.container.config.get("DOCUMENTS_TYPES_FILE") or self.path
        self.types = load_document_types(path)

    def get_dependency(self, worker_ctx):
        return self.types
