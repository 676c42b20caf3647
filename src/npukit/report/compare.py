"""Dataflows side by side (`npukit compare-dataflows`): energy per MAC by level, CONV and FC apart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from npukit.hw.compare import CATEGORIES, DataflowResult
from npukit.report.plots import pyplot, save_figure
from npukit.report.tables import Column, Table

KINDS = (("CONV", "conv"), ("FC", "fc"))


def compare_data(results: list[DataflowResult]) -> dict[str, Any]:
    """The documented --json: {"dataflows": {name: {"conv": {...}, "fc": {...}}}} plus each variant's storage."""
    out: dict[str, Any] = {}
    for r in results:
        entry: dict[str, Any] = {key: r.by_kind(kind) for kind, key in KINDS}
        entry["architecture"] = {lv.name: lv.size_words for lv in r.arch.levels if lv.size_words}
        entry["energy_pj"], entry["cycles"] = r.cost.energy_pj, r.cost.cycles
        out[r.name] = entry
    return {"dataflows": out}


def compare_table(results: list[DataflowResult], model: str, batch: int, arch: str) -> Table:
    """One row per dataflow and layer kind: energy per MAC, split by level, and the ratio to the best."""
    columns = [Column("dataflow", "dataflow"), Column("kind", "layers"), Column("energy_per_mac", "pJ/MAC", True),
               *(Column(c, c, True) for c in CATEGORIES), Column("vs_best", "× best", True),
               Column("storage", "storage (words)")]
    rows = []
    for kind, _ in KINDS:
        per = {r.name: r.by_kind(kind) for r in results}
        best = min((d["energy_per_mac"] for d in per.values() if d["energy_per_mac"]), default=None)
        for r in results:
            d = per[r.name]
            if d["energy_per_mac"] is None:
                continue
            rows.append({"dataflow": r.name, "kind": kind, "energy_per_mac": d["energy_per_mac"],
                         **d["by_level"], "vs_best": d["energy_per_mac"] / best if best else None,
                         "storage": ", ".join(f"{lv.name} {lv.size_words:,}" for lv in r.arch.levels
                                              if lv.size_words)})
    notes = [f"{model}, batch {batch}: energy per MAC in units of the architecture's energy table (the survey's "
             "normalized costs: 1 = one MAC), each dataflow at equal storage area and PE count (ISCA 2016 framework; "
             "see docs/mapper.md). array = words over the PE array's fan-out."]
    if any(r.arch.compute.operands_through_rf for r in results):
        notes.append("RF includes one read per MAC of its weight and its input wherever the dataflow keeps them "
                     "(the paper's accounting, abcd·EC(RF); no local reuse has no RF to read).")
    return Table(f"dataflows compared on {arch}", columns, rows, notes=notes)


def compare_plot(results: list[DataflowResult], path: str | Path, title: str) -> None:
    """Stacked bars of energy per MAC by level, CONV and FC side by side; written atomically (PNG/SVG/PDF)."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), sharey=False)
    names = [r.name for r in results]
    for ax, (kind, _) in zip(axes, KINDS, strict=True):
        bottom = [0.0] * len(results)
        for cat in CATEGORIES:
            values = [r.by_kind(kind)["by_level"].get(cat, 0.0) for r in results]
            ax.bar(names, values, bottom=bottom, label=cat)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        ax.set_title(f"{kind} layers")
        ax.set_ylabel("energy per MAC (normalized: MAC = 1)")
        ax.tick_params(axis="x", labelrotation=20)
    axes[0].legend(loc="upper left", fontsize="small")
    fig.suptitle(title)
    fig.tight_layout()
    save_figure(fig, path)
