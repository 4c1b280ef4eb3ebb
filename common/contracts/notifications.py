"""Shapes of the notifications service's RPCs (Message Center)."""
from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    category: str
    subject: str
    body: str
    deadline: date | None
    created_at: datetime
    read: bool


class MessagesOut(BaseModel):
    messages: list[MessageOut]
    unread: int
