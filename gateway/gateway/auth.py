"""Who is asking: one check for every endpoint and page.

API clients send `Authorization: Bearer <token>` (a session token from POST /api/v1/session, or
a payroll company's API key); browsers carry a session token inside the signed, HttpOnly
session cookie. Either way the accounts service resolves it to a Principal on each request, so
a revoked session ends everywhere at once. The rules themselves live in common.authz.

Staff helping someone by phone or at the counter act on their behalf: `X-Act-For: <person id>`
on the API, or "Act on behalf" on the staff pages. The principal then carries that person's id
(so /me is theirs) while keeping the staff account and roles, and every audit entry names both.
"""
from __future__ import annotations

from functools import wraps

from flask import current_app, g, redirect, request, session, url_for

from common.authz import Principal, require_role
from common.errors import Forbidden, HubError, NotFound, Unauthorized

API_KEY_PREFIX = "hubpk_"


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def resolve_principal(token: str | None) -> Principal | None:
    if not token:
        return None
    method = "authenticate_api_key" if token.startswith(API_KEY_PREFIX) else "authenticate"
    try:
        return Principal.model_validate(current_app.rpc.call("accounts", method, token))
    except Unauthorized:
        return None


def acting_for(principal: Principal, person_id: str | None) -> Principal:
    """The principal as it acts for `person_id` (staff only), or unchanged without one."""
    if not person_id:
        return principal
    if not principal.is_staff:
        raise Forbidden("Only Contract Services staff may act on behalf of someone.")
    # name and IL number only, not audited: what staff then read or change is audited itself
    person = current_app.rpc.call("accounts", "person_card", person_id, viewer(principal))
    g.acting_person = person  # for the layout's "You are helping …" banner: no second RPC
    return principal.model_copy(update={"person_id": person["person_id"], "on_behalf_of": person["person_id"]})


def api_principal() -> Principal | None:
    if "principal" not in g:
        principal = resolve_principal(bearer_token())
        if principal is not None:
            principal = acting_for(principal, request.headers.get("X-Act-For"))
        g.principal = principal
    return g.principal


def page_principal() -> Principal | None:
    if "principal" not in g:
        try:
            principal = resolve_principal(session.get("token"))
            if principal is not None and session.get("acting_for"):
                try:
                    principal = acting_for(principal, session["acting_for"])
                except (NotFound, Forbidden):
                    session.pop("acting_for", None)
            g.principal = principal
        except HubError:
            g.principal_unavailable = True
            raise
        if g.principal is None:
            session.pop("token", None)
            session.pop("acting_for", None)
    return g.principal


def layout_principal() -> Principal | None:
    """page_principal for the layout, which the error page uses too: when accounts cannot be
    reached the error page must still render (logged-out menu) instead of failing again."""
    if g.get("principal_unavailable"):
        return None  # asked once already: each attempt may wait for the whole RPC timeout
    try:
        return page_principal()
    except HubError:
        return None


def acting_person() -> dict | None:
    """The person a staff member is helping in this browser session (the layout's banner)."""
    principal = layout_principal()
    if principal is None or principal.on_behalf_of is None:
        return None
    return g.get("acting_person")


def staff_self(principal: Principal) -> Principal:
    """The staff member as themselves, not as the person they may be helping: staff tools
    (search, invitations, new records) act for nobody, so their audit entries name nobody."""
    if principal.on_behalf_of is None:
        return principal
    return principal.model_copy(update={"person_id": None, "on_behalf_of": None})


def client_ip() -> str | None:
    return request.remote_addr


def actor(principal: Principal | None = None) -> dict:
    """The audit identity of this request, for RPCs that write."""
    if principal is None:
        return {"roles": ["anonymous"], "client_ip": client_ip()}
    return principal.actor(client_ip()).model_dump(mode="json")


def viewer(principal: Principal) -> dict:
    """The principal as a service needs it to decide (and audit) a read: with this request's
    client address, so a staff look at private details names where it came from."""
    return principal.model_copy(update={"client_ip": client_ip()}).model_dump(mode="json")


def person_facts(principal: Principal) -> dict:
    """The public facts (IL number, name) of the person this request is for, which rosters needs
    to start a record for someone whose registration event has not reached it yet."""
    card = current_app.rpc.call("accounts", "person_card", own_person_id(principal), viewer(principal))
    return {key: card[key] for key in ("il_number", "first_name", "last_name")}


def own_person_id(principal: Principal) -> str:
    """The person whose /me this is; staff logins without a person record have none."""
    if principal.person_id is None:
        raise NotFound("This login has no Industry Professional record. Staff: act on behalf "
                       "of a person to see theirs.")
    return str(principal.person_id)


def require_api(*roles: str):
    """API endpoint guard: a valid bearer token, holding one of `roles` if any are given."""
    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            principal = api_principal()
            if principal is None:
                raise Unauthorized("Log in first: send Authorization: Bearer <token>.")
            require_role(principal, *roles)
            return view(principal, *args, **kwargs)
        return guarded
    return decorate


def require_page(*roles: str):
    """Page guard: a logged-in browser session, else the login page with a way back."""
    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            principal = page_principal()
            if principal is None:
                return redirect(url_for("hub.login", next=request.path))
            if roles and not principal.has(*roles):
                raise Forbidden("Your account may not see this page.")
            return view(principal, *args, **kwargs)
        return guarded
    return decorate
