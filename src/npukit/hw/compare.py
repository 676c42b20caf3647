"""Dataflows compared at equal area, after the framework of Chen, Emer and Sze (ISCA 2016, Sec. VI).

The baseline is the row-stationary chip given (e.g. `eyeriss-256`: 256 PEs, a 512 B RF in each,
a 128 KB global buffer). Every dataflow keeps the PE count and the total storage area, #PE ×
area(RF) + area(global buffer), and spends it as it needs: weight, output and input stationary
keep one word per PE (the one weight, psum or input that stays; the survey's Fig. 11), no local
reuse keeps none, and the area they free goes to the global buffer. Areas come from npukit's
table (tables.py). Energy per MAC is then split by level as the paper's bars are: ALU (the MACs),
RF (storage inside the PEs), array (inter-PE networks, where the architecture has them), buffer
and DRAM, for CONV and FC layers separately.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from npukit.analysis.workload import ModelReport
from npukit.errors import NpukitError
from npukit.hw import tables
from npukit.hw.arch import Architecture
from npukit.hw.dataflows import load_dataflow, roles
from npukit.hw.network import NetworkCost, map_network

COMPARED = ("weight-stationary", "output-stationary", "no-local-reuse", "row-stationary")
RF_WORDS = {"weight-stationary": 1, "output-stationary": 1, "input-stationary": 1, "no-local-reuse": 0}
CATEGORIES = ("ALU", "RF", "array", "buffer", "DRAM")


def storage_levels(arch: Architecture) -> tuple[int, int]:
    """(global buffer index, RF index) of a DRAM → buffer → per-PE RF architecture."""
    role = roles(arch)
    buffers = [i for i in role["buffer"] if arch.levels[i].kind != "network"]
    if len(buffers) != 1 or len(role["pe"]) != 1 or arch.levels[buffers[0]].size_words is None:
        raise NpukitError(f"compare-dataflows needs DRAM, one sized global buffer and one RF level per PE "
                          f"(like eyeriss-256); {arch.name} has {' → '.join(arch.names)}")
    return buffers[0], role["pe"][0]


def equal_area_arch(arch: Architecture, dataflow: str) -> Architecture:
    """`arch` with its RF and global buffer resized for `dataflow` at the same storage area."""
    if dataflow not in RF_WORDS:
        return arch
    glb, rf = storage_levels(arch)
    g, r, n_pe = arch.levels[glb], arch.levels[rf], arch.levels[rf].instances
    area = n_pe * tables.storage_area_um2(r.kind, r.size_words, r.word_bits)
    words = RF_WORDS[dataflow]
    area -= n_pe * tables.storage_area_um2(r.kind, words, r.word_bits) if words else 0.0
    extra = int(area // (tables.SRAM_UM2_PER_BIT * g.word_bits))
    data = arch.model_dump()
    data["name"], data["levels"] = f"{arch.name}-{dataflow}", list(data["levels"])
    data["levels"][glb]["size_words"] = g.size_words + extra
    if words:
        data["levels"][rf]["size_words"] = words
    else:
        del data["levels"][rf]
    return Architecture.model_validate(data)


@dataclass(frozen=True)
class DataflowResult:
    name: str
    arch: Architecture
    cost: NetworkCost

    def by_kind(self, kind: str) -> dict[str, Any]:
        """Energy per MAC over the layers of `kind` (CONV or FC), total and by category."""
        layers = [x for x in self.cost.layers if x.kind == kind]
        macs = sum(x.macs for x in layers)
        if not macs:
            return {"energy_per_mac": None, "by_level": {}}
        sums = dict.fromkeys(CATEGORIES, 0.0)
        for x in layers:
            for level, pj in x.energy_by_level_pj.items():
                sums[category(self.arch, level)] += pj
        return {"energy_per_mac": sum(sums.values()) / macs, "by_level": {k: v / macs for k, v in sums.items()},
                "layers": len(layers), "macs": macs}


def category(arch: Architecture, level: str) -> str:
    if level == arch.compute.name:
        return "ALU"
    if level == "array":
        return "array"
    i = arch.names.index(level)
    role = roles(arch)
    if i == 0:
        return "DRAM"
    if arch.levels[i].kind == "network":
        return "array"
    return "RF" if i in role["pe"] else "buffer"


def compare_dataflows(report: ModelReport, arch: Architecture, names: tuple[str, ...] = COMPARED,
                      objective: str = "energy", max_evaluations: int = 10_000, seed: int = 0,
                      workers: int | None = None,
                      progress: Callable[[int, int, str], None] | None = None) -> list[DataflowResult]:
    """Map `report`'s network with each dataflow on its equal-area variant of `arch` (module docstring)."""
    storage_levels(arch)
    out = []
    for k, name in enumerate(names):
        variant = equal_area_arch(arch, name)
        if progress:
            progress(k, len(names), name)
        cost = map_network(report, variant, load_dataflow(name), objective, max_evaluations,  # type: ignore[arg-type]
                           seed, workers)
        out.append(DataflowResult(name, variant, cost))
    return out
