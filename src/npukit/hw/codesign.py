"""Co-design: accuracy beside energy per inference, over bit widths and pruning levels.

For each (precision, weight sparsity): the network is pruned (magnitude per layer, fine-tuned on
the training split) and quantized as `npukit.compress.accuracy` does, and its held-out accuracy
measured; then it is mapped onto the architecture with every word as wide as the precision's
activations and the weights as wide as its weights (fp32 keeps the architecture's words), partial
sums in 32-bit accumulators (the integer runtime's int32) until their final write, each layer's
Weights density taken from its pruned weights and its Inputs density measured on held-out images
(zeros after ReLU), so that zero gating or skipping and run-length-coded DRAM traffic
(`npukit.hw.sparsity`) count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from npukit.analysis import analyze
from npukit.compress.accuracy import PRECISIONS, accuracy, at_precision, check_precisions, dataset_split, pruned
from npukit.compress.activations import input_sparsity
from npukit.compress.prune import sparsity_report, weight_inputs, with_weights
from npukit.hw.arch import Architecture
from npukit.hw.dataflows import Dataflow
from npukit.hw.network import NetworkCost, map_network
from npukit.ir import Graph

DENSITY_IMAGES = 100  # held-out images on which input zeros are counted
PSUM_BITS = 32  # integer precisions accumulate in int32, as the integer runtime and ONNX do


@dataclass(frozen=True)
class CodesignPoint:
    precision: str
    sparsity: float
    accuracy: float
    cost: NetworkCost

    @property
    def energy_per_inference_pj(self) -> float:
        return self.cost.energy_pj / self.cost.batch

    def as_dict(self) -> dict[str, Any]:
        t = self.cost.totals()
        return {"precision": self.precision, "sparsity": self.sparsity, "accuracy": self.accuracy,
                "energy_per_inference_pj": self.energy_per_inference_pj, "latency_s": t["latency_s"],
                "cycles": t["cycles"], "dram_bytes": sum(x.dram_bytes for x in self.cost.layers)}


def densities(graph: Graph, images: Any) -> dict[str, dict[str, float]]:
    """Per CONV/FC layer: nonzero fractions of its weights and (measured on `images`) its inputs."""
    zeros_in = input_sparsity(graph, images)
    out: dict[str, dict[str, float]] = {r.layer: {"Weights": r.density} for r in sparsity_report(graph)}
    for layer, zeros in zeros_in.items():
        out.setdefault(layer, {})["Inputs"] = 1.0 - zeros
    return out


def pareto(points: list[CodesignPoint]) -> list[CodesignPoint]:
    """The points no other point beats: at least as accurate and as cheap, and better in one."""
    def beats(q: CodesignPoint, p: CodesignPoint) -> bool:
        a, e = (q.accuracy, -q.energy_per_inference_pj), (p.accuracy, -p.energy_per_inference_pj)
        return a[0] >= e[0] and a[1] >= e[1] and a != e
    return [p for p in points if not any(beats(q, p) for q in points)]


def codesign(graph: Graph, one: Graph, arch: Architecture, dataset: str, precisions: list[str],
             sparsities: list[float], dataflow: Dataflow | None = None, data_dir: str | None = None,
             finetune: bool = True, max_evaluations: int = 3_000, seed: int = 0) -> tuple[list[CodesignPoint], str]:
    """Every (precision, sparsity) point: held-out accuracy and cost per inference on `arch`; and the
    data split's note. `graph` is the float network at the batch its accuracy runs at, `one` the same
    network at batch 1 (costed with the pruned weights)."""
    check_precisions(precisions)
    train, held_out, note = dataset_split(dataset, data_dir)
    batch = graph.tensors[graph.inputs[0]].shape[0]
    images = held_out.images[:max(batch, DENSITY_IMAGES // batch * batch)]
    points = []
    for s in sparsities:
        base = pruned(graph, s, train, finetune, seed)
        dense = densities(base, images)
        single = with_weights(one, {name: base.tensors[name].value() for name in weight_inputs(base)})
        for p in precisions:
            bits = PRECISIONS[p]
            spec = arch.with_word_bits(bits[1]) if bits else arch
            report = analyze(single, bits=spec.levels[0].word_bits)
            widths = {"Weights": bits[0]} if bits else None  # weights may be narrower than the words
            cost = map_network(report, spec, dataflow, "energy", max_evaluations, seed, 1, densities=dense,
                               tensor_bits=widths, psum_bits=PSUM_BITS if bits else None)
            points.append(CodesignPoint(p, s, accuracy(at_precision(base, p, train), held_out), cost))
    return points, note
