"""Conv: CONV, grouped CONV and depthwise CONV, 1-D or 2-D (3-D: shape only, not costed)."""

from __future__ import annotations

from typing import Any

from npukit.ir.graph import Node
from npukit.ir.loopnest import LoopNest
from npukit.ir.ops.base import OpDef, fail, first
from npukit.ir.ops.window import pads_quad, spatial_pair, window
from npukit.ir.tensor import Shape, Tensor


class Conv(OpDef):
    op_type = "Conv"
    defaults = {
        "auto_pad": "NOTSET",
        "dilations": None,
        "group": 1,
        "kernel_shape": None,
        "pads": None,
        "strides": None,
    }
    weight_inputs = (1,)
    param_inputs = (1, 2)
    min_inputs = 2
    computes_macs = True

    def geometry(self, node: Node, a: dict[str, Any], ins: list[Tensor | None]) -> tuple[Shape, tuple[int, ...]]:
        x, w = first(ins), ins[1]
        if w is None or len(x.shape) < 3 or len(w.shape) != len(x.shape):
            raise fail(
                node, f"input {x.shape} and weight {w.shape if w else None} must be N×C×spatial and M×C/G×kernel"
            )
        group = a["group"]
        if group < 1 or x.shape[1] != w.shape[1] * group or w.shape[0] % group:
            raise fail(
                node,
                f"input has {x.shape[1]} channels, weight {w.shape} with group={group} expects {w.shape[1] * group}",
            )
        kernel = tuple(a["kernel_shape"] or w.shape[2:])
        if kernel != tuple(w.shape[2:]):
            raise fail(node, f"kernel_shape {list(kernel)} does not match weight shape {w.shape}")
        if len(ins) > 2 and ins[2] is not None and ins[2].shape != (w.shape[0],):
            raise fail(node, f"bias shape {ins[2].shape} must be ({w.shape[0]},)")
        return window(node, a, x.shape[2:], kernel)

    def infer(self, node: Node, a: dict[str, Any], ins: list[Tensor | None]) -> list[Shape]:
        out, _ = self.geometry(node, a, ins)
        x, w = first(ins), ins[1]
        assert w is not None
        return [(x.shape[0], w.shape[0], *out)]

    def loopnest(self, node: Node, a: dict[str, Any], ins: list[Tensor | None], outs: list[Tensor]) -> LoopNest | None:
        x, w = first(ins), ins[1]
        assert w is not None
        if len(x.shape) > 4:
            return None  # 3-D convolution: no LoopNest, reported as not modeled
        out, pads = self.geometry(node, a, ins)
        k = len(out)
        (H, W), (R, S), (E, F) = spatial_pair(x.shape[2:]), spatial_pair(w.shape[2:]), spatial_pair(out)
        return LoopNest(
            N=x.shape[0],
            M=w.shape[0],
            C=x.shape[1],
            H=H,
            W=W,
            R=R,
            S=S,
            E=E,
            F=F,
            stride=spatial_pair(tuple(a["strides"] or (1,) * k)),
            dilation=spatial_pair(tuple(a["dilations"] or (1,) * k)),
            pads=pads_quad(pads),
            G=a["group"],
            kind="CONV",
        )

    def other_ops(self, a: dict[str, Any], ins: list[Tensor | None], outs: list[Tensor]) -> int:
        has_bias = len(ins) > 2 and ins[2] is not None
        return outs[0].size if has_bias else 0  # one addition per output for the bias


OPS = [Conv]
