"""Ops that only rearrange data: Concat, Flatten, Reshape. They move data but compute nothing."""

from __future__ import annotations

import math
from typing import Any

from npukit.ir.graph import Node
from npukit.ir.ops.base import REQUIRED, OpDef, fail, first
from npukit.ir.tensor import Shape, Tensor


class Concat(OpDef):
    op_type = "Concat"
    defaults = {"axis": REQUIRED}

    def infer(self, node: Node, a: dict[str, Any], ins: list[Tensor | None]) -> list[Shape]:
        shapes = [t.shape for t in ins if t is not None]
        rank = len(shapes[0])
        axis = a["axis"] + rank if a["axis"] < 0 else a["axis"]
        if not 0 <= axis < rank:
            raise fail(node, f"axis {a['axis']} is out of range for rank {rank}")
        for s in shapes:
            if len(s) != rank or s[:axis] + s[axis + 1 :] != shapes[0][:axis] + shapes[0][axis + 1 :]:
                raise fail(node, f"input shapes {shapes} differ outside axis {axis}")
        return [(*shapes[0][:axis], sum(s[axis] for s in shapes), *shapes[0][axis + 1 :])]


class Flatten(OpDef):
    op_type = "Flatten"
    defaults = {"axis": 1}

    def infer(self, node: Node, a: dict[str, Any], ins: list[Tensor | None]) -> list[Shape]:
        shape = first(ins).shape
        axis = a["axis"] + len(shape) if a["axis"] < 0 else a["axis"]
        if not 0 <= axis <= len(shape):
            raise fail(node, f"axis {a['axis']} is out of range for rank {len(shape)}")
        return [(math.prod(shape[:axis]), math.prod(shape[axis:]))]


class Reshape(OpDef):
    """Target shape from the constant second input: 0 copies a dimension, -1 is inferred."""

    op_type = "Reshape"
    defaults = {"allowzero": 0}
    min_inputs = 2

    def infer(self, node: Node, a: dict[str, Any], ins: list[Tensor | None]) -> list[Shape]:
        x, target = first(ins), ins[1]
        if target is None or not target.is_constant:
            raise fail(node, "the target shape must be a constant input")
        dims = [int(v) for v in target.value().reshape(-1)]
        out = [x.shape[i] if d == 0 and not a["allowzero"] else d for i, d in enumerate(dims)]
        if out.count(-1) > 1:
            raise fail(node, f"target shape {dims} has more than one -1")
        if -1 in out:
            known = math.prod(d for d in out if d != -1)
            if known == 0 or x.size % known:
                raise fail(node, f"cannot reshape {x.shape} to {dims}")
            out[out.index(-1)] = x.size // known
        if math.prod(out) != x.size:
            raise fail(node, f"cannot reshape {x.shape} ({x.size} elements) to {dims}")
        return [tuple(out)]


OPS = [Concat, Flatten, Reshape]
