"""Log-in throttling that slows guessing without letting a stranger lock anyone out (ASVS 6.3.1).

- per client address: `address_failures` failures within `window` lock that address for
  `lockout`, whichever accounts it tried;
- per account *and* address: `account_failures` failures lock that account from that address
  only, so five wrong passwords from one place do not shut the owner out everywhere;
- per account from anywhere: past `delay_after` failures (more than one address can make before
  its own lock) each further one adds a growing delay, up to `max_delay`, for addresses the
  account has never logged in from. An address that logged in successfully before (within
  `known_for`) skips the delay, so the owner still gets in while a botnet guesses.

The answer says how long to wait; a successful log-in clears the count at that address.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from nameko.extensions import DependencyProvider
from sqlalchemy.orm import Session

from accounts.clock import now
from accounts.models import KnownAddress, LoginThrottle
from common import config as hub_config
from common.errors import TooManyRequests


@dataclass(frozen=True)
class Limits:
    account_failures: int = 5
    address_failures: int = 30
    window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=15)
    delay_after: int = 10
    max_delay: timedelta = timedelta(seconds=60)
    known_for: timedelta = timedelta(days=90)

    @classmethod
    def from_config(cls, config) -> Limits:
        # the per-address limit may need raising where many people share one address (an office
        # behind one router)
        return cls(address_failures=int(hub_config.setting("HUB_LOGIN_MAX_FAILURES_PER_ADDRESS",
                                                           "30", config)))


DEFAULT_LIMITS = Limits()


class Throttling(DependencyProvider):
    """The service's log-in limits, read from its config when it starts."""

    def setup(self):
        self.limits = Limits.from_config(self.container.config)

    def get_dependency(self, worker_ctx) -> Limits:
        return self.limits


def _address_key(client_ip: str | None) -> str | None:
    return f"address:{client_ip}" if client_ip else None


def _account_key(email: str, client_ip: str | None) -> str:
    return f"account:{email.lower()}|{client_ip}" if client_ip else f"account:{email.lower()}"


def _anywhere_key(email: str) -> str:
    return f"account-any:{email.lower()}"


def _wait_message(wait: timedelta) -> tuple[str, dict]:
    seconds = max(1, math.ceil(wait.total_seconds()))
    if seconds < 60:
        when = f"{seconds} second{'' if seconds == 1 else 's'}"
    else:
        minutes = math.ceil(seconds / 60)
        when = f"{minutes} minute{'' if minutes == 1 else 's'}"
    return (f"Too many failed log-in attempts. Try again in {when}, or use “Forgot your password?”.",
            {"retry_after_seconds": seconds, "retry_after_minutes": math.ceil(seconds / 60)})


def _refuse_if_locked(row: LoginThrottle | None) -> None:
    if row is not None and row.locked_until is not None and row.locked_until > now():
        raise TooManyRequests(*_wait_message(row.locked_until - now()))


def is_known_address(session: Session, account_id, client_ip: str | None, limits: Limits) -> bool:
    if not client_ip or account_id is None:
        return False
    known = session.get(KnownAddress, (account_id, client_ip))
    return known is not None and known.last_login_at > now() - limits.known_for


def check(session: Session, email: str, client_ip: str | None, limits: Limits = DEFAULT_LIMITS,
          account_id=None) -> None:
    """Refuse before even checking the password if this address, or this account from this
    address, is locked, or if the account is being guessed at from many places and this
    address is not one its owner uses."""
    address = _address_key(client_ip)
    if address:
        _refuse_if_locked(session.get(LoginThrottle, address))
    _refuse_if_locked(session.get(LoginThrottle, _account_key(email, client_ip)))
    anywhere = session.get(LoginThrottle, _anywhere_key(email))
    if anywhere is not None and anywhere.locked_until is not None and anywhere.locked_until > now() \
            and not is_known_address(session, account_id, client_ip, limits):
        _refuse_if_locked(anywhere)


def _count(session: Session, key: str, limits: Limits) -> LoginThrottle:
    row = session.get(LoginThrottle, key)
    if row is None:
        row = LoginThrottle(key=key, failures=0, window_started_at=now())
        session.add(row)
    if now() - row.window_started_at > limits.window:
        row.failures, row.window_started_at, row.locked_until = 0, now(), None
    row.failures += 1
    return row


def record_failure(session: Session, email: str, client_ip: str | None,
                   limits: Limits = DEFAULT_LIMITS) -> None:
    address = _address_key(client_ip)
    if address:
        row = _count(session, address, limits)
        if row.failures >= limits.address_failures:
            row.locked_until = now() + limits.lockout
    row = _count(session, _account_key(email, client_ip), limits)
    if row.failures >= limits.account_failures:
        row.locked_until = now() + limits.lockout
    row = _count(session, _anywhere_key(email), limits)
    if row.failures >= limits.delay_after:
        delay = timedelta(seconds=2 ** min(row.failures - limits.delay_after, 16))
        row.locked_until = now() + min(delay, limits.max_delay)


def record_success(session: Session, email: str, client_ip: str | None = None, account_id=None,
                   limits: Limits = DEFAULT_LIMITS) -> None:
    """Clears the count of this account at this address, and remembers the address."""
    row = session.get(LoginThrottle, _account_key(email, client_ip))
    if row is not None:
        session.delete(row)
    if client_ip and account_id is not None:
        known = session.get(KnownAddress, (account_id, client_ip))
        if known is None:
            session.add(KnownAddress(account_id=account_id, address=client_ip, last_login_at=now()))
        else:
            known.last_login_at = now()
        session.execute(sa.delete(KnownAddress).where(  # forget addresses not used for a while
            KnownAddress.account_id == account_id, KnownAddress.last_login_at < now() - limits.known_for))
