"""Checks on free text that people type, shared by every contract: a name that displays as
something it is not (a right-to-left override, a NUL, zero-width spaces) is refused."""
from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import BeforeValidator

# Zero-width (non-)joiners are part of spelling in Persian and Indic names; every other control
# or format character (NUL, escapes, bidi overrides such as U+202E, soft hyphens, zero-width
# spaces) can make a name display as something it is not, so it is refused.
JOINERS = {"\u200c", "\u200d"}


def hidden(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Cf", "Co", "Cs", "Cn") and char not in JOINERS


def plain_text(value, what: str = "This text"):
    if isinstance(value, str) and any(hidden(char) for char in value):
        raise ValueError(f"{what} contains control or invisible formatting characters; "
                         "please type it again using letters, spaces and punctuation.")
    return value


def visible_name(value):
    plain_text(value, "This name")
    if isinstance(value, str) and value and not any(
            not char.isspace() and char not in JOINERS for char in value):
        raise ValueError("Enter a name with at least one visible letter.")
    return value


# A field of free text refused if it hides control or invisible characters (plain_text), e.g.
# `reason: PlainText | None = Field(None, max_length=500)`.
PlainText = Annotated[str, BeforeValidator(plain_text)]

