"""Whole networks on an accelerator: map every CONV/FC layer, cost the rest by its data movement.

Layers with a loop nest (CONV, FC, MatMul) are mapped by the mapper; layers with the same loop
nest are mapped once. Every other layer is costed by what it moves, in one of three ways:

- *in place* (Flatten, Reshape, Dropout, Identity, Concat — the producers write straight into the
  concatenated tensor): nothing moves, nothing is computed;
- *fused* (ReLU and other activations, batch norm): applied to the producer's outputs as they
  leave the array, so only its operations cost energy (one MAC's energy each);
- *streamed* (pooling, Add, LRN, Softmax and the rest): inputs are read from DRAM through the
  first buffer that holds activations, outputs written back the same way, operations cost one
  MAC's energy each; cycles are the larger of operations over the MAC count and DRAM words over
  DRAM bandwidth.
A layer npukit cannot count at all is listed as not modeled, never costed as zero.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from collections.abc import Mapping as Lookup
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from math import ceil
from typing import Any

from npukit.analysis.workload import LayerReport, ModelReport
from npukit.hw.arch import Architecture
from npukit.hw.dataflows import Dataflow
from npukit.hw.mapper import Objective, SearchResult, search
from npukit.hw.mapping import Mapping
from npukit.hw.model import Evaluation
from npukit.hw.systolic import systolic_cycles
from npukit.hw.workload import Workload

IN_PLACE = frozenset({"Flatten", "Reshape", "Squeeze", "Unsqueeze", "Identity", "Dropout", "Concat"})
FUSED = frozenset({"Relu", "Clip", "LeakyRelu", "PRelu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish",
                   "BatchNormalization"})


@dataclass(frozen=True)
class LayerCost:
    """One layer's cost on the accelerator; `how`: mapped, streamed, fused, in place or not modeled."""

    name: str
    op: str
    how: str
    macs: int
    energy_pj: float
    cycles: int
    energy_by_level_pj: dict[str, float]
    dram_bytes: float
    utilization: float = 0.0  # of the MACs over the layer's cycles
    kind: str = ""  # CONV, FC or MATMUL for mapped layers
    mapping: Mapping | None = None
    search: SearchResult | None = field(default=None, compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "op": self.op, "kind": self.kind, "how": self.how, "macs": self.macs,
                "energy_pj": self.energy_pj, "cycles": self.cycles, "utilization": self.utilization,
                "dram_bytes": self.dram_bytes, "energy_by_level_pj": self.energy_by_level_pj,
                "mapping": self.mapping.as_dict()["mapping"] if self.mapping else None,
                "evaluated": self.search.evaluated if self.search else 0}


@dataclass(frozen=True)
class NetworkCost:
    """Every layer's cost and the totals for one run of `batch` inferences."""

    model: str
    arch: Architecture
    dataflow: str
    objective: str
    batch: int
    layers: tuple[LayerCost, ...]
    seconds: float = 0.0

    @property
    def energy_pj(self) -> float:
        return sum(x.energy_pj for x in self.layers)

    @property
    def cycles(self) -> int:
        return sum(x.cycles for x in self.layers)

    @property
    def macs(self) -> int:
        return sum(x.macs for x in self.layers)

    @property
    def latency_s(self) -> float:
        return self.cycles / self.arch.clock_hz

    @property
    def inferences_per_s(self) -> float:
        return self.batch / self.latency_s if self.cycles else 0.0

    @property
    def power_w(self) -> float:
        return self.energy_pj * 1e-12 / self.latency_s if self.cycles else 0.0

    @property
    def macs_per_j(self) -> float:
        return self.macs / (self.energy_pj * 1e-12) if self.energy_pj else 0.0

    @property
    def not_modeled(self) -> list[str]:
        return [f"{x.name} ({x.op})" for x in self.layers if x.how == "not modeled"]

    def totals(self) -> dict[str, Any]:
        return {"energy_pj": self.energy_pj, "energy_per_inference_pj": self.energy_pj / self.batch,
                "cycles": self.cycles, "latency_s": self.latency_s, "inferences_per_s": self.inferences_per_s,
                "power_w": self.power_w, "macs": self.macs, "macs_per_j": self.macs_per_j,
                "evaluated": sum(x.search.evaluated for x in self.layers if x.search),
                "seconds": round(self.seconds, 3), "not_modeled": self.not_modeled}

    def as_dict(self) -> dict[str, Any]:
        return {"model": self.model, "arch": self.arch.name, "dataflow": self.dataflow, "objective": self.objective,
                "batch": self.batch, "totals": self.totals(), "layers": [x.as_dict() for x in self.layers]}


