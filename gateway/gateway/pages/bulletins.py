"""Safety on the Hub (issue 10): the public /safety page (bulletins newest first, the safety
hotlines as tap-to-call links, resources), one bulletin's page, and the staff pages to publish,
edit and withdraw bulletins.

A bulletin's body is text with simple formatting — paragraphs, **bold**, "- " lists and links —
rendered by `format_body`: the text is escaped FIRST, then the few marks become tags, so a body
can never carry HTML of its own."""
from __future__ import annotations

import re
import uuid

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from markupsafe import Markup, escape

from common.authz import STAFF
from common.contracts.notifications import BulletinIn, BulletinPatch
from common.errors import HubError, NotFound, ValidationFailed
from gateway.auth import actor, layout_principal, require_page, staff_self
from gateway.pages.forms import validate_form

bulletins = Blueprint("bulletins", __name__)


def rpc(method: str, *args):
    return current_app.rpc.call("notifications", method, *args)


# --- simple formatting, safely ----------------------------------------------------------------

# on text that is already escaped: a markdown link, a bare address, or **bold**
_URL_CHAR = r"(?:(?!&(?:#34|#39|lt|gt|quot);)[^\s<>()])"   # an escaped quote or bracket ends it
_INLINE = re.compile(
    rf"\[(?P<label>[^\]\n]{{1,200}})\]\((?P<target>https?://{_URL_CHAR}+|/(?!/){_URL_CHAR}*)\)"
    rf"|(?P<bare>https?://{_URL_CHAR}*(?:(?![.,;:!?]){_URL_CHAR}))"
    r"|\*\*(?P<bold>[^*\n]+?)\*\*")


def _inline(escaped: str) -> str:
    def replace(match: re.Match) -> str:
        if match.group("label") is not None:
            target = match.group("target")
            rel = ' rel="noopener noreferrer"' if not target.startswith("/") else ""
            return f'<a href="{target}"{rel}>{_bold_only(match.group("label"))}</a>'
        if match.group("bare") is not None:
            url = match.group("bare")
            return f'<a href="{url}" rel="noopener noreferrer">{url}</a>'
        return f"<strong>{match.group('bold')}</strong>"
    return _INLINE.sub(replace, escaped)


def _bold_only(escaped: str) -> str:
    return re.sub(r"\*\*([^*\n]+?)\*\*", r"<strong>\1</strong>", escaped)


def format_body(text: str | None) -> Markup:
    """Paragraphs (a blank line between), line breaks, "- " or "* " lists, **bold** and links
    ([words](https://…), a bare https://… address, or a Hub path /…). Everything else is text."""
    html: list[str] = []
    for block in re.split(r"\n\s*\n", (text or "").replace("\r\n", "\n").strip()):
        # consecutive lines of one kind: ("p", [lines]) joined by <br>, or ("ul", [items])
        runs: list[tuple[str, list[str]]] = []
        for line in (line.strip() for line in block.split("\n")):
            if not line:
                continue
            item = re.match(r"^[-*]\s+(.*)$", line)
            kind, words = ("ul", item.group(1)) if item else ("p", line)
            if not runs or runs[-1][0] != kind:
                runs.append((kind, []))
            runs[-1][1].append(_inline(str(escape(words))))
        for kind, parts in runs:
            if kind == "ul":
                html.append("<ul>" + "".join(f"<li>{part}</li>" for part in parts) + "</ul>")
            else:
                html.append("<p>" + "<br>".join(parts) + "</p>")
    return Markup("".join(html))


def plain_excerpt(text: str | None, limit: int = 220) -> str:
    """The first paragraph without its marks, for the list (autoescaped by the template)."""
    first = re.split(r"\n\s*\n", (text or "").strip())[0]
    first = re.sub(r"\[([^\]\n]+)\]\([^)\s]+\)", r"\1", first)
    first = re.sub(r"\*\*([^*\n]+?)\*\*", r"\1", first)
    first = re.sub(r"^\s*[-*]\s+", "", first, flags=re.MULTILINE)
    first = " ".join(first.split())
    return first if len(first) <= limit else first[:limit].rsplit(" ", 1)[0] + "…"


def tel_href(phone: str | None) -> str | None:
    """"818.565.0550 ext. 1260" → "tel:+18185650550,1260" (the dialler waits, then dials the
    extension); "911" stays "tel:911"."""
    if not phone:
        return None
    main, _, extension = phone.partition("ext.")
    digits = re.sub(r"\D", "", main)
    if len(digits) == 10:
        digits = "+1" + digits
    elif len(digits) == 11 and digits.startswith("1"):
        digits = "+" + digits
    extension = re.sub(r"\D", "", extension)
    return f"tel:{digits}" + (f",{extension}" if extension else "")


@bulletins.app_template_filter("bulletin_body")
def bulletin_body_filter(text):
    return format_body(text)


@bulletins.app_template_filter("excerpt")
def excerpt_filter(text):
    return plain_excerpt(text)


