"""The survey's table of popular DNNs, published beside npukit's counts."""

from __future__ import annotations

from typing import Any

from npukit.analysis import SurveyRow
from npukit.report.tables import Column, Table
from npukit.report.workload import human


def computed_text(row: SurveyRow) -> str:
    if row.computed is None:
        return "—"
    if isinstance(row.computed, int) and row.computed >= 1000:
        return f"{human(row.computed)} ({row.computed:,})"
    return str(row.computed)


def survey_wide(rows: list[SurveyRow]) -> Table:
    """Quantities down, networks across, as the survey prints it; each cell 'published / npukit'."""
    models = list(dict.fromkeys(r.model for r in rows))
    notes: list[str] = []
    cells: dict[str, dict[str, Any]] = {}
    for r in rows:
        mark = "" if r.agrees is not False else " ≠"
        if r.note and r.agrees is False:
            notes.append(r.note)
            mark += f" [{len(notes)}]"
        shown = computed_text(r).split(" (")[0]
        cells.setdefault(r.quantity, {"quantity": r.quantity})[r.model] = f"{r.published}\n{shown}{mark}"
    columns = [Column("quantity", "published\nnpukit")] + [Column(m, m, True) for m in models]
    legend = (
        "Top of each cell: the survey (Sze et al., Table 4; ResNet-152 from its text); below: npukit's "
        "exact count, rounded. Agreement means a difference under one unit of the published last "
        "digit; ≠ marks a disagreement, explained below."
    )
    notes = [legend] + [f"[{i}] {n}" for i, n in enumerate(notes, 1)]
    return Table("The survey's popular DNNs, published vs npukit", columns, list(cells.values()), (), notes)


def survey_long(rows: list[SurveyRow]) -> Table:
    """One row per (network, quantity) for CSV and Markdown: exact values and differences."""
    columns = [
        Column("model", "model"),
        Column("quantity", "quantity"),
        Column("published_text", "published"),
        Column("computed", "npukit", True),
        Column("relative_difference", "difference", True),
        Column("agrees", "agrees"),
        Column("note", "note"),
    ]
    data = []
    for r in rows:
        d = r.as_dict()
        diff = d["relative_difference"]
        d["relative_difference"] = None if diff is None else f"{diff:+.2%}"
        data.append(d)
    return Table("The survey's popular DNNs, published vs npukit", columns, data)
