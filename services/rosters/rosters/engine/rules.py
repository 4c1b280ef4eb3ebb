"""The catalog's rules as data (SPEC §2): requirement kinds and how they combine.

Rules are written in YAML under rosters/catalog/ (one file per local) and validated with these
models; a malformed file is refused with the file and the field named (rosters.catalog_loader).
"""
from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    label: str | None = None  # shown to people; a default is made from the rule if absent


class WorkDays(Rule):
    """N verified work days in the classification within a rolling window of days."""
    kind: Literal["work_days"] = "work_days"
    days: int = Field(gt=0)
    window_days: int = Field(gt=0)
    union_only: bool = False  # count only days worked under a union contract
    # count days in these classifications too (e.g. any Local #600 camera classification)
    also_counts: tuple[str, ...] = ()


Code = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_\-]+$")]


class Course(Rule):
    """A course completed (and, with a refresher period, completed again before it lapses)."""
    kind: Literal["course"] = "course"
    code: Code
    # any of these completions satisfies the rule (e.g. HP2 also satisfies an HP1 requirement)
    satisfied_by: tuple[Code, ...] = ()
    refresher_days: int | None = Field(None, gt=0)
    # the course is due this many days after the anchor (e.g. 90 days after becoming active)
    due_days_after: int | None = Field(None, gt=0)
    anchor: Literal["placed", "training_eligible", "applied"] = "placed"


class Document(Rule):
    """A document of this type, approved by staff and not expired."""
    kind: Literal["document"] = "document"
    type: Code


class TimeInGroup(Rule):
    """Time active and compliant in the current group before advancing to the next one, in
    years (calendar, as contracts say "2 years") or days."""
    kind: Literal["time_in_group"] = "time_in_group"
    years: int | None = Field(None, gt=0)
    days: int | None = Field(None, gt=0)

    @model_validator(mode="after")
    def years_or_days(self):
        if (self.years is None) == (self.days is None):
            raise ValueError("give exactly one of years or days")
        return self


class Questionnaire(Rule):
    """A short questionnaire picks which course applies (supervisor → HP2, otherwise HP1)."""
    kind: Literal["questionnaire"] = "questionnaire"
    question: Code                     # the answer's key, e.g. "supervisor"
    if_yes: Code                       # course code when the answer is yes
    if_no: Code
    refresher_days: int | None = Field(None, gt=0)
    due_days_after: int | None = Field(None, gt=0)
    anchor: Literal["placed", "training_eligible", "applied"] = "placed"


class AnyOf(Rule):
    kind: Literal["any_of"] = "any_of"
    rules: tuple["Requirement", ...] = Field(min_length=2)


class AllOf(Rule):
    kind: Literal["all_of"] = "all_of"
    rules: tuple["Requirement", ...] = Field(min_length=1)


Requirement = Annotated[Union[WorkDays, Course, Document, TimeInGroup, Questionnaire, AnyOf, AllOf],
                        Field(discriminator="kind")]
AnyOf.model_rebuild()
AllOf.model_rebuild()


class Classification(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)
    code: str = Field(pattern=r"^[A-Z0-9][A-Z0-9\-]{1,39}$")
    name: str                              # "Teamsters, Local #399 (Driver Group 3)"
    local: str                             # "399"
    roster: Literal["IER", "training_list"] = "IER"
    group: int | None = None               # 3, 2, 1 for grouped classifications
    advances_to: str | None = None         # the classification of the next group
    illustrative: bool = True              # figures are defaults, not from a contract text
    # "advancement_only": reached by advancing from the group below, never by applying
    entry: Literal["apply", "advancement_only"] = "apply"
    # to be placed on the roster (or, for a training list, to be listed as trained)
    application: tuple[Requirement, ...] = ()
    # to stay compliant once placed; days out of compliance suspend and delay advancement
    ongoing: tuple[Requirement, ...] = ()

    @model_validator(mode="after")
    def groups_are_consistent(self):
        has_time = any(isinstance(r, TimeInGroup) for r in self.ongoing)
        if self.advances_to and not has_time:
            raise ValueError("advances_to needs a time_in_group rule in ongoing")
        if has_time and not self.advances_to:
            raise ValueError("a time_in_group rule needs advances_to")
        return self


class Local(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)
    code: str                              # "399"
    name: str                              # "Teamsters Local #399"
    union: str                             # "Teamsters", "IATSE", "The Animation Guild"


class CatalogFile(BaseModel):
    """One file of the catalog: a local, its classifications, and when these rules apply."""
    model_config = ConfigDict(extra="forbid", frozen=True)
    version: int = Field(ge=1)
    effective: date
    local: Local
    classifications: tuple[Classification, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def classifications_belong_to_the_local(self):
        for c in self.classifications:
            if c.local != self.local.code:
                raise ValueError(f"{c.code} names local {c.local!r} but the file is for {self.local.code!r}")
        return self