def workload_key(w: Workload) -> tuple[Any, ...]:
    return tuple(sorted(w.bounds.items())), w.stride, w.dilation, w.densities


def with_densities(w: Workload, given: Lookup[str, float] | None, bits: Lookup[str, int] | None = None,
                   psum_bits: int | None = None) -> Workload:
    """`w` with the given densities (each kept above 0: an all-zero tensor still moves its words) and bits."""
    return dataclasses.replace(w, densities=tuple((t, min(1.0, max(d, 1e-6))) for t, d in (given or {}).items()),
                               bits=tuple((bits or {}).items()), psum_bits=psum_bits)


def map_layers(workloads: dict[tuple[Any, ...], Workload], arch: Architecture, dataflow: Dataflow | None,
               objective: Objective, max_evaluations: int, seed: int, workers: int,
               progress: Callable[[int, int, str], None] | None) -> dict[tuple[Any, ...], SearchResult]:
    """Search each distinct workload once, in `workers` processes."""
    args = [(w, arch, dataflow, objective, max_evaluations, None, seed) for w in workloads.values()]
    out: dict[tuple[Any, ...], SearchResult] = {}
    if workers <= 1 or len(args) <= 1:
        for key, a in zip(workloads, args, strict=True):
            out[key] = search(*a)
            if progress:
                progress(len(out), len(args), workloads[key].name)
        return out
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {key: pool.submit(search, *a) for key, a in zip(workloads, args, strict=True)}
        for key, fut in futures.items():
            out[key] = fut.result()
            if progress:
                progress(len(out), len(args), workloads[key].name)
    return out


def map_network(report: ModelReport, arch: Architecture, dataflow: Dataflow | None = None,
                objective: Objective = "energy", max_evaluations: int = 10_000, seed: int = 0,
                workers: int | None = None, progress: Callable[[int, int, str], None] | None = None,
                densities: Lookup[str, Lookup[str, float]] | None = None,
                tensor_bits: Lookup[str, int] | None = None, psum_bits: int | None = None) -> NetworkCost:
    """Cost every layer of `report` (from `npukit.analyze`) on `arch`; see the module docstring.

    Each distinct CONV/FC loop nest is searched once (`max_evaluations` mappings at most, seeded by
    `seed`), in `workers` processes (default: the CPU count, at most 4); `progress(done, total,
    layer)` is called as each finishes. `densities`: per layer, the fraction of nonzero Weights,
    Inputs or Outputs (e.g. measured after pruning and ReLU), for zero gating or skipping and
    run-length-coded DRAM (`npukit.hw.sparsity`). `tensor_bits`: bits per value of Weights, Inputs
    and Outputs (e.g. 4-bit weights beside 8-bit activations), where they differ from the words;
    `psum_bits`: bits of a partial sum (32 for an int8 NPU's int32 accumulators), which Outputs
    have until their final write to DRAM.
    """
    import time

    start = time.perf_counter()
    nests = {x.name: with_densities(Workload.from_loopnest(x.loopnest, x.name), (densities or {}).get(x.name),
                                    tensor_bits, psum_bits) for x in report.layers if x.loopnest}
    distinct: dict[tuple[Any, ...], Workload] = {}
    for w in nests.values():
        distinct.setdefault(workload_key(w), w)
    workers = workers if workers is not None else min(os.cpu_count() or 1, 4)
    found = map_layers(distinct, arch, dataflow, objective, max_evaluations, seed, workers, progress)
    layers = [mapped_cost(x, found[workload_key(nests[x.name])], arch, dataflow) if x.name in nests
              else other_cost(x, arch) for x in report.layers]
    return NetworkCost(report.model, arch, dataflow.name if dataflow else "any", objective, report.batch,
                       tuple(layers), time.perf_counter() - start)