@bulletins.app_template_filter("audience_label")
def audience_label(audience: dict | None) -> str:
    """{"locals": ["80"], "classifications": ["399-DRIVER-3"]} → "Local #80, 399-DRIVER-3";
    "everyone" when both are empty."""
    audience = audience or {}
    names = [local if local.lower().startswith("local") else f"Local #{local.lstrip('#')}"
             for local in audience.get("locals") or []]
    names += list(audience.get("classifications") or [])
    return ", ".join(names) or "everyone"


@bulletins.app_template_filter("tel")
def tel_filter(phone):
    return tel_href(phone)


def _is_staff() -> bool:
    who = layout_principal()   # never raises: the public page works when accounts is down
    return bool(who and who.is_staff)


# --- public pages ---------------------------------------------------------------------------

@bulletins.get("/safety")
def safety():
    found = rpc("list_bulletins")["bulletins"]
    resources = rpc("list_resources")
    return render_template("hub/safety.html", bulletins=found, hotlines=resources["hotlines"],
                           resources=resources["resources"], is_staff=_is_staff())


@bulletins.get("/safety/bulletins/<uuid:bulletin_id>")
def bulletin(bulletin_id: uuid.UUID):
    try:
        found = rpc("get_bulletin", str(bulletin_id))
    except NotFound:
        return render_template("hub/safety_bulletin.html", bulletin=None, hotlines=[]), 404
    hotlines = rpc("list_resources")["hotlines"]
    status = 410 if found["withdrawn"] else 200
    return render_template("hub/safety_bulletin.html", bulletin=found, hotlines=hotlines,
                           is_staff=_is_staff()), status


# --- staff: publish, edit, withdraw ---------------------------------------------------------------

def _list_field(value: str | None) -> list[str]:
    """"80, 399" or one per line → ["80", "399"]."""
    return [part.strip() for part in re.split(r"[,\n]", value or "") if part.strip()]


def _form_values() -> dict:
    return {key: (request.form.get(key) or "").strip() for key in
            ("title", "body", "published_on", "locals", "classifications")}


def _audience(values: dict) -> dict:
    return {"locals": _list_field(values["locals"]), "classifications": _list_field(values["classifications"])}


def _field_errors(exc: ValidationFailed) -> dict:
    fields = (exc.details or {}).get("fields") or {}
    return {name.split(".")[0]: message for name, message in fields.items()} or {"form": exc.message}


@bulletins.route("/staff/bulletins", methods=["GET", "POST"])
@require_page(*STAFF)
def staff_bulletins(principal):
    values, errors = {}, {}
    if request.method == "POST":
        values = _form_values()
        payload = {"title": values["title"], "body": values["body"], "audience": _audience(values)}
        if values["published_on"]:
            payload["published_on"] = values["published_on"]
        data, errors = validate_form(BulletinIn, payload)
        if data is not None:
            try:
                published = rpc("publish_bulletin", data.model_dump(mode="json"), actor(staff_self(principal)))
            except ValidationFailed as exc:
                errors = _field_errors(exc)
            else:
                flash(f"Published “{published['title']}”. Its audience will find it in their Message Center.",
                      "success")
                return redirect(url_for("bulletins.staff_bulletins"))
    found = rpc("list_bulletins", True)["bulletins"]
    return render_template("staff/bulletins.html", bulletins=found, values=values, errors=errors), \
        (422 if errors else 200)


@bulletins.route("/staff/bulletins/<uuid:bulletin_id>", methods=["GET", "POST"])
@require_page(*STAFF)
def staff_bulletin(principal, bulletin_id: uuid.UUID):
    found = rpc("get_bulletin", str(bulletin_id))
    values = {"title": found["title"], "body": found["body"],
              "locals": ", ".join(found["audience"]["locals"]),
              "classifications": ", ".join(found["audience"]["classifications"])}
    errors: dict = {}
    if request.method == "POST":
        values = _form_values()
        data, errors = validate_form(BulletinPatch, {"title": values["title"], "body": values["body"],
                                                     "audience": _audience(values)})
        if data is not None:
            try:
                rpc("update_bulletin", str(bulletin_id), data.model_dump(mode="json", exclude_unset=True),
                    actor(staff_self(principal)))
            except ValidationFailed as exc:
                errors = _field_errors(exc)
            except HubError as exc:
                flash(exc.message, "error")
                return redirect(url_for("bulletins.staff_bulletin", bulletin_id=bulletin_id))
            else:
                flash("Saved. The bulletin shows the change now; nobody is messaged twice.", "success")
                return redirect(url_for("bulletins.staff_bulletin", bulletin_id=bulletin_id))
    return render_template("staff/bulletins_edit.html", bulletin=found, values=values, errors=errors), \
        (422 if errors else 200)


@bulletins.post("/staff/bulletins/<uuid:bulletin_id>/withdraw")
@require_page(*STAFF)
def staff_withdraw_bulletin(principal, bulletin_id: uuid.UUID):
    withdrawn = rpc("withdraw_bulletin", str(bulletin_id), actor(staff_self(principal)))
    flash(f"Withdrew “{withdrawn['title']}”: it is no longer on the Hub.", "success")
    return redirect(url_for("bulletins.staff_bulletins"))
