"""npukit's exact counts beside the survey's table of popular DNNs.

A count agrees with a published figure when they differ by less than one unit of the figure's
last digit (the table both rounds, 60.95M → "61M", and truncates, 60.63k → "60k"). Where npukit
disagrees, a footnote explains the counting difference; networks are never bent to a number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from npukit.analysis.published import FOOTNOTES, PUBLISHED, QUANTITIES, SURVEY_MODELS, TEXT_FIGURES
from npukit.analysis.structure import conv_depth, conv_structure
from npukit.analysis.workload import ModelReport, analyze
from npukit.ir import Graph

SUFFIX = {"": 1, "k": 10**3, "M": 10**6, "G": 10**9}
NUMBER = re.compile(r"^(\d+)(?:\.(\d+))?([kMG]?)$")


@dataclass(frozen=True)
class SurveyRow:
    """One cell of the survey's table: the published text, npukit's value and whether they agree."""

    model: str
    quantity: str
    published: str
    computed: int | str | None  # exact integer, descriptive text, or None (not computable)
    agrees: bool | None  # None when npukit cannot compute the quantity
    note: str = ""

    @property
    def published_value(self) -> float | None:
        return parse_figure(self.published)

    @property
    def relative_difference(self) -> float | None:
        p = self.published_value
        if p is None or not isinstance(self.computed, int) or p == 0:
            return None
        return (self.computed - p) / p

    def as_dict(self) -> dict[str, Any]:
        p = self.published_value
        return {
            "model": self.model,
            "quantity": self.quantity,
            "published": int(p) if p is not None and p == int(p) else p,
            "published_text": self.published,
            "computed": self.computed,
            "relative_difference": self.relative_difference,
            "agrees": self.agrees,
            "note": self.note,
        }


def parse_figure(text: str) -> float | None:
    """'2.3M' → 2300000.0; None for text that is not a single figure."""
    m = NUMBER.match(text)
    if not m:
        return None
    return float(f"{m[1]}.{m[2] or 0}") * SUFFIX[m[3]]


def figure_unit(text: str) -> float:
    """One unit of the figure's last digit: '2.3M' → 100000, '666M' → 1000000."""
    m = NUMBER.match(text)
    assert m, text
    return SUFFIX[m[3]] / 10 ** len(m[2] or "")


def agrees_numeric(published: str, computed: int) -> bool:
    return abs(computed - (parse_figure(published) or 0)) < figure_unit(published)


def agrees_descriptive(published: str, values: set[int]) -> tuple[str, bool]:
    """Compare a '3–256' range or a '1, 3, 7' list with a set; return npukit's text in that style."""
    if "–" in published:
        lo, hi = (int(v) for v in published.split("–"))
        return f"{min(values)}–{max(values)}", (min(values), max(values)) == (lo, hi)
    listed = {int(v) for v in published.split(",")}
    return ", ".join(str(v) for v in sorted(values)), values == listed


def survey_quantities(graph: Graph, report: ModelReport) -> dict[str, int | str | set[int]]:
    conv, fc = report.split("CONV", survey_only=True), report.split("FC", survey_only=True)
    shape = graph.tensors[graph.inputs[0]].shape
    return {
        "input size": f"{shape[-2]}×{shape[-1]}",
        "CONV layers": conv.layers,
        "CONV depth": conv_depth(graph),
        **conv_structure(graph),
        "CONV weights": conv.weights,
        "CONV MACs": conv.macs,
        "FC layers": fc.layers,
        "FC weights": fc.weights,
        "FC MACs": fc.macs,
        "total weights": conv.weights + fc.weights,
        "total MACs": conv.macs + fc.macs,
    }


def compare(model: str, published: dict[str, str], computed: dict[str, Any]) -> list[SurveyRow]:
    rows = []
    for quantity, text in published.items():
        value = computed.get(quantity)
        note = FOOTNOTES.get((model, quantity), "")
        if value is None:
            rows.append(SurveyRow(model, quantity, text, None, None, "needs ImageNet; not computed"))
        elif isinstance(value, set):
            shown, ok = agrees_descriptive(text, value)
            rows.append(SurveyRow(model, quantity, text, shown, ok, note))
        elif isinstance(value, str):
            rows.append(SurveyRow(model, quantity, text, value, value == text, note))
        else:
            rows.append(SurveyRow(model, quantity, text, value, agrees_numeric(text, value), note))
    return rows


def survey_table() -> list[SurveyRow]:
    """Every row of the survey's table, and its text figures, beside npukit's counts."""
    from npukit import zoo

    rows: list[SurveyRow] = []
    columns = [(m, z, PUBLISHED[m]) for m, z in SURVEY_MODELS.items()]
    columns += [(m, z, figures) for m, (z, figures) in TEXT_FIGURES.items()]
    for model, zoo_name, published in columns:
        graph = zoo.get(zoo_name)
        rows += compare(model, published, survey_quantities(graph, analyze(graph)))
    return rows


__all__ = ["QUANTITIES", "SurveyRow", "survey_table"]
