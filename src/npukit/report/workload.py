"""The per-layer analysis and the model list as tables."""

from __future__ import annotations

from typing import Any

from npukit.analysis import LayerReport, ModelReport
from npukit.report.tables import Column, Table


def shapes_text(shapes: tuple[tuple[int, ...], ...]) -> str:
    return ", ".join("×".join(map(str, s)) for s in shapes)


def layer_row(x: LayerReport, detailed: bool) -> dict[str, Any]:
    row: dict[str, Any] = {
        "name": x.name + ("" if x.in_survey else " †"),
        "op": x.op + ("" if x.modeled else " (not modeled)"),
        "input_shape": shapes_text(x.input_shapes),
        "output_shape": shapes_text(x.output_shapes),
        "loopnest": x.loopnest.describe() if x.loopnest else "",
        "weights": x.weights,
        "params": x.params,
        "macs": x.macs if x.modeled else None,
        "other_ops": x.other_ops if x.modeled else None,
        "activations_in": x.activations_in,
        "activations_out": x.activations_out,
        "bytes": x.bytes,
        "intensity": round(x.intensity, 2) if x.macs else None,
    }
    if detailed and x.loopnest:
        n = x.loopnest
        row.update({d: getattr(n, d) for d in ("N", "M", "C", "H", "W", "R", "S", "E", "F", "U", "G")})
    return row


LAYER_COLUMNS = [
    Column("name", "layer"),
    Column("op", "op"),
    Column("input_shape", "input"),
    Column("output_shape", "output"),
    Column("loopnest", "loop nest"),
    Column("weights", "weights", True),
    Column("params", "params", True),
    Column("macs", "MACs", True),
    Column("other_ops", "other ops", True),
    Column("activations_in", "act in", True),
    Column("activations_out", "act out", True),
    Column("bytes", "bytes", True),
    Column("intensity", "MACs/B", True),
]
NEST_COLUMNS = [Column(d, d, True) for d in ("N", "M", "C", "H", "W", "R", "S", "E", "F", "U", "G")]


def workload_table(report: ModelReport, detailed: bool = False) -> Table:
    """`detailed` puts each LoopNest parameter in its own column (CSV) instead of one text cell."""
    columns = [c for c in LAYER_COLUMNS if not (detailed and c.key == "loopnest")]
    if detailed:
        columns[4:4] = NEST_COLUMNS
    totals = report.totals()
    conv, fc = totals["conv"], totals["fc"]
    footer = [
        {"name": "total", **{k: totals[k] for k in ("weights", "params", "macs", "other_ops", "bytes")}},
        {"name": f"CONV: {plural(conv['layers'], 'layer')}", "weights": conv["weights"], "macs": conv["macs"]},
        {"name": f"FC: {plural(fc['layers'], 'layer')}", "weights": fc["weights"], "macs": fc["macs"]},
    ]
    notes = [
        f"{report.model}, batch {report.batch}, {report.bits}-bit words: {human(totals['weights'])} weights, "
        f"{human(totals['params'])} params, {human(totals['macs'])} MACs. Weights are filter coefficients "
        "(the survey's count); params add biases and batch-norm scale and shift (PyTorch's count)."
    ]
    if any(not x.in_survey for x in report.layers):
        notes.append("† outside the survey's count (the survey's table leaves this layer out).")
    if report.not_modeled:
        notes.append("Not modeled (no counts claimed): " + ", ".join(report.not_modeled))
    title = f"{report.model}: per-layer workload"
    return Table(title, columns, [layer_row(x, detailed) for x in report.layers], footer, notes)


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def human(n: float) -> str:
    """3857973248 → '3.86G' (three significant digits)."""
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:.3g}{unit}"
    return f"{n:g}"


MODEL_COLUMNS = [
    Column("name", "model"),
    Column("input", "input"),
    Column("conv_layers", "CONV", True),
    Column("fc_layers", "FC", True),
    Column("weights", "weights", True),
    Column("params", "params", True),
    Column("macs", "MACs", True),
    Column("description", "description"),
]


def model_row(name: str, description: str, report: ModelReport) -> dict[str, Any]:
    return {
        "name": name,
        "input": "×".join(map(str, report.input_shape[1:])),
        "conv_layers": report.split("CONV").layers,
        "fc_layers": report.split("FC").layers,
        "weights": report.total("weights"),
        "params": report.total("params"),
        "macs": report.total("macs"),
        "description": description,
    }
