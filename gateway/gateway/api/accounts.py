from __future__ import annotations

from flask import current_app, jsonify

from accounts.schemas import CreateAccountIn, CreatedAccountOut, LogInIn, MeOut, SessionOut
from gateway.api import api, created, parse_body
from gateway.api.openapi import api_route
from gateway.auth import bearer_token, require_api
from gateway.limits import limiter


@api_route(api, "/accounts", "POST", "Create an account and its person record", "anyone",
           request=CreateAccountIn, response=CreatedAccountOut, status=201, errors=(409, 422, 429))
@limiter.limit(lambda: current_app.config["RATELIMIT_CREATE_ACCOUNT"])
def create_account():
    data = parse_body(CreateAccountIn)
    return created(current_app.rpc.call("accounts", "create_account", data.model_dump(mode="json")))


@api_route(api, "/session", "POST", "Log in: returns a bearer token", "anyone",
           request=LogInIn, response=SessionOut, errors=(401, 422, 429))
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"])
def log_in():
    data = parse_body(LogInIn)
    return jsonify(current_app.rpc.call("accounts", "log_in", data.model_dump(mode="json")))


@api_route(api, "/session", "DELETE", "Log out: the token stops working", "the token's holder",
           status=204, errors=(401,), auth="bearer")
@require_api()
def log_out(principal):
    current_app.rpc.call("accounts", "log_out", bearer_token())
    return "", 204


@api_route(api, "/me", "GET", "Your profile", "a logged-in person", response=MeOut,
           errors=(401,), auth="bearer")
@require_api()
def get_me(principal):
    return jsonify(current_app.rpc.call("accounts", "get_me", str(principal.person_id)))
