"""A run's outputs as a table: shape, statistics and, for classifiers, the top classes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from npukit.report.tables import Column, Table

COLUMNS = [
    Column("output", "output"),
    Column("shape", "shape"),
    Column("dtype", "dtype"),
    Column("min", "min", True),
    Column("max", "max", True),
    Column("mean", "mean", True),
    Column("top", "top-5 (sample 0)"),
]


def output_row(name: str, value: np.ndarray) -> dict[str, Any]:
    row: dict[str, Any] = {
        "output": name,
        "shape": "×".join(map(str, value.shape)),
        "dtype": str(value.dtype),
        "min": float(value.min()) if value.size else None,
        "max": float(value.max()) if value.size else None,
        "mean": float(value.mean()) if value.size else None,
        "top": "",
    }
    if value.ndim == 2 and value.shape[1] > 1:  # a classifier: class indices with the highest scores
        top = np.argsort(value[0])[::-1][:5]
        row["top"] = ", ".join(str(int(i)) for i in top)
    return row


def run_table(model: str, results: Mapping[str, np.ndarray], seconds: float) -> tuple[Table, dict[str, Any]]:
    rows = [output_row(name, value) for name, value in results.items()]
    note = f"{model}: ran in {seconds * 1000:.1f} ms in npukit's NumPy reference runtime (float32)."
    data = {"model": model, "seconds": seconds, "outputs": rows}
    return Table(f"{model}: outputs", COLUMNS, rows, (), [note]), data