def mapped_cost(layer: LayerReport, result: SearchResult, arch: Architecture,
                dataflow: Dataflow | None = None) -> LayerCost:
    """A mapped layer's cost. On a systolic array under a systolic dataflow the array runs SCALE-Sim's
    schedule (folds of the operand matrices, partial folds included, each filling and draining the
    array: `npukit.hw.systolic`), so its cycles are those, stretched by the mapping's bandwidth
    slowdown (model cycles over compute cycles); energy is the mapping's."""
    ev = result.evaluation
    cycles = array_cycles(ev, dataflow.systolic if dataflow else None) or ev.cycles
    by_level = {name: s.energy_pj for name, s in ev.summaries.items() if s.energy_pj}
    if ev.network_pj:
        by_level["array"] = ev.network_pj
    by_level[arch.compute.name] = ev.mac_energy_pj
    dram, word = ev.levels[arch.levels[0].name], arch.levels[0].word_bits
    dram_bits = sum(ev.workload.outermost_bits(n, word, t.reads + t.fills + t.updates, t.partition)
                    for n, t in dram.items())
    return LayerCost(layer.name, layer.op, "mapped", layer.macs, ev.energy_pj, cycles, by_level,
                     dram_bits / 8, ev.computes / (cycles * arch.compute.instances),
                     layer.kind, result.mapping, result)


def array_cycles(ev: Evaluation, systolic: str | None) -> int | None:
    """On a systolic array under a systolic dataflow (`systolic`: its stationary operand, e.g. "ws"):
    SCALE-Sim's schedule, stretched by the mapping's bandwidth slowdown (model cycles over compute
    cycles); else None."""
    compute = ev.arch.compute
    if not (compute.systolic and systolic):
        return None
    stretch = ev.cycles / ev.compute_cycles
    return ceil(systolic_cycles(ev.workload, compute.mesh_y, compute.mesh_x, systolic) * stretch)


def other_cost(layer: LayerReport, arch: Architecture) -> LayerCost:
    """A layer without a loop nest: in place, fused or streamed (module docstring)."""
    if not layer.modeled:
        return LayerCost(layer.name, layer.op, "not modeled", 0, 0.0, 0, {}, 0.0)
    ops_pj = layer.other_ops * arch.mac_pj
    if layer.op in IN_PLACE:
        return LayerCost(layer.name, layer.op, "in place", 0, 0.0, 0, {}, 0.0)
    if layer.op in FUSED:
        return LayerCost(layer.name, layer.op, "fused", 0, ops_pj, 0, {arch.compute.name: ops_pj}, 0.0)
    words_in, words_out = layer.activations_in, layer.activations_out
    dram, (d_read, _, d_update) = arch.levels[0], arch.energies_pj[0]
    by_level = {dram.name: words_in * d_read + words_out * d_update, arch.compute.name: ops_pj}
    buffer = next((i for i in range(1, len(arch.levels)) if "Inputs" in arch.levels[i].keeps
                   and arch.levels[i].kind != "network"), None)
    if buffer is not None:
        read, fill, update = arch.energies_pj[buffer]
        by_level[arch.levels[buffer].name] = words_in * (fill + read) + words_out * (update + read)
    bandwidth = dram.shared_bandwidth or dram.read_bandwidth
    cycles = max(ceil(layer.other_ops / arch.compute.instances), ceil((words_in + words_out) / bandwidth)
                 if bandwidth else 0)
    return LayerCost(layer.name, layer.op, "streamed", 0, sum(by_level.values()), cycles, by_level,
                     (words_in + words_out) * dram.word_bits / 8)
