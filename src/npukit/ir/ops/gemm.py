"""Gemm (the FC layer) and MatMul: matrix products as loop nests with H=W=R=S=E=F=1."""

from __future__ import annotations

import math
from typing import Any

from npukit.ir.graph import Node
from npukit.ir.loopnest import LoopNest
from npukit.ir.ops.base import OpDef, fail, first
from npukit.ir.tensor import Shape, Tensor


def matrix_nest(batch: int, k: int, m: int, kind: str) -> LoopNest:
    return LoopNest(N=batch, M=m, C=k, H=1, W=1, R=1, S=1, E=1, F=1, kind=kind)


class Gemm(OpDef):
    """Y = alpha·A'·B' + beta·C; an FC layer when B is a constant weight matrix."""

    op_type = "Gemm"
    defaults = {"alpha": 1.0, "beta": 1.0, "transA": 0, "transB": 0}
    weight_inputs = (1,)
    param_inputs = (1, 2)
    min_inputs = 2
    computes_macs = True

    def dims(self, node: Node, a: dict[str, Any], ins: list[Tensor | None]) -> tuple[int, int, int]:
        x, w = first(ins), ins[1]
        if w is None or len(x.shape) != 2 or len(w.shape) != 2:
            raise fail(node, f"A {x.shape} and B {w.shape if w else None} must both be 2-D")
        rows, k = x.shape[::-1] if a["transA"] else x.shape
        kb, cols = w.shape[::-1] if a["transB"] else w.shape
        if k != kb:
            raise fail(
                node, f"inner dimensions differ: A {x.shape} (transA={a['transA']}), B {w.shape} (transB={a['transB']})"
            )
        return rows, k, cols

    def infer(self, node: Node, a: dict[str, Any], ins: list[Tensor | None]) -> list[Shape]:
        rows, _, cols = self.dims(node, a, ins)
        return [(rows, cols)]

    def loopnest(self, node: Node, a: dict[str, Any], ins: list[Tensor | None], outs: list[Tensor]) -> LoopNest:
        rows, k, cols = self.dims(node, a, ins)
        weights_constant = ins[1] is not None and ins[1].is_constant
        return matrix_nest(rows, k, cols, "FC" if weights_constant else "MATMUL")

    def other_ops(self, a: dict[str, Any], ins: list[Tensor | None], outs: list[Tensor]) -> int:
        has_bias = len(ins) > 2 and ins[2] is not None
        return outs[0].size if has_bias else 0


class MatMul(OpDef):
    """numpy.matmul semantics; FC when one operand is constant, MATMUL when both are activations."""

    op_type = "MatMul"
    min_inputs = 2
    computes_macs = True

    def weight_indices(self, ins: list[Tensor | None]) -> tuple[int, ...]:
        b = ins[1]
        return (1,) if b is not None and b.is_constant else (0,)

    param_inputs = (0, 1)

    def dims(self, node: Node, ins: list[Tensor | None]) -> tuple[Shape, int, int, int]:
        a, b = first(ins).shape, ins[1].shape if ins[1] is not None else ()
        if not a or not b:
            raise fail(node, "MatMul of a scalar")
        a2 = (1, *a) if len(a) == 1 else a
        b2 = (*b, 1) if len(b) == 1 else b
        if a2[-1] != b2[-2]:
            raise fail(node, f"inner dimensions differ: {a} × {b}")
        try:
            batch = broadcast(a2[:-2], b2[:-2])
        except ValueError:
            raise fail(node, f"batch dimensions of {a} and {b} do not broadcast") from None
        out = (*batch, a2[-2], b2[-1])
        if len(a) == 1:
            out = out[:-2] + out[-1:]
        if len(b) == 1:
            out = out[:-1]
        return out, math.prod(batch) * a2[-2], a2[-1], b2[-1]

    def infer(self, node: Node, a: dict[str, Any], ins: list[Tensor | None]) -> list[Shape]:
        return [self.dims(node, ins)[0]]

    def loopnest(self, node: Node, a: dict[str, Any], ins: list[Tensor | None], outs: list[Tensor]) -> LoopNest:
        _, rows, k, cols = self.dims(node, ins)
        constant = any(t is not None and t.is_constant for t in ins[:2])
        return matrix_nest(rows, k, cols, "FC" if constant else "MATMUL")


def broadcast(*shapes: Shape) -> Shape:
    """numpy's broadcasting rule; ValueError when the shapes do not broadcast."""
    rank = max((len(s) for s in shapes), default=0)
    out = []
    for i in range(rank):
        dims = {s[len(s) - rank + i] for s in shapes if len(s) - rank + i >= 0}
        dims.discard(1)
        if len(dims) > 1:
            raise ValueError(f"shapes {shapes} do not broadcast")
        out.append(dims.pop() if dims else 1)
    return tuple(out)


OPS = [Gemm, MatMul]
