"""Logins that are not Industry Professionals (staff, union reps, employers), and the
first-start bootstrap of an administrator and a payroll key from the environment."""
from __future__ import annotations

import logging

import sqlalchemy as sa
from nameko.extensions import DependencyProvider
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accounts import sessions
from accounts.clock import now
from accounts.models import Account, PayrollClient
from accounts.passwords import hash_password
from accounts.tokens import digest
from common import audit
from common import config as hub_config
from common.audit import Actor
from common.contracts.accounts import StaffAccountIn
from common.errors import Conflict

log = logging.getLogger(__name__)


def create_staff_account(session: Session, data: StaffAccountIn, actor) -> Account:
    if session.scalar(sa.select(Account.id).where(Account.email == data.email)) is not None:
        raise Conflict("An account with that e-mail address already exists.")
    account = Account(email=data.email, display_name=data.display_name,
                      password_hash=hash_password(data.password), roles=",".join(data.roles),
                      locals=",".join(sorted(set(data.locals))), organisation=data.organisation,
                      created_at=now(), password_changed_at=now())
    session.add(account)
    session.flush()
    audit.record(session, actor, "account.created", "account", account.id, roles=data.roles,
                 locals=data.locals)
    return account


def bootstrap(session_factory, admin_email: str | None, admin_password: str | None,
              payroll_key: str | None) -> None:
    """Idempotent; replicas starting together race harmlessly on the unique constraints."""
    system = Actor.system()
    with session_factory() as session:
        try:
            if admin_email and admin_password and session.scalar(
                    sa.select(Account.id).where(Account.email == admin_email.lower())) is None:
                session.add(Account(email=admin_email.lower(), display_name="Administrator",
                                    password_hash=hash_password(admin_password), roles="staff_admin",
                                    locals="", created_at=now(), password_changed_at=now()))
                audit.record(session, system, "account.bootstrapped", "account", None, email=admin_email)
                log.info("created the administrator %s", admin_email)
            if payroll_key and session.scalar(
                    sa.select(PayrollClient.id).where(PayrollClient.key_hash == digest(payroll_key))) is None:
                sessions.add_payroll_client(session, "Default payroll company", system, api_key=payroll_key)
                log.info("registered the payroll key from HUB_PAYROLL_API_KEY")
            session.commit()
        except IntegrityError:
            session.rollback()


class Bootstrap(DependencyProvider):
    """Runs `bootstrap` once when the service starts."""

    def start(self):
        from common.db import Database
        from common.dependencies import sibling

        database = sibling(self.container, Database)
        config = self.container.config
        bootstrap(database.session_factory, hub_config.setting("HUB_ADMIN_EMAIL", None, config),
                  hub_config.setting("HUB_ADMIN_PASSWORD", None, config),
                  hub_config.setting("HUB_PAYROLL_API_KEY", None, config))
