"""Shapes of the accounts service's RPCs and of the API built on them: pydantic only, shared by
the service and the gateway (which validates requests with the same models and imports nothing
from services/)."""
from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from common.authz import Principal  # noqa: F401  (re-exported: the gateway's import path)
from common.clock import today as hub_today
from common.contracts.text import PlainText, visible_name
from common.identity import SSN_JSON_PATTERN, normalise_ssn
from common.password_policy import MAX_LENGTH, MIN_LENGTH, password_problem
from common.password_policy import RULES as PASSWORD_RULES

ROLES = ("industry_professional", "union_rep", "staff_reviewer", "staff_admin", "employer",
         "payroll_client")


class Strict(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")


# e-mail addresses are compared and stored in lower case
LowerEmail = Annotated[EmailStr, AfterValidator(str.lower)]

class ContactFields(Strict):
    phone: str | None = Field(None, max_length=40, pattern=r"^[0-9+().\- ]{7,40}$")
    address_line1: PlainText | None = Field(None, max_length=200)
    address_line2: PlainText | None = Field(None, max_length=200)
    city: PlainText | None = Field(None, max_length=100)
    state: PlainText | None = Field(None, max_length=40)
    postal_code: str | None = Field(None, max_length=20, pattern=r"^[A-Za-z0-9 \-]{3,20}$")


class PersonFields(ContactFields):
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    date_of_birth: date
    ssn: str = Field(json_schema_extra={"pattern": SSN_JSON_PATTERN},
                     description="9 digits, 123-45-6789 or 123456789; stored encrypted, shown masked")

    @field_validator("ssn")
    @classmethod
    def ssn_is_valid(cls, value: str) -> str:
        return normalise_ssn(value)

    @field_validator("first_name", "last_name", mode="before")
    @classmethod
    def name_is_visible(cls, value):
        return visible_name(value)

    @field_validator("date_of_birth")
    @classmethod
    def born_in_the_past(cls, value: date) -> date:
        today = hub_today()
        if value >= today or value.year < today.year - 120:
            raise ValueError("date of birth is not plausible")
        return value


def _check_password(password: str, *inputs: str | None) -> None:
    problem = password_problem(password, tuple(i for i in inputs if i))
    if problem:
        raise ValueError(problem)


class CreateAccountIn(PersonFields):
    email: LowerEmail
    password: str = Field(min_length=MIN_LENGTH, max_length=MAX_LENGTH, description=PASSWORD_RULES)

    @field_validator("password")
    @classmethod
    def password_is_strong(cls, value: str, info: ValidationInfo) -> str:
        _check_password(value, info.data.get("email"), info.data.get("first_name"),
                        info.data.get("last_name"))
        return value


class CreatePersonIn(PersonFields):
    """Staff (or an import) record a person who has no account yet."""
    email: LowerEmail | None = None
    origin: Literal["import", "staff", "payroll", "employer_proof"] = "staff"


class CreatedAccountOut(BaseModel):
    person_id: uuid.UUID
    il_number: str


class LogInIn(Strict):
    email: LowerEmail
    password: str = Field(min_length=1, max_length=MAX_LENGTH)


class SessionOut(BaseModel):
    token: str
    expires_at: datetime


class ClaimIn(Strict):
    token: str = Field(min_length=10, max_length=200)
    password: str = Field(min_length=MIN_LENGTH, max_length=MAX_LENGTH, description=PASSWORD_RULES)

    @field_validator("password")
    @classmethod
    def password_is_strong(cls, value: str) -> str:
        _check_password(value)  # the person's own names are checked again by the domain
        return value


class ResetRequestIn(Strict):
    email: LowerEmail


class ResetConfirmIn(ClaimIn):
    pass


class ChangePasswordIn(Strict):
    current_password: str = Field(min_length=1, max_length=MAX_LENGTH)
    new_password: str = Field(min_length=MIN_LENGTH, max_length=MAX_LENGTH, description=PASSWORD_RULES)

    @field_validator("new_password")
    @classmethod
    def password_is_strong(cls, value: str) -> str:
        _check_password(value)
        return value


class ProfilePatch(ContactFields):
    """My Account: what a person may change about themselves. Name, date of birth and SSN are
    legal identity: only staff change those."""
    email: LowerEmail | None = None
    email_notifications: bool | None = None


class StaffAccountIn(Strict):
    email: LowerEmail
    password: str = Field(min_length=MIN_LENGTH, max_length=MAX_LENGTH, description=PASSWORD_RULES)
    display_name: str = Field(min_length=1, max_length=200)
    roles: list[Literal["union_rep", "staff_reviewer", "staff_admin", "employer"]] = Field(min_length=1)
    locals: list[str] = []
    organisation: str | None = Field(None, max_length=200)

    @field_validator("password")
    @classmethod
    def password_is_strong(cls, value: str, info: ValidationInfo) -> str:
        _check_password(value, info.data.get("email"))
        return value

    @field_validator("display_name", "organisation", mode="before")
    @classmethod
    def name_is_visible(cls, value):
        return visible_name(value)

    @model_validator(mode="after")
    def reps_name_their_locals(self):
        if "union_rep" in self.roles and not self.locals:
            raise ValueError("a union rep needs at least one local")
        return self


class Contact(BaseModel):
    email: str | None
    email_undeliverable: bool
    phone: str | None
    address_line1: str | None
    address_line2: str | None
    city: str | None
    state: str | None
    postal_code: str | None
    email_notifications: bool


class MeOut(Contact):
    person_id: uuid.UUID
    il_number: str
    first_name: str
    last_name: str
    date_of_birth: date
    ssn_masked: str
    roles: list[str]
    has_account: bool


class PersonOut(BaseModel):
    """A person as someone else sees them: private parts only for staff (the caller decides)."""
    person_id: uuid.UUID
    il_number: str
    first_name: str
    last_name: str
    has_account: bool
    locals: list[str]
    origin: str
    date_of_birth: date | None = None
    ssn_masked: str | None = None
    contact: Contact | None = None


class PayrollKeyOut(BaseModel):
    payroll_client_id: uuid.UUID
    name: str
    api_key: str  # shown once, at creation or rotation
