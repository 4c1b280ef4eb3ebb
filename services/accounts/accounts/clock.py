"""Kept for existing imports: the clock lives in common.clock."""
from common.clock import now  # noqa: F401
