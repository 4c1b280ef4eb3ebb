"""What people take away (seed 003): the Official Course Transcript and the Compliance Report as
PDF, and the public check of a report's verification code.

A Compliance Report is a snapshot; its code opens the person's status *now*, so a doctored or
outdated printout is caught. The check shows exactly what the public roster search shows for the
person's IL number (name, IL number, classifications with roster status, Safety Pass courses),
plus when the report was issued: never an SSN, a date of birth, contact details or documents.
"""
from __future__ import annotations

import csv
import io
from datetime import datetime

from flask import Response, current_app, jsonify, request
from pydantic import BaseModel

from common import clock
from common import config as hub_config
from common.authz import STAFF
from common.contracts.rosters import MONTHLY_COLUMNS, MonthlyActivityOut, PublicPerson, SafetyPass, SearchCriteria
from common.errors import NotFound
from gateway.api import api
from gateway.api.openapi import api_route
from gateway.api.search import search_roster
from gateway.auth import actor, own_person_id, person_facts, require_api
from gateway.limits import limiter
from gateway.reports import compliance_report_pdf, transcript_pdf
from gateway.reports.pdf import local_time

MAX_CODE = 64   # longer is never a code: refused before any RPC


class VerificationOut(BaseModel):
    code: str
    issued_at: datetime          # when the report was printed (UTC)
    issued: str                  # the same on the business's clock, as the report prints it
    checked_at: datetime         # now: the status below is live
    checked: str
    person: PublicPerson | None  # what the public search shows; None if it cannot be shown now


def verify_limit() -> str:
    # like the public search: a code is a way to look someone up
    return current_app.config.get("RATELIMIT_VERIFY") or current_app.config["RATELIMIT_SEARCH"]


def _training(method: str, *args):
    return current_app.rpc.call("training", method, *args)


def pdf_response(data: bytes, filename: str) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _who(principal) -> tuple[str, dict]:
    person_id = own_person_id(principal)
    card = person_facts(principal)   # accounts: the name as it is now, even before training hears of it
    return person_id, card


def _name(card: dict) -> str:
    return " ".join(part for part in (card.get("first_name"), card.get("last_name")) if part)


def transcript_document(principal) -> tuple[bytes, str]:
    person_id, card = _who(principal)
    transcript = _training("transcript", person_id)
    today = clock.today()
    data = transcript_pdf(transcript, _name(card), card.get("il_number"), today)
    return data, f"transcript-{card.get('il_number') or 'hub'}-{today.isoformat()}.pdf"


def compliance_report_document(principal) -> tuple[bytes, str]:
    """Each printout gets its own code (issued last, once the rest has been read)."""
    person_id, card = _who(principal)
    classifications = current_app.rpc.call("rosters", "my_classifications", person_id, None)
    transcript = _training("transcript", person_id)
    issued = _training("issue_report_code", person_id, actor(principal))
    issued_at = datetime.fromisoformat(issued["issued_at"])
    url = f"{hub_config.public_url()}/verify/{issued['code']}"
    data = compliance_report_pdf(classifications, transcript, _name(card), card.get("il_number"),
                                 issued["code"], issued_at, url)
    day = clock.local_day(issued_at).isoformat()
    return data, f"compliance-report-{card.get('il_number') or 'hub'}-{day}.pdf"


def verification(code: str) -> VerificationOut:
    """The live public status behind a report's code; NotFound for a code no report carries."""
    if not code or len(code) > MAX_CODE:
        raise NotFound("No Compliance Report has this verification code.")
    verified = _training("verify_report_code", code)
    transcript = _training("transcript", verified["person_id"])
    il_number = transcript.get("il_number")
    person = None
    if il_number:
        found = search_roster(SearchCriteria(il_number=il_number))
        person = next((PublicPerson.model_validate(p) for p in found["results"]
                       if p["il_number"] == il_number), None)
        if person is None:
            # no public roster record (yet): name and IL number are on the report already, and the
            # Safety Pass is the public search's rule: courses completed and not expired
            person = PublicPerson(
                il_number=il_number, first_name=transcript.get("first_name") or "",
                last_name=transcript.get("last_name") or "", classifications=[],
                safety_pass=SafetyPass(courses=sorted({c["course_code"] for c in transcript["completions"]
                                                       if c.get("status") == "current"})))
    issued_at, checked_at = datetime.fromisoformat(verified["issued_at"]), clock.now()
    return VerificationOut(code=verified["code"], issued_at=issued_at, issued=local_time(issued_at),
                           checked_at=checked_at, checked=local_time(checked_at), person=person)


@api_route(api, "/me/transcript.pdf", "GET", "Your Official Course Transcript as a PDF (an "
           "attachment): every course, its date, score, source, expiry and status",
           "a logged-in person (staff: X-Act-For)", errors=(401, 404), auth="bearer")
@require_api()
def my_transcript_pdf(principal):
    return pdf_response(*transcript_document(principal))


@api_route(api, "/me/compliance-report.pdf", "GET", "Your Compliance Report as a PDF (an "
           "attachment): every classification with its status and each requirement's state and "
           "deadline, your Safety Pass courses, the issue date, and a new verification code with "
           "its QR code, which opens /verify/{code}", "a logged-in person (staff: X-Act-For)",
           errors=(401, 404), auth="bearer")
@require_api()
def my_compliance_report_pdf(principal):
    return pdf_response(*compliance_report_document(principal))


@api_route(api, "/verify/<code>", "GET", "The live status behind a Compliance Report's "
           "verification code: when the report was issued, and the person's name, IL number, "
           "classifications with roster status and Safety Pass courses now (what the public search "
           "shows; nothing more). 404 for a code no report carries", "anyone",
           response=VerificationOut, errors=(404, 429))
@limiter.limit(verify_limit)
def verify_code(code: str):
    return jsonify(verification(code).model_dump(mode="json"))


# --- staff: activity per month --------------------------------------------------------------------

def monthly_report(principal, months, local) -> dict:
    """The rosters service's monthly activity (the staff reports page uses this too)."""
    return current_app.rpc.call("rosters", "monthly_activity", months, local or None, actor(principal))


def monthly_csv(report: dict) -> Response:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=MONTHLY_COLUMNS, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(report["rows"])
    scope = f"local-{report['local']}" if report.get("local") else "all-locals"
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = (f'attachment; filename="monthly-activity-{scope}-'
                                               f'{report["as_of"]}.csv"')
    return response


@api_route(api, "/staff/reports/monthly", "GET", "Placements on rosters, suspensions, removals and "
           "reinstatements in each of the last N calendar months (12 by default, at most 36; months in "
           "the Hub's time zone, newest first), for every local or one; format=csv for a download",
           "staff", response=MonthlyActivityOut, errors=(401, 403, 422), auth="bearer",
           extra={"parameters": [
               {"name": "months", "in": "query", "required": False, "schema": {"type": "integer"}},
               {"name": "local", "in": "query", "required": False, "schema": {"type": "string"}},
               {"name": "format", "in": "query", "required": False, "schema": {"type": "string"}}]})
@require_api(*STAFF)
def monthly_activity_report(principal):
    report = monthly_report(principal, request.args.get("months", "12"), request.args.get("local", "").strip())
    if request.args.get("format") == "csv":
        return monthly_csv(report)
    return jsonify(report)
