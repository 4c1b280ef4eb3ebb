"""What people take away, as pages: My Reports (the two PDFs for the browser session) and the
public /verify/<code> page a Compliance Report's QR code opens."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from common.errors import NotFound
from gateway.api.reports import (
    compliance_report_document,
    pdf_response,
    transcript_document,
    verification,
    verify_limit,
)
from gateway.auth import require_page
from gateway.limits import limiter

reports = Blueprint("reports", __name__)


@reports.get("/portal/reports")
@require_page()
def my_reports(principal):
    return render_template("hub/verify_reports.html")


@reports.get("/portal/transcript.pdf")
@require_page()
def transcript_pdf(principal):
    return pdf_response(*transcript_document(principal))


@reports.get("/portal/compliance-report.pdf")
@require_page()
def compliance_report_pdf(principal):
    return pdf_response(*compliance_report_document(principal))


@reports.get("/verify")
def verify_form():
    """Type the code printed on a report; the form sends it to /verify/<code>."""
    code = (request.args.get("code") or "").strip()
    if code:
        return redirect(url_for("reports.verify", code=code))
    return render_template("hub/verify_form.html")


@reports.get("/verify/<code>")
@limiter.limit(verify_limit)
def verify(code: str):
    try:
        found = verification(code)
    except NotFound:
        return render_template("hub/verify_not_found.html", code=code[:64]), 404
    return render_template("hub/verify.html", found=found)
