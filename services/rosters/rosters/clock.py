"""Kept for existing imports: the clock lives in common.clock (HUB_TIMEZONE)."""
from common.clock import now, today  # noqa: F401
