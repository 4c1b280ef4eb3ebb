"""Rate limits (Flask-Limiter). In memory by default; set HUB_RATELIMIT_STORAGE_URI
(e.g. redis://localhost:6379) when more than one gateway runs, so they share the counts."""
from __future__ import annotations

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address, default_limits=[])
