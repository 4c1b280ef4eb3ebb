"""Logging in and out, bearer tokens, and payroll API keys."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from accounts import throttle
from accounts.clock import now
from accounts.models import Account, ApiSession, PayrollClient
from accounts.passwords import verify_password
from accounts.tokens import digest, new_secret
from common import audit
from common.contracts.accounts import LogInIn, Principal
from common.errors import NotFound, Unauthorized

SESSION_LIFETIME = timedelta(hours=12)
BAD_LOGIN = "That e-mail and password do not match an account."


def open_session(session: Session, account: Account) -> tuple[str, datetime]:
    token = new_secret()
    expires = now() + SESSION_LIFETIME
    session.add(ApiSession(token_hash=digest(token), account_id=account.id, created_at=now(),
                           expires_at=expires))
    return token, expires


def log_in(session: Session, data: LogInIn, client_ip: str | None = None,
           limits: throttle.Limits = throttle.DEFAULT_LIMITS) -> tuple[str, datetime]:
    account = session.scalar(sa.select(Account).where(Account.email == data.email))
    throttle.check(session, data.email, client_ip, limits, account.id if account else None)
    if not verify_password(account.password_hash if account else None, data.password) \
            or account.disabled_at is not None:
        throttle.record_failure(session, data.email, client_ip, limits)
        raise Unauthorized(BAD_LOGIN)
    throttle.record_success(session, data.email, client_ip, account.id, limits)
    return open_session(session, account)


def principal_for(account: Account) -> Principal:
    return Principal(account_id=account.id, person_id=account.person_id,
                     roles=account.roles.split(","),
                     locals=[local for local in account.locals.split(",") if local],
                     organisation=account.organisation, display_name=account.display_name)


def principal_for_token(session: Session, token: str) -> Principal:
    row = session.get(ApiSession, digest(token))
    if row is None or row.revoked_at is not None or row.expires_at <= now():
        raise Unauthorized("Your session has ended. Please log in again.")
    account = session.get(Account, row.account_id)
    if account.disabled_at is not None:
        raise Unauthorized("This account is disabled.")
    return principal_for(account)


def log_out(session: Session, token: str) -> None:
    row = session.get(ApiSession, digest(token))
    if row is not None and row.revoked_at is None:
        row.revoked_at = now()


def end_sessions(session: Session, account_id: uuid.UUID, keep_token: str | None = None) -> int:
    """Revoke every live session of an account (but the caller's own, if given)."""
    query = sa.update(ApiSession).where(ApiSession.account_id == account_id,
                                        ApiSession.revoked_at.is_(None))
    if keep_token:
        query = query.where(ApiSession.token_hash != digest(keep_token))
    return session.execute(query.values(revoked_at=now())).rowcount


# --- payroll companies ---------------------------------------------------------------------

def _new_key() -> str:
    return "hubpk_" + new_secret()


def add_payroll_client(session: Session, name: str, actor, api_key: str | None = None):
    """Returns (client, key). The key is shown once; only its digest is stored."""
    key = api_key or _new_key()
    client = PayrollClient(name=name, key_hash=digest(key), key_prefix=key[:12], created_at=now())
    session.add(client)
    session.flush()
    audit.record(session, actor, "payroll_client.created", "payroll_client", client.id, name=name)
    return client, key


def rotate_payroll_key(session: Session, client_id: uuid.UUID, actor):
    """A new key for the same company (its id stays, so it can be rotated again); the old key
    stops working at once."""
    client = session.get(PayrollClient, client_id)
    if client is None or client.revoked_at is not None:
        raise NotFound("No such payroll client.")
    key = _new_key()
    client.key_hash, client.key_prefix = digest(key), key[:12]
    audit.record(session, actor, "payroll_client.key_rotated", "payroll_client", client.id)
    return client, key


def principal_for_token_or_api_key(session: Session, token: str) -> Principal:
    """The gateway sends bearer tokens without the hubpk_ prefix here; a payroll key an operator
    chose (HUB_PAYROLL_API_KEY may be any string) is one of them, so look there too."""
    if session.get(ApiSession, digest(token)) is None and session.scalar(
            sa.select(PayrollClient.id).where(PayrollClient.key_hash == digest(token))) is not None:
        return principal_for_api_key(session, token)
    return principal_for_token(session, token)


def principal_for_api_key(session: Session, api_key: str) -> Principal:
    client = session.scalar(sa.select(PayrollClient).where(PayrollClient.key_hash == digest(api_key)))
    if client is None or client.revoked_at is not None:
        raise Unauthorized("That API key is not valid.")
    client.last_used_at = now()
    return Principal(roles=["payroll_client"], payroll_client_id=client.id, organisation=client.name)
