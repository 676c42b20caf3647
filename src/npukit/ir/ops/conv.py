"""Conv: CONV, grouped CONV and depthwise CONV, 1-D or 2-D (3-D: shape only, not costed); ConvTranspose."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from npukit.ir.cost import Cost
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


class ConvTranspose(OpDef):
    """The transposed (fractionally strided) convolution: each input element scatters one filter.

    Weight W is C × M/G × kernel. Its work is not the survey's loop nest (outputs are gathered
    from a strided scatter), so it has no LoopNest; MACs are counted directly as every input
    element times every filter tap it meets: N·C·H·W·(M/G)·R·S.
    """

    op_type = "ConvTranspose"
    defaults = {
        "auto_pad": "NOTSET",
        "dilations": None,
        "group": 1,
        "kernel_shape": None,
        "output_padding": None,
        "output_shape": None,
        "pads": None,
        "strides": None,
    }
    weight_inputs = (1,)
    param_inputs = (1, 2)
    min_inputs = 2

    def infer(self, node: Node, a: dict[str, Any], ins: list[Tensor | None]) -> list[Shape]:
        x, w = first(ins), ins[1]
        if w is None or len(x.shape) < 3 or len(w.shape) != len(x.shape):
            raise fail(
                node, f"input {x.shape} and weight {w.shape if w else None} must be N×C×spatial and C×M/G×kernel"
            )
        group = a["group"]
        if group < 1 or w.shape[0] != x.shape[1] or x.shape[1] % group:
            raise fail(
                node,
                f"input has {x.shape[1]} channels; weight {w.shape} (C×M/G×kernel) with group={group} "
                f"needs {w.shape[0]}, a multiple of the group",
            )
        kernel = tuple(a["kernel_shape"] or w.shape[2:])
        if kernel != tuple(w.shape[2:]):
            raise fail(node, f"kernel_shape {list(kernel)} does not match weight shape {w.shape}")
        m = w.shape[1] * group
        if len(ins) > 2 and ins[2] is not None and ins[2].shape != (m,):
            raise fail(node, f"bias shape {ins[2].shape} must be ({m},)")
        return [(x.shape[0], m, *transposed_window(node, a, x.shape[2:], kernel))]

    def other_ops(self, a: dict[str, Any], ins: list[Tensor | None], outs: list[Tensor]) -> int:
        has_bias = len(ins) > 2 and ins[2] is not None
        return outs[0].size if has_bias else 0

    def cost(self, node: Node, ins: list[Tensor | None], outs: list[Tensor]) -> Cost:
        x, w = first(ins), ins[1]
        assert w is not None
        return replace(super().cost(node, ins, outs), macs=x.shape[0] * math.prod(x.shape[2:]) * w.size)


def transposed_window(node: Node, a: dict[str, Any], spatial: tuple[int, ...], kernel: tuple[int, ...]) -> list[int]:
    """ConvTranspose output sizes as ONNX Runtime computes them (the spec's formulas).

    With SAME padding the output is input × stride, but never larger than the unpadded output.
    (ONNX shape inference adds output_padding there; the reference evaluator does not crop.)
    """
    k = len(spatial)
    strides = list(a["strides"] or [1] * k)
    dilations = list(a["dilations"] or [1] * k)
    extra = list(a["output_padding"] or [0] * k)
    pads = list(a["pads"] or [0] * (2 * k))
    if (len(strides), len(dilations), len(extra), len(pads)) != (k, k, k, 2 * k):
        raise fail(node, f"strides, dilations, output_padding and pads must have {k}, {k}, {k} and {2 * k} entries")
    if min(strides) < 1 or min(dilations) < 1 or min(extra) < 0 or min(pads) < 0:
        raise fail(node, "strides and dilations must be positive, pads and output_padding non-negative")
    if a["auto_pad"] not in ("NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"):
        raise fail(node, f"auto_pad {a['auto_pad']!r} is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID")
    if a["auto_pad"] != "NOTSET":
        pads = [0] * (2 * k)
    full = [strides[i] * (spatial[i] - 1) + extra[i] + (kernel[i] - 1) * dilations[i] + 1 for i in range(k)]
    if a["output_shape"] is not None:
        out = list(a["output_shape"])
        if len(out) != k:
            raise fail(node, f"output_shape {out} must have {k} entries")
    elif a["auto_pad"] in ("SAME_UPPER", "SAME_LOWER"):
        # input × stride, cropped from the full output; padding is never negative (as ONNX Runtime does)
        out = [min(spatial[i] * strides[i], full[i]) for i in range(k)]
    else:
        out = [full[i] - pads[i] - pads[i + k] for i in range(k)]
    if min(out) < 1:
        raise fail(node, f"output size {out} is not positive")
    return out


OPS = [Conv, ConvTranspose]
