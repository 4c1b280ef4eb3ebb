"""Reference data shipped as YAML (document types, courses, hotlines and resources): parsed,
validated with a pydantic model, and refused with the file, the field and the line of each
problem, so an operator editing a file sees exactly what to fix. One way for every service."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError


def line_of(root: yaml.Node | None, loc: Sequence) -> int | None:
    """The line of the deepest node of `loc` that is in the text (a mapping's key line)."""
    node, line = root, None
    for part in loc:
        mark = None
        if isinstance(node, yaml.MappingNode):
            pair = next(((key, value) for key, value in node.value
                         if isinstance(key, yaml.ScalarNode) and key.value == str(part)), None)
            found, mark = (pair[1], pair[0].start_mark) if pair else (None, None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            found = node.value[part]
        else:
            found = None
        if found is None:
            break
        node, line = found, (mark or found.start_mark).line + 1
    return line if line is not None else (root.start_mark.line + 1 if root is not None else None)


def where(root, source: str, loc: Sequence, message: str) -> str:
    """'courses.yml: courses.3.quiz: message (line 42)'."""
    loc = [part for part in loc if part != "function-after"]  # pydantic's name for a validator step
    line = line_of(root, loc)
    place = ".".join(str(part) for part in loc) or "file"
    return f"{source}: {place}: {message}" + (f" (line {line})" if line else "")


def parse_validated(text: str, model: type[BaseModel], source: str, error: type[Exception],
                    expected: str) -> tuple[BaseModel, yaml.Node | None]:
    """(the file as `model`, its YAML node tree for line numbers); `error` with every problem
    otherwise. `expected` names the top-level keys, for a file that is not a mapping."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise error(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise error(f"{source}: expected a mapping with {expected}")
    try:
        return model.model_validate(data), root
    except ValidationError as exc:
        raise error([where(root, source, err.get("loc", ()), err["msg"]) for err in exc.errors()]) from None


def read_data_file(path: Path, error: type[Exception]) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise error(f"{path.name}: cannot be read: {exc}") from None
