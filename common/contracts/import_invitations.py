"""Claim invitations sent later, in bulk, to imported people (issue 11, journey 2): the shapes the
gateway and the accounts service share (accounts.import_invitations)."""
from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class InviteImportedIn(BaseModel):
    """Which imported people to invite: those of one import, or (no `import_id`) everyone imported."""
    model_config = ConfigDict(extra="forbid")
    import_id: uuid.UUID | None = None


class InviteImportedOut(BaseModel):
    """A press of "Send invitations": the drive sending them in the background (`id` null when
    nobody was waiting, so none was started). `invited`: people the drive has invited so far;
    `remaining`: those it still has to invite. `started_now` is false when a drive was already under
    way: that one is answered, and nothing new is started."""
    id: uuid.UUID | None = None
    status: str   # queued | running | done | failed
    invited: int
    remaining: int
    started_now: bool = False


class InvitationDriveOut(BaseModel):
    """A drive: invitations going out in the background, a batch at a time, to everyone imported
    who was waiting for one when it was requested (`total_at_start`)."""
    id: uuid.UUID
    status: str   # queued | running | done | failed
    invited: int
    total_at_start: int
    requested_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None


class ImportedInvitationStatus(BaseModel):
    """`pending`: imported people who could be invited now (an e-mail that works, no account, never
    invited); `invited`: people invited so far by an import or by these bulk invitations; `drive`:
    the drive under way, or else the last one (null before the first)."""
    pending: int
    invited: int
    drive: InvitationDriveOut | None = None
