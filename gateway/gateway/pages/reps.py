"""A union business representative's home (issue 11, journey 7): their locals (tabs when they
have several), the local's compliance snapshot, and its members and applicants with search,
status and classification filters, paging and a CSV export with the same filters. Staff may open
any local's page too. What a rep may see is decided by the rosters service (gateway.api.locals)."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for

from common.contracts.rosters import REP_STATUSES, STATUS_LABELS
from common.errors import HubError, NotFound, ValidationFailed
from gateway.api.locals import local_members, local_summary, member_filters, members_csv
from gateway.auth import require_page

reps = Blueprint("reps", __name__, url_prefix="/reps")


def _first_local(principal) -> str | None:
    return principal.locals[0] if principal.locals else None


@reps.get("")
@require_page()
def home(principal):
    local = _first_local(principal)
    if principal.is_staff and request.args.get("local"):
        return redirect(url_for("reps.local", local=request.args["local"].strip()))
    if local is None:
        if principal.is_staff:
            return render_template("reps/home.html", who=principal, local=None, locals=[],
                                   summary=None, listing=None, filters={}, error=None,
                                   statuses=_statuses(), staff_pick=True)
        if not principal.has("union_rep"):
            abort(404)
        return render_template("reps/home.html", who=principal, local=None, locals=[], summary=None,
                               listing=None, filters={}, error=None, statuses=_statuses(), staff_pick=False)
    return redirect(url_for("reps.local", local=local))


def _statuses() -> list[tuple[str, str]]:
    return [(code, STATUS_LABELS[code]) for code in REP_STATUSES]


@reps.get("/<local>")
@require_page()
def local(principal, local: str):
    if not (principal.is_staff or principal.has("union_rep")):
        raise NotFound("No such local.")
    filters, error = {}, None
    try:
        filters = member_filters()
    except ValidationFailed as exc:
        error = exc.message
    summary = local_summary(principal, local)   # NotFound for another local: the 404 page
    listing = None
    try:
        listing = local_members(principal, local, filters)
    except ValidationFailed as exc:
        error = exc.message
        listing = local_members(principal, local, {})
        filters = {}
    except HubError as exc:
        if isinstance(exc, NotFound):
            raise
        error = exc.message
    return render_template("reps/home.html", who=principal, local=local,
                           locals=principal.locals if principal.has("union_rep") else [local],
                           summary=summary, listing=listing, filters=filters, error=error,
                           statuses=_statuses(), staff_pick=False,
                           query=request.args.to_dict())


@reps.get("/<local>/members.csv")
@require_page()
def export(principal, local: str):
    if not (principal.is_staff or principal.has("union_rep")):
        raise NotFound("No such local.")
    return members_csv(principal, local, member_filters())
