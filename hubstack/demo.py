"""Demo data for `make run`: loaded through the same RPCs the pages use, safe to run again."""
from __future__ import annotations

from datetime import timedelta

from nameko.standalone.rpc import ClusterRpcProxy

from common import config as hub_config
from common.clock import today as hub_today
from common.errors import Conflict

SYSTEM = {"roles": ["system"]}

DEMO_PEOPLE = [
    {"email": "john.doe@example.com", "password": "demo-password-1", "first_name": "John",
     "last_name": "Doe", "date_of_birth": "1988-04-12", "ssn": "123-45-6789"},
]
DEMO_STAFF = [
    {"email": "reviewer@example.com", "password": "demo-reviewer-1", "display_name": "Riley Reviewer",
     "roles": ["staff_reviewer"], "role_label": "Staff reviewer"},
    {"email": "rep399@example.com", "password": "demo-rep399-pass", "display_name": "Teamsters Local #399 rep",
     "roles": ["union_rep"], "locals": ["399"], "role_label": "Union rep, Local #399"},
    {"email": "rep44@example.com", "password": "demo-rep44-pass", "display_name": "IATSE Local #44 rep",
     "roles": ["union_rep"], "locals": ["44"], "role_label": "Union rep, Local #44"},
]
# A migrated worker with no account yet: their invitation e-mail is in the mail folder.
DEMO_MIGRATED = {"email": "maria.migrated@example.com", "first_name": "Maria", "last_name": "Lopez",
                 "date_of_birth": "1979-09-30", "ssn": "234-56-7890", "origin": "import"}


def _demo_history(rpc, person_id: str, il_number: str, person: dict) -> None:
    """John Doe has applied as a Local #80 grip and payroll has reported 12 days: Training
    Eligible, with "12 of 30 days; 18 more needed" on his Work Experience tab."""
    facts = {"il_number": il_number, "first_name": person["first_name"], "last_name": person["last_name"]}
    rpc.rosters.apply(person_id, "80-GRIP", SYSTEM, facts)  # rosters need not wait for the event
    today = hub_today()
    days = [{"ssn": person["ssn"], "last_name": person["last_name"], "first_name": person["first_name"],
             "employer": "Demo Studios", "production": "Demo Feature", "classification_code": "80-GRIP",
             "work_date": (today - timedelta(days=3 * i + 1)).isoformat(), "hours": 10}
            for i in range(12)]
    rpc.rosters.ingest_payroll(days, None, {"roles": ["payroll_client"]})


def load_demo_data(amqp_uri: str, admin_email: str, admin_password: str) -> list[dict]:
    """Returns the demo logins to print."""
    logins = [{"role": "Staff administrator", "email": admin_email, "password": admin_password}]
    with ClusterRpcProxy(hub_config.nameko_config({"AMQP_URI": amqp_uri}), timeout=30) as rpc:
        for person in DEMO_PEOPLE:
            try:
                created = rpc.accounts.create_account(person, SYSTEM)
            except Conflict:
                created = None  # loaded on an earlier run: the login still works, so show it
            if created is not None:
                _demo_history(rpc, created["person_id"], created["il_number"], person)
            logins.append({"role": "Industry Professional", "email": person["email"],
                           "password": person["password"]})
        for login in DEMO_STAFF:
            payload = {k: v for k, v in login.items() if k != "role_label"}
            try:
                rpc.accounts.create_staff_account(payload, SYSTEM)
            except Conflict:
                pass
            logins.append({"role": login["role_label"], "email": login["email"], "password": login["password"]})
        try:
            migrated = rpc.accounts.create_person(DEMO_MIGRATED, SYSTEM)
            rpc.accounts.send_invitation(migrated["person_id"], SYSTEM)
        except Conflict:
            pass
    return logins
