"""Who is asking: one check for every endpoint and page.

API clients send `Authorization: Bearer <token>` (from POST /api/v1/session); browsers carry
the same kind of token inside the signed, HttpOnly session cookie. Either way the accounts
service resolves it to a Principal on each request, so a revoked session ends everywhere at once.
"""
from __future__ import annotations

from functools import wraps

from flask import current_app, g, redirect, request, session, url_for

from accounts.schemas import Principal
from common.errors import Forbidden, HubError, Unauthorized


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def resolve_principal(token: str | None) -> Principal | None:
    if not token:
        return None
    try:
        return Principal.model_validate(current_app.rpc.call("accounts", "authenticate", token))
    except Unauthorized:
        return None


def api_principal() -> Principal | None:
    if "principal" not in g:
        g.principal = resolve_principal(bearer_token())
    return g.principal


def page_principal() -> Principal | None:
    if "principal" not in g:
        try:
            g.principal = resolve_principal(session.get("token"))
        except HubError:
            g.principal_unavailable = True
            raise
        if g.principal is None:
            session.pop("token", None)
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


def require_api(*roles: str):
    """API endpoint guard: a valid bearer token, holding one of `roles` if any are given."""
    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            principal = api_principal()
            if principal is None:
                raise Unauthorized("Log in first: send Authorization: Bearer <token>.")
            if roles and not set(roles) & set(principal.roles):
                raise Forbidden("Your account may not do that.")
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
            if roles and not set(roles) & set(principal.roles):
                raise Forbidden("Your account may not see this page.")
            return view(principal, *args, **kwargs)
        return guarded
    return decorate
