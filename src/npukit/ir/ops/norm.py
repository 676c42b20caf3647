"""Normalization: batch norm (inference: a per-channel scale and shift) and LRN."""

from __future__ import annotations

from typing import Any

from npukit.ir.graph import Node
from npukit.ir.ops.base import REQUIRED, OpDef, fail, first
from npukit.ir.tensor import Shape, Tensor


class BatchNormalization(OpDef):
    """Inputs X, scale, B, mean, var. Params: scale and B (mean and var are statistics)."""

    op_type = "BatchNormalization"
    defaults = {"epsilon": 1e-5, "momentum": 0.9, "training_mode": 0, "spatial": 1}
    param_inputs = (1, 2)
    min_inputs = 5

    def infer(self, node: Node, a: dict[str, Any], ins: list[Tensor | None]) -> list[Shape]:
        x = first(ins)
        channels = x.shape[1] if len(x.shape) > 1 else 1
        for i, t in enumerate(ins[1:5], start=1):
            if t is None or t.shape != (channels,):
                raise fail(node, f"input {i} must have shape ({channels},), not {t.shape if t else None}")
        if a["training_mode"]:
            raise fail(node, "training_mode=1 is not supported (inference only)")
        return [x.shape]

    def other_ops(self, a: dict[str, Any], ins: list[Tensor | None], outs: list[Tensor]) -> int:
        return 2 * outs[0].size  # folded to y = x·s + t: one multiply and one add per element


class LRN(OpDef):
    """Local response normalization across `size` channels (AlexNet, GoogLeNet)."""

    op_type = "LRN"
    defaults = {"alpha": 1e-4, "beta": 0.75, "bias": 1.0, "size": REQUIRED}

    def infer(self, node: Node, a: dict[str, Any], ins: list[Tensor | None]) -> list[Shape]:
        if a["size"] < 1:
            raise fail(node, f"size must be positive, not {a['size']}")
        return [first(ins).shape]

    def other_ops(self, a: dict[str, Any], ins: list[Tensor | None], outs: list[Tensor]) -> int:
        # per element: `size` multiply-adds for the sum of squares, then scale, power and divide
        return outs[0].size * (a["size"] + 3)


OPS = [BatchNormalization, LRN]
