"""Classifications, applications, classification records, work experience, the payroll feed and
the sweep (SPEC §6)."""
from __future__ import annotations

import uuid

from flask import current_app, jsonify, request
from pydantic import BaseModel, Field

from common.authz import STAFF  # noqa: E402
from common.contracts.rosters import (
    ApplyIn,
    ClassificationsOut,
    ImposeSuspensionIn,
    LiftSuspensionIn,
    MyClassificationsOut,
    PayrollBatchIn,
    PayrollReportOut,
    RecordOut,
    RecordWorkDaysIn,
    ReviewWorkDayIn,
    SubmitWorkDaysIn,
    SuspensionOut,
    SuspensionsOut,
    SweepIn,
    SweepOut,
    WorkDayOut,
    WorkDaysSubmittedOut,
    WorkExperienceOut,
    check_batch_size,
)
from common.errors import ValidationFailed
from gateway.api import api, created, json_body, parse_body
from gateway.api.documents import owned_document
from gateway.api.openapi import api_route
from gateway.auth import actor, own_person_id, person_facts, require_api

AS_OF = {"name": "as_of", "in": "query", "required": False,
         "description": "Evaluate as of this day (YYYY-MM-DD); today by default.",
         "schema": {"type": "string", "format": "date"}}


def rpc(method: str, *args, long: bool = False):
    # a payroll batch or a sweep may take longer than an ordinary request
    timeout = current_app.config.get("RPC_LONG_TIMEOUT", 120) if long else None
    return current_app.rpc.call("rosters", method, *args, timeout=timeout)


def as_of_arg() -> str | None:
    return request.args.get("as_of") or None


@api_route(api, "/classifications", "GET", "The classification catalog, with a summary of each "
           "classification's requirements", "anyone", response=ClassificationsOut, errors=(422,),
           extra={"parameters": [AS_OF]})
def list_classifications():
    return jsonify({"classifications": rpc("list_classifications", as_of_arg())})


@api_route(api, "/me/applications", "POST", "Apply for a classification: starts your record in it",
           "a logged-in person", request=ApplyIn, response=RecordOut, status=201,
           errors=(401, 404, 409, 422), auth="bearer")
@require_api()
def apply(principal):
    data = parse_body(ApplyIn)
    return created(rpc("apply", own_person_id(principal), data.classification_code, actor(principal),
                       person_facts(principal)))


@api_route(api, "/me/classifications", "GET", "Your classification records: status, each "
           "requirement and its deadline, pending advancements, closed records",
           "a logged-in person", response=MyClassificationsOut, errors=(401, 404, 422), auth="bearer",
           extra={"parameters": [AS_OF]})
@require_api()
def my_classifications(principal):
    return jsonify(rpc("my_classifications", own_person_id(principal), as_of_arg()))


@api_route(api, "/me/classifications/<code>", "GET", "One of your classification records (or the "
           "pending record of the group you are advancing toward)", "a logged-in person",
           response=RecordOut, errors=(401, 404, 422), auth="bearer", extra={"parameters": [AS_OF]})
@require_api()
def my_classification(principal, code: str):
    return jsonify(rpc("my_classification", own_person_id(principal), code, as_of_arg()))


@api_route(api, "/me/work-experience", "GET", "Your work days and their verification",
           "a logged-in person", response=WorkExperienceOut, errors=(401, 404), auth="bearer")
@require_api()
def my_work_experience(principal):
    return jsonify(rpc("my_work_experience", own_person_id(principal)))


@api_route(api, "/me/work-experience", "POST", "Report days you worked, with proof (an uploaded "
           "document); they count once staff verify them", "a logged-in person. "
           "proof_document_id must be one of your own documents (404 otherwise)",
           request=SubmitWorkDaysIn, response=WorkDaysSubmittedOut, status=201,
           errors=(401, 404, 422), auth="bearer")
@require_api()
def submit_work_days(principal):
    data = parse_body(SubmitWorkDaysIn)
    if data.proof_document_id is not None:
        owned_document(principal, data.proof_document_id)  # someone else's id: "No such document"
    return created(rpc("submit_work_days", own_person_id(principal), data.model_dump(mode="json"),
                       actor(principal), person_facts(principal)))


def payroll_records() -> list:
    """The body as a list of records: `{"records": [...]}` or the bare list."""
    body = json_body()
    if isinstance(body, dict) and isinstance(body.get("records"), list):
        body = body["records"]
    if not isinstance(body, list):
        raise ValidationFailed('Send JSON: {"records": [...]} or a list of work records.')
    check_batch_size(body)
    return body


@api_route(api, "/integrations/payroll/work-records", "POST", "A batch of up to 10,000 work "
           "records. Each is judged on its own: the answer counts the accepted, duplicate and "
           "held ones (an SSN we do not know yet) and lists each rejected record's index and why",
           "payroll_client (Authorization: Bearer <API key>)", request=PayrollBatchIn,
           response=PayrollReportOut, status=202, errors=(401, 403, 422), auth="bearer")
