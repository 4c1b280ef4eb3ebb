"""Who may see and do what: the one authorization policy, used by the gateway for every
endpoint and by services for record-level decisions on data they own.

Roles (SPEC §1): industry_professional (own data only), union_rep (members and applicants of
their own locals), staff_reviewer and staff_admin (everyone; staff_admin also manages accounts,
roles and keys), employer (verification look-ups, employment proofs), payroll_client (machine
credentials for the payroll feed).
"""
from __future__ import annotations

import uuid
from enum import IntEnum

from pydantic import BaseModel

from common.audit import Actor
from common.errors import Forbidden

STAFF = ("staff_reviewer", "staff_admin")   # for require_role(principal, *STAFF)
STAFF_ROLES = frozenset(STAFF)


class Principal(BaseModel):
    """Who is asking, resolved from a bearer token or an API key on every request."""
    account_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None      # whose /me this is (the helped person when acting)
    roles: list[str]
    locals: list[str] = []
    organisation: str | None = None
    display_name: str | None = None
    payroll_client_id: uuid.UUID | None = None
    on_behalf_of: uuid.UUID | None = None   # set when staff act for an Industry Professional
    # the address the request came from, set by the gateway when it sends a principal to a
    # service as the viewer of a record, so that audit entries of reads name it too
    client_ip: str | None = None

    def has(self, *roles: str) -> bool:
        return bool(set(roles) & set(self.roles))

    @property
    def is_staff(self) -> bool:
        return bool(STAFF_ROLES & set(self.roles))

    def actor(self, client_ip: str | None = None) -> Actor:
        return Actor(account_id=self.account_id, roles=self.roles, on_behalf_of=self.on_behalf_of,
                     client_ip=client_ip or self.client_ip)


def as_principal(value) -> Principal:
    return value if isinstance(value, Principal) else Principal.model_validate(value)


def require_role(principal: Principal, *roles: str) -> None:
    if roles and not principal.has(*roles):
        raise Forbidden("Your account may not do that.")


class PersonView(IntEnum):
    """How much of a person's record a viewer may see; each level includes the ones below."""
    NONE = 0
    MEMBER = 1   # name, IL number, locals: a union rep looking at their own local's people
    PRIVATE = 2  # + date of birth, masked SSN, contact details: the person and staff


def person_view(principal: Principal, person_id: uuid.UUID, person_locals: set[str]) -> PersonView:
    if principal.person_id is not None and principal.person_id == person_id:
        return PersonView.PRIVATE
    if principal.is_staff:
        return PersonView.PRIVATE
    if principal.has("union_rep") and set(principal.locals) & set(person_locals):
        return PersonView.MEMBER
    return PersonView.NONE
