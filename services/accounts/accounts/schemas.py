"""RPC shapes of the accounts service (the gateway validates requests with the same models)."""
from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from accounts.ssn import normalise_ssn

MIN_PASSWORD_LENGTH = 10


class CreateAccountIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    email: EmailStr
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=200)
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    date_of_birth: date
    ssn: str

    @field_validator("ssn")
    @classmethod
    def ssn_is_valid(cls, value: str) -> str:
        return normalise_ssn(value)

    @field_validator("date_of_birth")
    @classmethod
    def born_in_the_past(cls, value: date) -> date:
        today = date.today()
        if value >= today or value.year < today.year - 120:
            raise ValueError("date of birth is not plausible")
        return value

    @field_validator("email")
    @classmethod
    def lower_case_email(cls, value: str) -> str:
        return value.lower()


class CreatedAccountOut(BaseModel):
    person_id: uuid.UUID
    il_number: str


class LogInIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")
    email: EmailStr
    password: str = Field(min_length=1, max_length=200)


class SessionOut(BaseModel):
    token: str
    expires_at: datetime


class Principal(BaseModel):
    """Who is asking: resolved from a bearer token by the gateway on every request."""
    account_id: uuid.UUID
    person_id: uuid.UUID
    roles: list[str]


class MeOut(BaseModel):
    person_id: uuid.UUID
    il_number: str
    first_name: str
    last_name: str
    email: str | None
    email_undeliverable: bool
    ssn_masked: str
    roles: list[str]
