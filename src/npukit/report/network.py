"""A network mapped onto an accelerator as a table: per layer, then the totals (`npukit map`)."""

from __future__ import annotations

from typing import Any

from npukit.hw.mapping import mapping_line
from npukit.hw.network import NetworkCost
from npukit.report.tables import Column, Table


def level_names(cost: NetworkCost) -> list[str]:
    """Levels (and the MACs) that spend energy in some layer, outermost first."""
    spent = {k for x in cost.layers for k, v in x.energy_by_level_pj.items() if v}
    return [n for n in (*cost.arch.names, "array", cost.arch.compute.name) if n in spent]


def network_table(cost: NetworkCost, all_layers: bool = False) -> Table:
    """Per layer: mapping, energy by level (µJ), cycles, utilization, DRAM bytes; totals underneath.
    Layers that cost nothing (in place) are left out unless `all_layers`."""
    levels = level_names(cost)
    columns = [Column("name", "layer"), Column("op", "op"), Column("macs", "MACs", True),
               Column("mapping", "mapping (outermost first)"),
               *(Column(f"uj:{n}", f"{n} µJ", True) for n in levels),
               Column("energy_uj", "energy µJ", True), Column("cycles", "cycles", True),
               Column("utilization", "util.", True), Column("dram_bytes", "DRAM bytes", True)]
    rows = [layer_row(x, levels) for x in cost.layers if all_layers or x.how != "in place"]
    total: dict[str, Any] = {"name": "total", "macs": cost.macs, "energy_uj": cost.energy_pj / 1e6,
                             "cycles": cost.cycles, "dram_bytes": round(sum(x.dram_bytes for x in cost.layers))}
    for n in levels:
        total[f"uj:{n}"] = sum(x.energy_by_level_pj.get(n, 0.0) for x in cost.layers) / 1e6
    title = (f"{cost.model} on {cost.arch.name}, dataflow {cost.dataflow}, best {cost.objective}, "
             f"batch {cost.batch}")
    return Table(title, columns, rows, footer=[total], notes=totals_notes(cost))


def layer_row(x: Any, levels: list[str]) -> dict[str, Any]:
    row = {"name": x.name, "op": x.op, "macs": x.macs or None, "energy_uj": x.energy_pj / 1e6,
           "cycles": x.cycles, "utilization": f"{x.utilization:.0%}" if x.how == "mapped" else None,
           "dram_bytes": round(x.dram_bytes),
           "mapping": mapping_line(x.mapping) if x.mapping else f"({x.how})"}
    row.update({f"uj:{n}": x.energy_by_level_pj[n] / 1e6 for n in levels if x.energy_by_level_pj.get(n)})
    return row


def totals_notes(cost: NetworkCost) -> list[str]:
    t = cost.totals()
    notes = [f"per inference: {t['energy_per_inference_pj'] / 1e6:,.1f} µJ; latency {t['latency_s'] * 1e3:,.3f} ms "
             f"for the batch of {cost.batch} at {cost.arch.clock_hz / 1e6:g} MHz; {t['inferences_per_s']:,.1f} "
             f"inferences/s; {t['power_w'] * 1e3:,.1f} mW; {t['macs_per_j'] / 1e9:,.1f} GMAC/J.",
             f"mapper: {t['evaluated']:,} mappings costed in {t['seconds']:.1f} s "
             f"({t['evaluated'] / max(t['seconds'], 1e-9):,.0f} per second). Layers without MACs are "
             "costed by their data movement (in place, fused into the producer, or streamed through DRAM)."]
    if cost.not_modeled:
        notes.append(f"not modeled (no cost counted): {', '.join(cost.not_modeled)}")
    return notes
