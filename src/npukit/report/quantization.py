"""The table `npukit quantize` prints: every quantized activation with its integer type, scale and zero point."""

from __future__ import annotations

from typing import Any

from npukit.ir import Graph
from npukit.report.tables import Column, Table

COLUMNS = [Column("tensor", "float tensor"), Column("integer", "integer tensor"), Column("dtype", "type"),
           Column("scale", "scale", numeric=True), Column("zero_point", "zero point", numeric=True)]


def quantization_table(graph: Graph, path: str | None = None) -> tuple[Table, dict[str, Any]]:
    """(table, data) of a graph made by `quantize`: options, calibration data and per-tensor parameters."""
    meta = dict(graph.metadata.get("quantization", {}))
    tensors = meta.pop("tensors", {})
    rows = [{"tensor": name, "integer": t["tensor"], "dtype": t["dtype"], "scale": f"{t['scale']:.6g}",
             "zero_point": t["zero_point"]} for name, t in tensors.items()]
    options = ", ".join(f"{k}={v}" for k, v in meta.items())
    notes = [f"options: {options}", f"calibrated on {graph.metadata.get('calibration', 'the given inputs')}",
             f"weights: symmetric per output channel, int{meta.get('weight_bits')}; biases int32"]
    if path:
        notes.append(f"wrote {path} (ONNX opset 21, {len(graph.nodes)} nodes)")
    data = {"model": graph.name, "options": meta, "calibration": graph.metadata.get("calibration"),
            "nodes": len(graph.nodes), "output": path, "tensors": tensors}
    return Table(f"{graph.name}: quantized activations", COLUMNS, rows, notes=notes), data
