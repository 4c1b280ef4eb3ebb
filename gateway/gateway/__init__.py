"""The gateway: public Hub pages, the Portal, staff pages and the JSON API, all over RPC."""
from __future__ import annotations

import logging

from flask import Flask, request
from flask_wtf.csrf import CSRFProtect

from common import config as hub_config
from common.clock import hub_timezone
from common.secrets import DEV_DEFAULTS, secret

csrf = CSRFProtect()
log = logging.getLogger(__name__)

DEV_SECRET_KEY = DEV_DEFAULTS["HUB_SECRET_KEY"]


def create_app(test_config: dict | None = None) -> Flask:
    hub_timezone()  # a wrong HUB_TIMEZONE stops the start here, with its name, not on the first page
    app = Flask(__name__)
    app.config.update(
        HUB_VERSION="0.1.0",
        AMQP_URI=hub_config.amqp_uri(),
        SECRET_KEY=hub_config.setting("HUB_SECRET_KEY"),
        RPC_TIMEOUT=float(hub_config.setting("HUB_RPC_TIMEOUT", "10")),
        RPC_POOL_SIZE=int(hub_config.setting("HUB_RPC_POOL_SIZE", "8")),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=hub_config.setting("HUB_COOKIE_SECURE", "0") == "1",
        PERMANENT_SESSION_LIFETIME=12 * 3600,
        # Set the cookie only when the session changed. Refreshing it on every response let a
        # preview or file still loading from the page before overwrite the cookie the next page
        # was given, losing its confirmation ("Rejected: …"). Nothing is lost: accounts ends a
        # session 12 hours after login whatever the cookie says, so a sliding cookie bought nothing.
        SESSION_REFRESH_EACH_REQUEST=False,
        # Uploads set their own, tighter limit (HUB_UPLOAD_MAX_MB a file, gateway.uploads); this is
        # the backstop for every other request: the largest Contact Us request (5 files) and a form.
        MAX_CONTENT_LENGTH=(5 * int(hub_config.setting("HUB_UPLOAD_MAX_MB", "20")) + 1) * 1024 * 1024,
        RATELIMIT_STORAGE_URI=hub_config.setting("HUB_RATELIMIT_STORAGE_URI", "memory://"),
        RATELIMIT_HEADERS_ENABLED=True,
        # per client address; accounts adds its own per-account login throttling
        RATELIMIT_CREATE_ACCOUNT=hub_config.setting("HUB_RATELIMIT_CREATE_ACCOUNT", "10 per hour"),
        RATELIMIT_LOGIN=hub_config.setting("HUB_RATELIMIT_LOGIN", "20 per minute"),
        RATELIMIT_SEARCH=hub_config.setting("HUB_RATELIMIT_SEARCH", "60 per minute"),  # public search
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
    )
    app.config.from_prefixed_env("HUB_FLASK")
    if test_config:
        app.config.update(test_config)
    if not app.config["SECRET_KEY"]:
        # refuses to start without HUB_SECRET_KEY unless development defaults were asked for
        app.config["SECRET_KEY"] = secret("HUB_SECRET_KEY", app.config)
    if app.config["SECRET_KEY"] == DEV_SECRET_KEY:
        log.warning("HUB_SECRET_KEY is not set: using the development key")

    from gateway.rpc import RpcPool
    app.rpc = RpcPool(app.config["AMQP_URI"], size=app.config["RPC_POOL_SIZE"],
                      timeout=app.config["RPC_TIMEOUT"])

    from gateway import observe
    observe.init_app(app)  # first, so the correlation id is there for everything after it

    from gateway.limits import limiter
    limiter.init_app(app)
    csrf.init_app(app)

    from gateway.api import api
    from gateway.errors import register_error_handlers
    from gateway.health import health
    from gateway.pages.bulletins import bulletins
    from gateway.pages.contact import contact
    from gateway.pages.hub import hub
    from gateway.pages.portal import portal
    from gateway.pages.reps import reps
    from gateway.pages.staff import staff
    from gateway.pages.training import training
    from gateway.pages.verify import reports

    # The API authenticates with bearer tokens only, never the cookie, so there is no ambient
    # credential for a cross-site request to ride on: CSRF tokens are for the forms.
    csrf.exempt(api)
    app.register_blueprint(api)
    app.register_blueprint(health)
    app.register_blueprint(hub)
    app.register_blueprint(portal)
    app.register_blueprint(staff)
    app.register_blueprint(contact)
    app.register_blueprint(training)
    app.register_blueprint(reports)
    app.register_blueprint(bulletins)
    from gateway.pages.employers import employers
    app.register_blueprint(employers)
    app.register_blueprint(__import__("gateway.pages.casework", fromlist=["casework"]).casework)
    app.register_blueprint(reps)
    app.register_blueprint(__import__("gateway.pages.imports", fromlist=["imports"]).imports)
    app.register_blueprint(__import__("gateway.pages.proofs", fromlist=["proofs"]).proofs)
    register_error_handlers(app)

    @app.context_processor
    def layout_context():
        from gateway.auth import acting_person, layout_principal
        return {"principal": layout_principal, "acting_person": acting_person,
                # seed 000, option 3: documents may also be e-mailed to this mailbox
                "documents_mailbox": hub_config.setting("HUB_DOCUMENTS_MAILBOX", "documents@csatf.org").split(",")[0]}

    @app.after_request
    def security_headers(response):
        # Pages and API answers carry personal data: no browser or proxy may keep a copy.
        # Only the versioned static files (CSS, icons) may be cached.
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"
            response.headers.setdefault("Pragma", "no-cache")
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'")
        return response

    return app
