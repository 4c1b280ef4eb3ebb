"""The public Hub: home, Portal Login, Create Account, log out."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for

from accounts.schemas import CreateAccountIn, LogInIn
from common.errors import Conflict, HubError, TooManyRequests, Unauthorized
from gateway.auth import actor, client_ip
from gateway.limits import limiter
from gateway.pages.forms import validate_form

hub = Blueprint("hub", __name__)

CREATE_FIELDS = ("first_name", "last_name", "date_of_birth", "ssn", "email")


def _safe_next(target: str | None) -> str:
    # Only paths on this site: never bounce a person to another host after login. Browsers drop
    # tabs and newlines and read "\" as "/", so "/\t/evil.example" would mean "//evil.example".
    if (target and target.startswith("/") and not target.startswith("//")
            and "\\" not in target and target.isprintable()):
        return target
    return url_for("portal.dashboard")


def _start_session(email: str, password: str) -> None:
    result = current_app.rpc.call("accounts", "log_in", {"email": email, "password": password}, client_ip())
    session.clear()  # a fresh session id at login
    session["token"] = result["token"]
    session.permanent = True


@hub.get("/")
def home():
    return render_template("hub/home.html")


@hub.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def login():
    errors, values = {}, {}
    if request.method == "POST":
        values = {"email": request.form.get("email", ""), "password": request.form.get("password", "")}
        data, errors = validate_form(LogInIn, values)
        if data is not None:
            try:
                _start_session(data.email, data.password)
                return redirect(_safe_next(request.args.get("next")))
            except (Unauthorized, TooManyRequests) as exc:
                errors = {"form": exc.message}
        values.pop("password", None)
    return render_template("hub/login.html", errors=errors, values=values), 400 if errors else 200


@hub.route("/create-account", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_CREATE_ACCOUNT"], methods=["POST"])
def create_account():
    errors, values = {}, {}
    if request.method == "POST":
        values = {field: request.form.get(field, "").strip() for field in CREATE_FIELDS}
        password = request.form.get("password", "")
        data, errors = validate_form(CreateAccountIn, {**values, "password": password})
        if password != request.form.get("password_confirm", ""):
            errors["password_confirm"] = "The two passwords do not match."
        if data is not None and not errors:
            try:
                created = current_app.rpc.call("accounts", "create_account", data.model_dump(mode="json"), actor())
            except Conflict as exc:
                errors = {"form": exc.message}
            else:
                ready = f"Your account is ready. Your IL number is {created['il_number']}."
                try:
                    _start_session(data.email, password)  # clears the session: flash after it
                except HubError:
                    flash(ready + " Please log in.", "success")
                    return redirect(url_for("hub.login"))
                flash(ready, "success")
                return redirect(url_for("portal.dashboard"))
        values.pop("ssn", None)  # never echo an SSN back into a page
    return render_template("hub/create_account.html", errors=errors, values=values), 400 if errors else 200


@hub.post("/logout")
def logout():
    token = session.pop("token", None)
    session.clear()  # logged out here even if the accounts service cannot hear about it now
    if token:
        try:
            current_app.rpc.call("accounts", "log_out", token)
        except HubError:
            pass  # the token still expires on its own
    flash("You are logged out.", "info")
    return redirect(url_for("hub.home"))
