"""The words of every e-mail and message, from templates/email/<name>.txt and <name>.html.

The plain text is also the Message Center body. HTML is autoescaped: names and reasons come
from people and staff, so they are data, never markup.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).parent / "templates"


def long_date(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


# Built from the package's own files only: nothing configured, nothing that changes while running.
_environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                           undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_environment.filters.update(long_date=long_date, plural=plural)


@dataclass(frozen=True)
class Rendered:
    text: str
    html: str


def render(name: str, **context) -> Rendered:
    text = _environment.get_template(f"email/{name}.txt").render(**context)
    html = _environment.get_template(f"email/{name}.html").render(**context)
    # block tags leave blank lines behind; a text e-mail wants at most one between paragraphs
    text = re.sub(r"\n{3,}", "\n\n", re.sub(r"[ \t]+\n", "\n", text)).strip()
    return Rendered(text=text, html=html)


def names() -> list[str]:
    """Every message that has its pair of templates (the layouts start with an underscore)."""
    return sorted(path.stem for path in (TEMPLATES / "email").glob("*.txt") if not path.stem.startswith("_"))
