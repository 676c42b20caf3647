"""Pooling: max and average over a window, and their global forms. No MACs, no weights."""

from __future__ import annotations

import math
from typing import Any

from npukit.ir.graph import Node
from npukit.ir.ops.base import REQUIRED, OpDef, fail, first
from npukit.ir.ops.window import window
from npukit.ir.tensor import Shape, Tensor

WINDOW = {"auto_pad": "NOTSET", "ceil_mode": 0, "kernel_shape": REQUIRED, "pads": None, "strides": None}


class MaxPool(OpDef):
    op_type = "MaxPool"
    defaults = {**WINDOW, "dilations": None, "storage_order": 0}

    def infer(self, node: Node, a: dict[str, Any], ins: list[Tensor | None]) -> list[Shape]:
        x = first(ins)
        if len(x.shape) < 3:
            raise fail(node, f"input {x.shape} must be N×C×spatial")
        out, _ = window(node, a, x.shape[2:], tuple(a["kernel_shape"]))
        shape = (*x.shape[:2], *out)
        return [shape, shape] if len(node.outputs) > 1 else [shape]  # optional Indices output

    def out_dtypes(self, ins: list[Tensor | None], n: int) -> list[str]:
        return [first(ins).dtype, "int64"][:n]

    def other_ops(self, a: dict[str, Any], ins: list[Tensor | None], outs: list[Tensor]) -> int:
        return outs[0].size * math.prod(a["kernel_shape"])  # one compare (or add) per window element


class AveragePool(MaxPool):
    op_type = "AveragePool"
    defaults = {**WINDOW, "count_include_pad": 0, "dilations": None}


class GlobalAveragePool(OpDef):
    op_type = "GlobalAveragePool"

    def infer(self, node: Node, a: dict[str, Any], ins: list[Tensor | None]) -> list[Shape]:
        x = first(ins)
        if len(x.shape) < 3:
            raise fail(node, f"input {x.shape} must be N×C×spatial")
        return [(*x.shape[:2], *(1,) * (len(x.shape) - 2))]

    def other_ops(self, a: dict[str, Any], ins: list[Tensor | None], outs: list[Tensor]) -> int:
        return first(ins).size  # every input element is added (or compared) once


class GlobalMaxPool(GlobalAveragePool):
    op_type = "GlobalMaxPool"


OPS = [MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool]
