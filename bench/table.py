"""The one table `make bench` prints (issue 12): every figure next to the baseline measured in
the same run, the ratio between them, the goal and whether it is met. The machine is shared and
noisy, so ratios are what count; absolute values are printed for context.

A benchmark module's `figures(context)` returns a list of Figure; `render` prints them as a
Markdown table (the README's bench/RESULTS.md is a copy of the last full run's output)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Figure:
    name: str                       # what was measured, e.g. "public search p95 (20 clients)"
    value: float | None             # the measurement
    unit: str                       # "ms", "records/s", ...
    baseline: float | None = None   # the raw baseline measured in the same run, same unit
    baseline_name: str = ""         # what the baseline is, e.g. "the same SQL on the database"
    goal: str = ""                  # in words, e.g. "≤ 3× raw and < 100 ms"
    met: bool | None = None         # None: no goal, or not measurable here
    note: str = ""                  # why a goal is not met, what would fix it, context
    extra: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.baseline:
            return None
        return self.value / self.baseline


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{text} {unit}".strip()


def render(figures: list[Figure]) -> str:
    lines = ["| figure | value | baseline (same run) | ratio | goal | met |", "|---|---|---|---|---|---|"]
    for f in figures:
        baseline = f"{_number(f.baseline, f.unit)} ({f.baseline_name})" if f.baseline is not None else "—"
        ratio = f"{f.ratio:.2f}×" if f.ratio is not None else "—"
        met = {True: "yes", False: "**no**", None: "—"}[f.met]
        lines.append(f"| {f.name} | {_number(f.value, f.unit)} | {baseline} | {ratio} | {f.goal} | {met} |")
    notes = [f"- {f.name}: {f.note}" for f in figures if f.note]
    return "\n".join(lines + ([""] + notes if notes else []))
