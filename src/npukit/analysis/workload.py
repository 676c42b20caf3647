"""Per-layer workload analysis: weights, MACs, other ops, activations, bytes, intensity."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from npukit.errors import NpukitError
from npukit.ir import Graph, LoopNest, node_cost

LOOPNEST_DIMS = ("N", "M", "C", "H", "W", "R", "S", "E", "F", "U", "G")


@dataclass(frozen=True)
class LayerReport:
    """One node's counts. `bytes` = (weights + activations in + out) at `bits` bits each."""

    name: str
    op: str
    input_shapes: tuple[tuple[int, ...], ...]
    output_shapes: tuple[tuple[int, ...], ...]
    loopnest: LoopNest | None
    weights: int
    params: int
    macs: int
    other_ops: int
    activations_in: int
    activations_out: int
    bits: int
    modeled: bool = True
    in_survey: bool = True  # False for layers the survey's table leaves out (LeNet-5's output)

    @property
    def kind(self) -> str:
        """CONV, FC or MATMUL for layers with a loop nest, else ''."""
        return self.loopnest.kind if self.loopnest else ""

    @property
    def bytes(self) -> int:
        return math.ceil((self.weights + self.activations_in + self.activations_out) * self.bits / 8)

    @property
    def intensity(self) -> float:
        """Arithmetic intensity in MACs per byte moved (0 for layers without MACs)."""
        return self.macs / self.bytes if self.bytes else 0.0

    def as_dict(self) -> dict[str, Any]:
        nest = self.loopnest
        return {
            "name": self.name,
            "op": self.op,
            "kind": self.kind,
            "input_shapes": [list(s) for s in self.input_shapes],
            "output_shapes": [list(s) for s in self.output_shapes],
            "loopnest": {d: getattr(nest, d) for d in LOOPNEST_DIMS} if nest else None,
            "weights": self.weights,
            "params": self.params,
            "macs": self.macs,
            "other_ops": self.other_ops,
            "activations_in": self.activations_in,
            "activations_out": self.activations_out,
            "bytes": self.bytes,
            "intensity_macs_per_byte": round(self.intensity, 4),
            "modeled": self.modeled,
            "in_survey": self.in_survey,
        }


@dataclass(frozen=True)
class KindTotals:
    layers: int = 0
    weights: int = 0
    macs: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"layers": self.layers, "weights": self.weights, "macs": self.macs}


@dataclass(frozen=True)
class ModelReport:
    model: str
    bits: int
    batch: int
    layers: tuple[LayerReport, ...]
    input_shape: tuple[int, ...] = field(default=())

    def total(self, key: str) -> int:
        return sum(getattr(layer, key) for layer in self.layers)

    def split(self, kind: str, survey_only: bool = False) -> KindTotals:
        """Totals over the CONV (or FC) layers; `survey_only` drops layers the survey leaves out."""
        sel = [x for x in self.layers if x.kind == kind and (x.in_survey or not survey_only)]
        return KindTotals(len(sel), sum(x.weights for x in sel), sum(x.macs for x in sel))

    @property
    def not_modeled(self) -> list[str]:
        """'node (op)' for every node whose op npukit cannot cost."""
        return [f"{x.name} ({x.op})" for x in self.layers if not x.modeled]

    def totals(self) -> dict[str, Any]:
        keys = ("weights", "params", "macs", "other_ops", "activations_in", "activations_out", "bytes")
        totals: dict[str, Any] = {k: self.total(k) for k in keys}
        totals["conv"] = self.split("CONV").as_dict()
        totals["fc"] = self.split("FC").as_dict()
        totals["not_modeled"] = self.not_modeled
        return totals

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "batch": self.batch,
            "bits": self.bits,
            "input_shape": list(self.input_shape),
            "totals": self.totals(),
            "layers": [x.as_dict() for x in self.layers],
        }


def analyze(graph: Graph, bits: int = 8) -> ModelReport:
    """Count every node of `graph`; `bits` is the word width used for the byte counts."""
    if not 1 <= bits <= 32:
        raise NpukitError(f"bits must be an integer from 1 to 32, not {bits}")
    excluded = set(graph.metadata.get("survey_exclude", ()))
    layers = []
    for node in graph.nodes:
        ins, outs = graph.node_inputs(node), graph.node_outputs(node)
        cost = node_cost(node, ins, outs)
        layers.append(
            LayerReport(
                name=node.name,
                op=node.op_type,
                input_shapes=tuple(t.shape for t in ins if t is not None and not t.is_constant),
                output_shapes=tuple(t.shape for t in outs),
                loopnest=cost.loopnest,
                weights=cost.weights,
                params=cost.params,
                macs=cost.macs,
                other_ops=cost.other_ops,
                activations_in=cost.activations_in,
                activations_out=cost.activations_out,
                bits=bits,
                modeled=cost.modeled,
                in_survey=node.name not in excluded,
            )
        )
    first_input = graph.tensors[graph.inputs[0]].shape if graph.inputs else ()
    return ModelReport(graph.name, bits, first_input[0] if first_input else 1, tuple(layers), first_input)
