"""Ops that only rearrange or look up data: Concat, Flatten, Reshape, Transpose, Pad, Gather (no arithmetic)."""

from __future__ import annotations

import math
from typing import Any

from npukit.ir.graph import Node
from npukit.ir.ops.base import REQUIRED, OpDef, constant_ints, fail, first
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
        x = first(ins)
        dims = constant_ints(node, ins[1], "target shape")
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


class Transpose(OpDef):
    """Permutes the axes; no `perm` reverses them."""

    op_type = "Transpose"
    defaults = {"perm": None}

    def infer(self, node: Node, a: dict[str, Any], ins: list[Tensor | None]) -> list[Shape]:
        shape = first(ins).shape
        perm = list(a["perm"]) if a["perm"] is not None else list(range(len(shape)))[::-1]
        if sorted(perm) != list(range(len(shape))):
            raise fail(node, f"perm {perm} is not a permutation of the {len(shape)} axes of {shape}")
        return [tuple(shape[p] for p in perm)]


class Pad(OpDef):
    """Pads (or, with negative pads, crops) the given axes: begins then ends, as ONNX orders them.

    Opset 11+ gives pads, constant_value (and from 18 axes) as inputs; opsets 2-10 as the
    attributes `pads` and `value`.
    """

    op_type = "Pad"
    defaults = {"mode": "constant", "pads": None, "value": 0.0}
    modes = ("constant", "reflect", "edge", "wrap")

    def infer(self, node: Node, a: dict[str, Any], ins: list[Tensor | None]) -> list[Shape]:
        shape = first(ins).shape
        if a["mode"] not in self.modes:
            raise fail(node, f"mode {a['mode']!r} is not one of {', '.join(self.modes)}")
        pads = list(a["pads"]) if a["pads"] is not None else constant_ints(node, input_at(ins, 1), "pads")
        axes = constant_ints(node, ins[3], "axes") if input_at(ins, 3) else list(range(len(shape)))
        axes = [ax + len(shape) if ax < 0 else ax for ax in axes]
        if len(pads) != 2 * len(axes) or any(not 0 <= ax < len(shape) for ax in axes):
            raise fail(node, f"pads {pads} and axes {axes} do not fit an input of shape {shape}")
        out = list(shape)
        for i, ax in enumerate(axes):
            out[ax] += pads[i] + pads[i + len(axes)]
        if min(out, default=0) < 0:
            raise fail(node, f"pads {pads} crop more than the input {shape} holds")
        return [tuple(out)]


class Gather(OpDef):
    """data[..., indices, ...] along `axis`: a table lookup when data is a constant table."""

    op_type = "Gather"
    defaults = {"axis": 0}
    min_inputs = 2

    def infer(self, node: Node, a: dict[str, Any], ins: list[Tensor | None]) -> list[Shape]:
        data, indices = first(ins), ins[1]
        assert indices is not None
        axis = a["axis"] + len(data.shape) if a["axis"] < 0 else a["axis"]
        if not 0 <= axis < len(data.shape):
            raise fail(node, f"axis {a['axis']} is out of range for rank {len(data.shape)}")
        return [(*data.shape[:axis], *indices.shape, *data.shape[axis + 1 :])]


def input_at(ins: list[Tensor | None], i: int) -> Tensor | None:
    return ins[i] if i < len(ins) else None


OPS = [Concat, Flatten, Reshape, Transpose, Pad, Gather]
