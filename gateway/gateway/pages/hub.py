"""The public Hub: home, Portal Login, Create Account, log out, and the ways back in:
"Forgot your password?", the reset link, and claiming a migrated account from an invitation."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for

from common.contracts.accounts import ClaimIn, CreateAccountIn, LogInIn, ResetConfirmIn, ResetRequestIn
from common.contracts.rosters import MAX_PAGE, SearchCriteria
from common.errors import Conflict, HubError, LinkExpired, TooManyRequests, Unauthorized, ValidationFailed
from gateway.api.accounts import RESET_ANSWER
from gateway.api.search import search_roster
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


@hub.get("/favicon.ico")
def favicon():
    # browsers ask for /favicon.ico whatever the page says; the icon itself is an SVG
    return redirect(url_for("static", filename="favicon.svg"), 301)


# --- public roster search ------------------------------------------------------------------------

SEARCH_FIELDS = ("last_name", "first_name", "ssn", "il_number", "classification", "local")


def _search_choices() -> tuple[list, list]:
    """Classifications (grouped by local) and locals for the form's lists; empty when the rosters
    service cannot say, and the form then takes typed codes."""
    try:
        catalog = current_app.rpc.call("rosters", "list_classifications")
    except HubError:
        return [], []
    locals_ = {}
    for c in catalog:
        locals_.setdefault(c["local"], c["local_name"])
    grouped: dict = {}
    for c in sorted(catalog, key=lambda c: (c["local_name"], c["name"])):
        grouped.setdefault(c["local_name"], []).append(c)
    return list(grouped.items()), sorted(locals_.items(), key=lambda item: item[1])


def _page_number(raw: str | None) -> int:
    try:
        return min(max(int(raw or 1), 1), MAX_PAGE)
    except ValueError:
        return 1


@hub.route("/search", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_SEARCH"], methods=["POST"])
def search():
    """Search the public records without logging in. POST, so an SSN never lands in a URL, and
    the SSN is never written back into the page."""
    errors, values, found = {}, {}, None
    if request.method == "POST":
        values = {field: request.form.get(field, "").strip() for field in SEARCH_FIELDS}
        data, errors = validate_form(SearchCriteria, {**values, "page": _page_number(request.form.get("page"))})
        if data is not None:
            try:
                found = search_roster(data)
            except ValidationFailed as exc:
                errors = {"form": exc.message}
            except HubError as exc:
                errors = {"form": f"The search is not available right now. {exc.message}"}
        values.pop("ssn", None)  # never echo an SSN back into a page
    classifications, locals_ = _search_choices()
    return render_template("hub/search.html", errors=errors, values=values, found=found,
                           classifications=classifications, locals_=locals_), 400 if errors else 200


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


# --- the ways back in: forgot password, reset link, claim link ------------------------------------

BROKEN_LINK = ("This link is not complete. Open it again from the e-mail, or copy the whole "
               "address into your browser.")
def _link_usable(token: str, purpose: str) -> bool:
    """Ask before showing the form, so nobody types a new password only to hear the link is
    dead; the accounts service judges again when the form is sent."""
    return bool(current_app.rpc.call("accounts", "check_link", token, purpose))


def _link_token() -> str:
    return (request.form.get("token") or request.args.get("token") or "").strip()


def _link_expired(message: str, status: int = 410):
    return render_template("hub/link_expired.html", message=message), status


def _password_form_errors(model, token: str) -> tuple[object, dict]:
    """Validate {token, password} and the confirmation; token problems are for the caller."""
    password = request.form.get("password", "")
    data, errors = validate_form(model, {"token": token, "password": password})
    if password != request.form.get("password_confirm", ""):
        errors.setdefault("password_confirm", "The two passwords do not match.")
    return data, errors


def _service_field_errors(exc: ValidationFailed, field: str = "password") -> dict:
    fields = exc.details.get("fields") or {}
    message = fields.get(field) or fields.get(f"payload.{field}") or exc.message
    return {field: message}


@hub.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def forgot_password():
    errors, values = {}, {}
    if request.method == "POST":
        values = {"email": request.form.get("email", "").strip()}
        data, errors = validate_form(ResetRequestIn, values)
        if data is not None:
            try:
                current_app.rpc.call("accounts", "request_password_reset", data.model_dump(mode="json"), actor())
            except ValidationFailed:
                errors = {"email": "Enter an e-mail address like name@example.com."}
            else:
                # the same answer whether or not anyone has that address
                return render_template("hub/forgot_password_sent.html", answer=RESET_ANSWER)
    return (render_template("hub/forgot_password.html", errors=errors, values=values),
            400 if errors else 200)


def _password_link_page(purpose: str, model, method: str, template: str, dead_message: str, succeed):
    """A page opened from an e-mailed link (reset or claim) that asks for a new password."""
    token = _link_token()
    if not 10 <= len(token) <= 200:  # the shape of our links' tokens
        return _link_expired(BROKEN_LINK, 400)
    if request.method == "GET" and not _link_usable(token, purpose):
        return _link_expired(dead_message)
    errors = {}
    if request.method == "POST":
        data, errors = _password_form_errors(model, token)
        if data is not None and not errors:
            try:
                result = current_app.rpc.call("accounts", method, data.model_dump(mode="json"), actor())
            except LinkExpired as exc:
                return _link_expired(exc.message)
            except ValidationFailed as exc:
                errors = _service_field_errors(exc)
            except Conflict as exc:  # e.g. a record's e-mail already has another account
                errors = {"form": exc.message}
            else:
                return succeed(result)
    return render_template(template, errors=errors, token=token), 400 if errors else 200


@hub.route("/reset-password", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def reset_password():
    def succeed(_result):
        flash("Your password is changed. Log in with it.", "success")
        return redirect(url_for("hub.login"))

    return _password_link_page(
        "reset", ResetConfirmIn, "confirm_password_reset", "hub/reset_password.html",
        "This password reset link has expired or was already used. Reset links last one hour: "
        "ask for a new one with “Forgot your password?”.", succeed)


@hub.route("/claim", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def claim():
    def succeed(result):
        session.clear()  # a fresh session, logged in as the person who claimed
        session["token"] = result["token"]
        session.permanent = True
        flash("Your Portal account is ready. Welcome to the Industry Hub!", "success")
        return redirect(url_for("portal.dashboard"))

    return _password_link_page(
        "claim", ClaimIn, "claim_account", "hub/claim.html",
        "This invitation link has expired or was already used. Invitations last 7 days: use "
        "“Forgot your password?” on the Portal Login page to choose a password and unlock your "
        "Portal.", succeed)
