"""Shapes of every service's RPCs and of the HTTP API built on them: pydantic only, one module
per service (like common/events/). Services and the gateway both import them from here, so the
gateway never imports a service package (tests/contracts/test_static_checks.py keeps it so)."""