@require_api("payroll_client")
def ingest_payroll(principal):
    records = payroll_records()
    client = str(principal.payroll_client_id) if principal.payroll_client_id else None
    return jsonify(rpc("ingest_payroll", records, client, actor(principal), long=True)), 202


@api_route(api, "/staff/work-days", "POST", "Enter verified work days for a person", "staff",
           request=RecordWorkDaysIn, response=WorkDaysSubmittedOut, status=201,
           errors=(401, 403, 404, 422), auth="bearer")
@require_api(*STAFF)
def record_work_days(principal):
    data = parse_body(RecordWorkDaysIn)
    return created(rpc("record_work_days", data.model_dump(mode="json"), actor(principal)))


@api_route(api, "/staff/work-days/<uuid:work_day_id>/review", "POST", "Verify or reject a work day "
           "a person submitted (a rejection needs a reason; the person sees it)", "staff",
           request=ReviewWorkDayIn, response=WorkDayOut, errors=(401, 403, 404, 422), auth="bearer")
@require_api(*STAFF)
def review_work_day(principal, work_day_id: uuid.UUID):
    data = parse_body(ReviewWorkDayIn)
    return jsonify(rpc("verify_work_day", str(work_day_id), data.decision, data.reason, actor(principal)))


class CatalogVersionIn(BaseModel):
    yaml: str = Field(min_length=1, max_length=500_000)


@api_route(api, "/staff/catalog", "POST", "Publish a new version of one local's rules (the catalog "
           "file format, as YAML); it applies from its effective date", "staff_admin",
           request=CatalogVersionIn, status=201, errors=(401, 403, 422), auth="bearer")
@require_api("staff_admin")
def publish_catalog_version(principal):
    data = parse_body(CatalogVersionIn)
    return jsonify(rpc("publish_catalog_version", data.yaml, actor(principal))), 201


@api_route(api, "/staff/work-days", "GET", "Work days waiting for a staff decision, oldest first",
           "staff", errors=(401, 403), auth="bearer")
@require_api(*STAFF)
def pending_work_days(principal):
    return jsonify({"days": rpc("pending_work_days", actor(principal))})


@api_route(api, "/staff/sweeps", "POST", "Run the daily sweep as of a day: documents past their "
           "expiry become expired, then deadlines, lapses and advancement in grouping",
           "staff", request=SweepIn, response=SweepOut, errors=(401, 403, 422), auth="bearer")
@require_api(*STAFF)
def run_sweep(principal):
    data = parse_body(SweepIn)
    as_of, who = data.as_of.isoformat(), actor(principal)
    documents = current_app.rpc.call("documents", "sweep_expired", as_of, who,
                                     timeout=current_app.config.get("RPC_LONG_TIMEOUT", 120))
    return jsonify({**rpc("run_sweep", as_of, who, long=True), "documents_expired": documents["expired"]})


@api_route(api, "/staff/people/<uuid:person_id>/classifications", "GET", "A person's "
           "classification records, as the person sees them", "staff", response=MyClassificationsOut,
           errors=(401, 403, 404, 422), auth="bearer", extra={"parameters": [AS_OF]})
@require_api(*STAFF)
def person_classifications(principal, person_id: uuid.UUID):
    return jsonify(rpc("my_classifications", str(person_id), as_of_arg()))


# --- staff take someone off a roster, and put them back ------------------------------------------

@api_route(api, "/staff/people/<uuid:person_id>/suspensions", "GET", "A person's suspensions and "
           "withdrawals, newest first", "staff", response=SuspensionsOut, errors=(401, 403), auth="bearer")
@require_api(*STAFF)
def list_suspensions(principal, person_id: uuid.UUID):
    return jsonify(rpc("list_suspensions", str(person_id), actor(principal)))


@api_route(api, "/staff/suspensions", "POST", "Suspend or withdraw a person from one classification's "
           "roster from a day (today by default): Not Compliant, and the days off the roster do not "
           "count toward advancement in grouping", "staff", request=ImposeSuspensionIn,
           response=SuspensionOut, status=201, errors=(401, 403, 404, 409, 422), auth="bearer")
@require_api(*STAFF)
def impose_suspension(principal):
    data = parse_body(ImposeSuspensionIn)
    return created(rpc("impose_suspension", data.model_dump(mode="json"), actor(principal)))


@api_route(api, "/staff/suspensions/<uuid:suspension_id>/lift", "POST", "Put the person back on the "
           "roster from a day (today by default)", "staff", request=LiftSuspensionIn,
           response=SuspensionOut, errors=(401, 403, 404, 409, 422), auth="bearer")
@require_api(*STAFF)
def lift_suspension(principal, suspension_id: uuid.UUID):
    data = parse_body(LiftSuspensionIn) if request.get_data() else LiftSuspensionIn()
    return jsonify(rpc("lift_suspension", str(suspension_id), data.model_dump(mode="json"), actor(principal)))
