"""An accelerator evaluation as tables: per level and tensor, and beside Timeloop's figures."""

from __future__ import annotations

from typing import Any

from npukit.hw.model import Evaluation
from npukit.report.tables import Column, Table

COUNTS = ("reads", "fills", "updates")

LEVEL_COLUMNS = [
    Column("level", "level"), Column("tensor", "tensor"), Column("instances", "instances", True),
    Column("capacity", "tile (words)", True), Column("reads", "reads", True), Column("fills", "fills", True),
    Column("updates", "updates", True), Column("energy_pj", "energy pJ", True),
    Column("energy_per_mac_pj", "pJ/MAC", True),
]


def level_rows(ev: Evaluation) -> list[dict[str, Any]]:
    rows = []
    for level, tensors in ev.levels.items():
        for tensor, st in tensors.items():
            rows.append({"level": level, "tensor": tensor, "instances": st.instances, "capacity": st.capacity,
                         "reads": st.reads, "fills": st.fills, "updates": st.updates,
                         "energy_pj": st.energy_pj, "energy_per_mac_pj": st.energy_pj / ev.computes})
        leak = ev.summaries[level].leak_pj
        if leak:
            rows.append({"level": level, "tensor": "(leakage)", "energy_pj": leak,
                         "energy_per_mac_pj": leak / ev.computes})
    rows.append({"level": ev.arch.compute.name, "tensor": "(MACs)", "instances": ev.utilized_macs,
                 "energy_pj": ev.mac_energy_pj, "energy_per_mac_pj": ev.mac_energy_pj / ev.computes})
    return rows


def summary_notes(ev: Evaluation) -> list[str]:
    bound = "compute-bound" if ev.bound_by == "compute" else f"bandwidth-bound by {ev.bound_by}"
    return [f"{ev.computes:,} MACs in {ev.cycles:,} cycles ({bound}), utilization {ev.utilization:.2%}; "
            f"energy {ev.energy_pj / 1e6:,.2f} µJ = {ev.energy_per_mac_pj:.3f} pJ/MAC; "
            f"latency {ev.latency_s * 1e3:.3f} ms at {ev.arch.clock_hz / 1e6:g} MHz, "
            f"{ev.macs_per_s / 1e9:.2f} GMAC/s, {ev.power_w * 1e3:.1f} mW. "
            "Counts are per instance; energy covers all utilized instances."]


def evaluation_table(ev: Evaluation, title: str) -> Table:
    return Table(title, LEVEL_COLUMNS, level_rows(ev), notes=summary_notes(ev))


COMPARE_COLUMNS = [
    Column("level", "level"), Column("tensor", "tensor"), Column("metric", "metric"),
    Column("npukit", "npukit", True), Column("timeloop", "Timeloop", True), Column("difference", "difference"),
]


def difference(mine: float, theirs: float, exact: bool) -> str:
    if exact:
        return "equal" if mine == theirs else f"{mine - theirs:+,}"
    return f"{(mine - theirs) / theirs:+.3%}" if theirs else ("equal" if mine == 0 else "—")


def comparison_rows(ev: Evaluation, ref: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        {"level": "", "tensor": "", "metric": "computes", "npukit": ev.computes, "timeloop": ref["computes"],
         "difference": difference(ev.computes, ref["computes"], True)},
        {"level": "", "tensor": "", "metric": "cycles", "npukit": ev.cycles, "timeloop": ref["cycles"],
         "difference": difference(ev.cycles, ref["cycles"], True)}]
    for level, tensors in ref["levels"].items():
        mine = ev.levels.get(level, {})
        for tensor, want in tensors.items():
            if not isinstance(want, dict):
                continue
            got = mine.get(tensor)
            for metric in ("instances", *COUNTS):
                value = getattr(got, metric) if got else None
                rows.append({"level": level, "tensor": tensor, "metric": metric, "npukit": value,
                             "timeloop": want[metric],
                             "difference": "missing" if got is None else difference(value, want[metric], True)})
        energy = ev.summaries[level].energy_pj if level in ev.summaries else None
        rows.append({"level": level, "tensor": "", "metric": "energy pJ", "npukit": energy,
                     "timeloop": want_energy(tensors),
                     "difference": "missing" if energy is None else difference(energy, want_energy(tensors), False)})
    return rows


def want_energy(tensors: dict[str, Any]) -> float:
    return float(tensors.get("energy_pj", 0.0))


def comparison_table(ev: Evaluation, ref: dict[str, Any], title: str) -> Table:
    rows = comparison_rows(ev, ref)
    unequal = sum(1 for r in rows if r["metric"] != "energy pJ" and r["difference"] != "equal")
    verdict = ("every count equals Timeloop's" if not unequal else f"{unequal} counts differ from Timeloop's")
    return Table(title, COMPARE_COLUMNS, rows, notes=[verdict + "; energy per level is compared in %.",
                                                      *summary_notes(ev)])
