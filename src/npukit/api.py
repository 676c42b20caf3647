"""The Python twins of the CLI commands: same work, results as data."""

from __future__ import annotations

from typing import Any

from npukit.analysis import ModelReport, SurveyRow
from npukit.ir import Graph


def load(model: str | Graph, batch: int = 1) -> Graph:
    """A zoo model by name (or a Graph, returned as it is)."""
    if isinstance(model, Graph):
        return model
    from npukit import zoo

    return zoo.get(model, batch=batch)


def analyze(model: str | Graph, bits: int = 8, batch: int = 1) -> ModelReport:
    """Per-layer counts of a zoo model or Graph (twin of `npukit analyze`)."""
    from npukit.analysis import analyze as count

    return count(load(model, batch), bits=bits)


def survey() -> list[SurveyRow]:
    """The survey's table beside npukit's counts (twin of `npukit survey`)."""
    from npukit.analysis import survey_table

    return survey_table()


def models() -> list[dict[str, Any]]:
    """Every zoo model with its input size and totals at batch 1 (twin of `npukit models`)."""
    return model_table()[1]


def model_table() -> tuple[Any, list[dict[str, Any]]]:
    from npukit import zoo
    from npukit.report.tables import Table
    from npukit.report.workload import MODEL_COLUMNS, model_row

    rows = [model_row(m.name, m.description, analyze(m.name)) for m in zoo.MODELS.values()]
    return Table("npukit zoo (batch 1; MACs of CONV and FC layers)", MODEL_COLUMNS, rows), rows
