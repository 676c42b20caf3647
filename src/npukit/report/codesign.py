"""Co-design points as a table and an accuracy-versus-energy plot (`npukit codesign`)."""

from __future__ import annotations

from pathlib import Path

from npukit.hw.codesign import CodesignPoint, pareto
from npukit.report.plots import pyplot, save_figure
from npukit.report.tables import Column, Table


def codesign_table(points: list[CodesignPoint], title: str, note: str) -> Table:
    front = {id(p) for p in pareto(points)}
    columns = [Column("precision", "precision"), Column("sparsity", "weight sparsity", True),
               Column("accuracy", "accuracy", True), Column("energy_uj", "energy / inference µJ", True),
               Column("latency_ms", "latency ms", True), Column("dram_kb", "DRAM KB", True),
               Column("pareto", "Pareto")]
    rows = [{"precision": p.precision, "sparsity": p.sparsity, "accuracy": f"{p.accuracy:.2%}",
             "energy_uj": p.energy_per_inference_pj / 1e6, "latency_ms": p.cost.latency_s * 1e3,
             "dram_kb": sum(x.dram_bytes for x in p.cost.layers) / 1024, "pareto": "yes" if id(p) in front else ""}
            for p in points]
    return Table(title, columns, rows, notes=[note, "Energy at batch 1, words as wide as the precision's "
                                              "activations, zeros gated/skipped and coded as the architecture says."])


def codesign_plot(points: list[CodesignPoint], path: str | Path, title: str) -> None:
    """Accuracy against energy per inference, one point per configuration, the Pareto front joined."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for p in points:
        ax.scatter(p.energy_per_inference_pj / 1e6, p.accuracy * 100, color="tab:blue")
        ax.annotate(f"{p.precision}, {p.sparsity:.0%} pruned", (p.energy_per_inference_pj / 1e6, p.accuracy * 100),
                    fontsize="small", xytext=(4, 4), textcoords="offset points")
    front = sorted(pareto(points), key=lambda p: p.energy_per_inference_pj)
    ax.plot([p.energy_per_inference_pj / 1e6 for p in front], [p.accuracy * 100 for p in front], color="tab:red",
            label="Pareto front")
    ax.set_xlabel("energy per inference (µJ)")
    ax.set_ylabel("held-out accuracy (%)")
    ax.set_title(title)
    ax.legend(loc="lower right")
    fig.tight_layout()
    save_figure(fig, path)
