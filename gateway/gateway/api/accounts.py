"""Accounts, sessions, getting in (claim, reset) and My Account."""
from __future__ import annotations

from flask import current_app, jsonify

from common.contracts.accounts import (
    ChangePasswordIn,
    ClaimIn,
    CreateAccountIn,
    CreatedAccountOut,
    LogInIn,
    MeOut,
    ProfilePatch,
    ResetConfirmIn,
    ResetRequestIn,
    SessionOut,
)
from common.errors import Forbidden
from gateway.api import api, created, parse_body
from gateway.api.openapi import api_route
from gateway.auth import actor, bearer_token, client_ip, own_person_id, require_api
from gateway.limits import limiter

RESET_ANSWER = ("If an account or a record with that e-mail address exists, we have sent it a link "
                "to choose a new password. The link works once, for one hour.")


def rpc(method: str, *args):
    return current_app.rpc.call("accounts", method, *args)


@api_route(api, "/accounts", "POST", "Create an account and its person record (or attach to the "
           "person record waiting for you)", "anyone",
           request=CreateAccountIn, response=CreatedAccountOut, status=201, errors=(409, 422, 429))
@limiter.limit(lambda: current_app.config["RATELIMIT_CREATE_ACCOUNT"])
def create_account():
    data = parse_body(CreateAccountIn)
    return created(rpc("create_account", data.model_dump(mode="json"), actor()))


@api_route(api, "/session", "POST", "Log in: returns a bearer token", "anyone",
           request=LogInIn, response=SessionOut, errors=(401, 422, 429))
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"])
def log_in():
    data = parse_body(LogInIn)
    return jsonify(rpc("log_in", data.model_dump(mode="json"), client_ip()))


@api_route(api, "/session", "DELETE", "Log out: the token stops working", "the token's holder",
           status=204, errors=(401,), auth="bearer")
@require_api()
def log_out(principal):
    rpc("log_out", bearer_token())
    return "", 204


@api_route(api, "/password-reset", "POST", "Forgot your password? Always answers 202, whether or "
           "not the e-mail is known", "anyone", request=ResetRequestIn, status=202, errors=(422, 429))
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"])
def request_password_reset():
    data = parse_body(ResetRequestIn)
    rpc("request_password_reset", data.model_dump(mode="json"), actor())
    return jsonify({"message": RESET_ANSWER}), 202


@api_route(api, "/password-reset/confirm", "POST", "Set a new password with a reset link's token; "
           "ends every session", "anyone holding the link", request=ResetConfirmIn, status=204,
           errors=(409, 410, 422, 429))
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"])
def confirm_password_reset():
    data = parse_body(ResetConfirmIn)
    rpc("confirm_password_reset", data.model_dump(mode="json"), actor())
    return "", 204


@api_route(api, "/invitations/claim", "POST", "Claim a migrated account with the invitation's "
           "token: sets the password and logs in", "anyone holding the invitation",
           request=ClaimIn, response=SessionOut, errors=(409, 410, 422, 429))
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"])
def claim_account():
    data = parse_body(ClaimIn)
    return jsonify(rpc("claim_account", data.model_dump(mode="json"), actor()))


@api_route(api, "/me", "GET", "Your profile and contact details", "a logged-in person",
           response=MeOut, errors=(401, 404), auth="bearer")
@require_api()
def get_me(principal):
    return jsonify(rpc("get_me", own_person_id(principal), actor(principal)))


@api_route(api, "/me", "PATCH", "Change your contact details and settings", "a logged-in person",
           request=ProfilePatch, response=MeOut, errors=(401, 404, 409, 422), auth="bearer")
@require_api()
def update_me(principal):
    data = parse_body(ProfilePatch)
    return jsonify(rpc("update_me", own_person_id(principal), data.model_dump(mode="json", exclude_unset=True),
                       actor(principal)))


@api_route(api, "/me/password", "POST", "Change your password; your other sessions end",
           "a logged-in person", request=ChangePasswordIn, errors=(401, 403, 422, 429), auth="bearer")
@require_api()
def change_password(principal):
    if principal.on_behalf_of is not None:
        # the password is the login's, and the login is the staff member's, not the person's
        raise Forbidden("Staff acting on behalf of someone cannot change their password. "
                        "They can choose a new one with “Forgot your password?”.")
    data = parse_body(ChangePasswordIn)
    return jsonify(rpc("change_password", str(principal.account_id), data.model_dump(mode="json"),
                       bearer_token(), actor(principal)))
