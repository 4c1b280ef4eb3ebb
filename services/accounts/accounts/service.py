from __future__ import annotations

from nameko.dependency_providers import Config

from accounts import profile, recovery, registration, sessions, staff, throttle
from accounts.models import Base
from common import config as hub_config
from common.audit import as_actor
from common.authz import as_principal
from common.contracts.accounts import (
    ChangePasswordIn,
    ClaimIn,
    CreateAccountIn,
    CreatedAccountOut,
    CreatePersonIn,
    LogInIn,
    PayrollKeyOut,
    ProfilePatch,
    ResetConfirmIn,
    ResetRequestIn,
    SessionOut,
    StaffAccountIn,
)
from common.db import Database
from common.errors import EXPECTED_ERRORS, parse_id, validated
from common.events.notifications import EmailFailed
from common.events.rosters import ApplicationStarted, PlacedOnRoster
from common.health import StandardRpcs
from common.idempotency import first_delivery
from common.logs import CorrelationIds
from common.messaging import event_handler, rpc
from common.metrics import Metrics
from common.publisher import EventPublisher
from common.secrets import RequiredSecrets

EXPECTED = EXPECTED_ERRORS


class AccountsService(StandardRpcs):
    """Owns people, logins, sessions, one-time links and payroll keys. Publishes accounts.*.

    Writes take an `actor` (from the gateway) so the audit log names who really acted."""
    name = "accounts"
    db = Database(Base)
    metrics = Metrics()  # /metrics on HUB_METRICS_PORT; times every entrypoint
    correlation = CorrelationIds()  # the correlation id in every log line (common.logs)
    publish = EventPublisher()
    config = Config()
    required_secrets = RequiredSecrets("HUB_SSN_KEY")
    throttling = throttle.Throttling()
    bootstrap = staff.Bootstrap()

    def _publish_all(self, events) -> None:
        for event in events:
            self.publish(event)

    def _public_url(self) -> str:
        return hub_config.public_url(self.config)


    # --- accounts and sessions -----------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED, sensitive_arguments=("payload",))  # SSN, birth date, password, contact
    def create_account(self, payload: dict, actor: dict | None = None) -> dict:
        data = validated(CreateAccountIn, payload)
        person, events = registration.create_account(self.db, data, as_actor(actor), self.config)
        self._publish_all(events)
        self.db.commit()
        return CreatedAccountOut(person_id=person.id, il_number=person.il_number).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED, sensitive_arguments=("payload",))  # e-mail and password
    def log_in(self, payload: dict, client_ip: str | None = None) -> dict:
        data = validated(LogInIn, payload)
        try:
            token, expires = sessions.log_in(self.db, data, client_ip, self.throttling)
        finally:
            self.db.commit()  # failures count towards throttling even though we refuse
        return SessionOut(token=token, expires_at=expires).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED, sensitive_arguments=("token",))
    def authenticate(self, token: str) -> dict:
        principal = sessions.principal_for_token_or_api_key(self.db, token)
        self.db.commit()  # a payroll key's last use
        return principal.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED, sensitive_arguments=("api_key",))
    def authenticate_api_key(self, api_key: str) -> dict:
        principal = sessions.principal_for_api_key(self.db, api_key)
        self.db.commit()
        return principal.model_dump(mode="json")

    @rpc(sensitive_arguments=("token",))
    def log_out(self, token: str) -> None:
        sessions.log_out(self.db, token)
        self.db.commit()

    # --- getting in: claim, reset, change ------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def send_invitation(self, person_id: str, actor: dict) -> dict:
        expires_at, events = recovery.send_invitation(self.db, parse_id(person_id, "person"),
                                                      self._public_url(), as_actor(actor))
        self._publish_all(events)
        self.db.commit()
        return {"person_id": person_id, "expires_at": expires_at.isoformat()}

    @rpc(sensitive_arguments=("token",))
    def check_link(self, token: str, purpose: str) -> bool:
        return recovery.link_is_usable(self.db, token, purpose)

    @rpc(expected_exceptions=EXPECTED, sensitive_arguments=("payload",))  # token and password
    def claim_account(self, payload: dict, actor: dict | None = None) -> dict:
        data = validated(ClaimIn, payload)
        (account, token, expires), events = recovery.claim(self.db, data.token, data.password,
                                                           as_actor(actor))
        self._publish_all(events)
        self.db.commit()
        return {"person_id": str(account.person_id), "token": token, "expires_at": expires.isoformat()}

    @rpc(expected_exceptions=EXPECTED, sensitive_arguments=("payload",))  # e-mail
    def request_password_reset(self, payload: dict, actor: dict | None = None) -> None:
        data = validated(ResetRequestIn, payload)
        _, events = recovery.request_reset(self.db, data.email, self._public_url(), as_actor(actor))
        self._publish_all(events)
        self.db.commit()

    @rpc(expected_exceptions=EXPECTED, sensitive_arguments=("payload",))  # token and password
    def confirm_password_reset(self, payload: dict, actor: dict | None = None) -> None:
        data = validated(ResetConfirmIn, payload)
        _, events = recovery.confirm_reset(self.db, data.token, data.password, as_actor(actor))
        self._publish_all(events)
        self.db.commit()

    @rpc(expected_exceptions=EXPECTED, sensitive_arguments=("payload", "token"))
    def change_password(self, account_id: str, payload: dict, token: str | None, actor: dict) -> dict:
        data = validated(ChangePasswordIn, payload)
        try:
            ended = recovery.change_password(self.db, parse_id(account_id, "account"), data.current_password,
                                             data.new_password, token, as_actor(actor), self.throttling)
        finally:
            self.db.commit()  # a wrong guess counts even though we refuse
        return {"other_sessions_ended": ended}

    # --- people --------------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def get_me(self, person_id: str, actor: dict | None = None) -> dict:
        me = profile.me(self.db, parse_id(person_id, "person"), self.config, actor)
        self.db.commit()  # the audit entry when staff read it on someone's behalf
        return me.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED)
    def person_card(self, person_id: str, viewer: dict) -> dict:
        return profile.person_card(self.db, parse_id(person_id, "person"), as_principal(viewer))

    @rpc(expected_exceptions=EXPECTED)
    def start_acting(self, person_id: str, actor: dict) -> dict:
        """Staff begin helping a person (phone or counter): one audit entry for the visit."""
        card = profile.start_acting(self.db, parse_id(person_id, "person"), as_actor(actor))
        self.db.commit()
        return card

    @rpc(expected_exceptions=EXPECTED, sensitive_arguments=("payload",))  # contact details
    def update_me(self, person_id: str, payload: dict, actor: dict) -> dict:
        data = validated(ProfilePatch, payload)
        person_id = parse_id(person_id, "person")
        _, events = profile.update_profile(self.db, person_id, data, as_actor(actor))
        self._publish_all(events)
        self.db.commit()
        return profile.me(self.db, person_id, self.config).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED)
    def get_person(self, person_id: str, viewer: dict) -> dict:
        person = profile.get_person(self.db, parse_id(person_id, "person"), as_principal(viewer), self.config)
        self.db.commit()  # the audit entry of a staff view
        return person.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED, sensitive_arguments=("query",))  # may be an SSN
    def find_people(self, query: str, viewer: dict) -> list:
        found = profile.find_people(self.db, query, as_principal(viewer), self.config)
        self.db.commit()
        return found

    @rpc(expected_exceptions=EXPECTED, sensitive_arguments=("email",))
    def find_person_by_email(self, email: str) -> dict | None:
        return profile.find_person_by_email(self.db, email)

    @rpc(expected_exceptions=EXPECTED)
    def name_accounts(self, account_ids: list, viewer: dict) -> dict:
        return profile.name_accounts(self.db, account_ids, as_principal(viewer))

    @rpc(expected_exceptions=EXPECTED, sensitive_arguments=("payload",))  # SSN, birth date, contact
    def create_person(self, payload: dict, actor: dict) -> dict:
        data = validated(CreatePersonIn, payload)
        person, events = registration.create_person(self.db, data, as_actor(actor), self.config)
        self._publish_all(events)
        self.db.commit()
        return CreatedAccountOut(person_id=person.id, il_number=person.il_number).model_dump(mode="json")

    # --- staff administration ------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED, sensitive_arguments=("payload",))  # e-mail and password
    def create_staff_account(self, payload: dict, actor: dict) -> dict:
        account = staff.create_staff_account(self.db, validated(StaffAccountIn, payload), as_actor(actor))
        self.db.commit()
        return {"account_id": str(account.id), "email": account.email, "roles": account.roles.split(",")}

    @rpc(expected_exceptions=EXPECTED)
    def add_payroll_client(self, name: str, actor: dict) -> dict:
        client, key = sessions.add_payroll_client(self.db, name.strip()[:200] or "Payroll company",
                                                  as_actor(actor))
        self.db.commit()
        return PayrollKeyOut(payroll_client_id=client.id, name=client.name, api_key=key).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED)
    def rotate_payroll_key(self, client_id: str, actor: dict) -> dict:
        client, key = sessions.rotate_payroll_key(self.db, parse_id(client_id, "payroll client"), as_actor(actor))
        self.db.commit()
        return PayrollKeyOut(payroll_client_id=client.id, name=client.name, api_key=key).model_dump(mode="json")


    # --- events --------------------------------------------------------------------------------

    @event_handler("notifications", "email_failed")
    def handle_email_failed(self, payload: dict) -> None:
        event = EmailFailed.model_validate(payload)
        if not first_delivery(self.db, event, "accounts.handle_email_failed"):
            return
        _, events = profile.mark_email_undeliverable(self.db, event.person_id)
        self._publish_all(events)
        self.db.commit()

    def _record_local(self, event, consumer: str) -> None:
        if first_delivery(self.db, event, consumer):
            profile.record_local(self.db, event.person_id, event.local)
            self.db.commit()

    @event_handler("rosters", "application_started")
    def handle_application_started(self, payload: dict) -> None:
        self._record_local(ApplicationStarted.model_validate(payload), "accounts.handle_application_started")

    @event_handler("rosters", "placed_on_roster")
    def handle_placed_on_roster(self, payload: dict) -> None:
        self._record_local(PlacedOnRoster.model_validate(payload), "accounts.handle_placed_on_roster")

    # --- legacy import -------------------------------------------------------------------------
    # (issue 11; accounts.imports) jobs queued by the gateway, run here by a timer in batches.

    import_storage = __import__("common.storage", fromlist=["ObjectStorage"]).ObjectStorage()
    rosters_rpc = __import__("nameko.rpc", fromlist=["RpcProxy"]).RpcProxy("rosters")
    training_rpc = __import__("nameko.rpc", fromlist=["RpcProxy"]).RpcProxy("training")
    documents_rpc = __import__("nameko.rpc", fromlist=["RpcProxy"]).RpcProxy("documents")

    @rpc(expected_exceptions=EXPECTED, sensitive_arguments=("payload",))  # accounts payloads are never logged
    def start_import(self, payload: dict, actor: dict) -> dict:
        from accounts import imports
        from common.contracts.imports import StartImportIn

        require_staff(actor)
        job = imports.start(self.db, validated(StartImportIn, payload), as_actor(actor))
        self.db.commit()
        return {"id": str(job.id), "status": job.status}

    @rpc(expected_exceptions=EXPECTED)
    def import_report(self, import_id: str, actor: dict) -> dict:
        from accounts import imports

        require_staff(actor)
        return imports.report(self.db, parse_id(import_id, "import")).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED)
    def list_imports(self, actor: dict) -> list:
        from accounts import imports

        require_staff(actor)
        return imports.list_jobs(self.db)

    @rpc(expected_exceptions=EXPECTED)
    def import_rejections(self, import_id: str, actor: dict) -> list:
        from accounts import imports

        require_staff(actor)
        return imports.rejections(self.db, parse_id(import_id, "import"))

    @__import__("nameko.timer", fromlist=["timer"]).timer(interval=2, eager=True)
    def run_imports(self) -> None:
        """Carries on the import job under way, then the invitation drive under way: each for a
        bounded time, each resumable by the next tick."""
        from accounts import import_invitations, imports

        ctx = imports.Context(config=self.config, publish=self.publish, public_url=self._public_url(),
                              remote=self._import_remote)
        try:
            imports.run_pending(self.db, self.import_storage, ctx)
        finally:
            self.db.rollback()  # an import that broke leaves the drives to go on all the same
            import_invitations.run_drive(self.db, self._public_url(), self.publish)

    def _import_remote(self, service: str, method: str, *args):
        """The owning service's batch operation (common.contracts.imports.OWNER)."""
        proxy = {"rosters": self.rosters_rpc, "training": self.training_rpc, "documents": self.documents_rpc}[service]
        return getattr(proxy, method)(*args)

    # --- claim invitations to imported people, later and in bulk (accounts.import_invitations) -----

    @rpc(expected_exceptions=EXPECTED, sensitive_arguments=("payload",))  # accounts payloads are never logged
    def invite_imported(self, payload: dict, actor: dict) -> dict:
        """Starts a drive sending the invitations in the background (or answers with the one under way)."""
        from accounts import import_invitations
        from common.contracts.import_invitations import InviteImportedIn

        require_staff(actor, "send claim invitations")
        data = validated(InviteImportedIn, payload or {})
        answer = import_invitations.start_drive(self.db, data, as_actor(actor))
        self.db.commit()
        return answer.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED)
    def imported_invitation_status(self, actor: dict) -> dict:
        from accounts import import_invitations

        require_staff(actor, "see the claim invitations")
        return import_invitations.status(self.db).model_dump(mode="json")


def require_staff(actor: dict | None, doing: str = "import files") -> None:
    from common.authz import STAFF
    from common.errors import Forbidden

    if not set((actor or {}).get("roles") or ()) & set(STAFF):
        raise Forbidden(f"Only Contract Services staff can {doing}.")
