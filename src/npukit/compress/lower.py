"""Each float op's integer form, written with ONNX's integer and Q/DQ ops.

One function per op reads the float node (and the ReLU/Clip fused into it, if any) and emits
integer nodes: QLinearConv, or ConvInteger/MatMulInteger then requantization; pooling as integer
window sums (MaxPool on integers, average pools as depthwise ConvInteger with unit weights);
Add and Concat as rescaled sums; Sigmoid/Tanh/LeakyRelu as a 2^bits-entry lookup table (Gather).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from npukit.compress.emit import Emitter
from npukit.compress.qparams import QParams, bias_values, weight_params
from npukit.compress.requant import Term, clip, container_range, requantize
from npukit.errors import NpukitError
from npukit.ir import Graph, Node
from npukit.ir.ops.base import fail
from npukit.runtime.kernels import KERNELS


@dataclass(frozen=True)
class Activation:
    """A ReLU or Clip fused into its producer: the real range [lo, hi] it keeps (None: unbounded)."""

    node: Node
    lo: float | None
    hi: float | None


def output_of(node: Node, act: Activation | None) -> str:
    return (act.node if act else node).outputs[0]


def bounds_of(params: QParams, act: Activation | None) -> tuple[int, int]:
    return params.bounds(act.lo if act else None, act.hi if act else None)


def constant(graph: Graph, node: Node, i: int, what: str) -> np.ndarray | None:
    name = node.inputs[i] if i < len(node.inputs) else ""
    if not name:
        return None
    t = graph.tensor(name)
    if not t.is_constant:
        raise fail(node, f"the {what} must be a constant to be quantized")
    return t.value()


def conv(e: Emitter, node: Node, act: Activation | None) -> None:
    x, px = e.q(node.inputs[0], node)
    w = constant(e.graph, node, 1, "weight")
    assert w is not None
    wq, pw = weight_params(w, 0, e.config.weights)
    b = constant(e.graph, node, 2, "bias")
    out = output_of(node, act)
    po = e.params(out)
    bounds, name = bounds_of(po, act), f"{out}.q"
    if e.config.requant == "float" and e.config.rounding == "half_even" and po.qtype.bits <= 8:
        y = qlinear_conv(e, node, x, px, wq, pw, b, po, bounds, name)
    else:
        acc = e.node("ConvInteger", [x, e.const(f"{name}.w", wq), *zero_point(e, px, name)], f"{name}.acc",
                     **node.attrs)
        if b is not None:
            bias = bias_values(b, px.scale, pw.scale).reshape(-1, *(1,) * (len(w.shape) - 2))
            acc = e.node("Add", [acc, e.const(f"{name}.b", bias)], f"{name}.acc_b")
        y = requantize(e, [Term(acc, px.scale, pw.scale, rank=len(w.shape))], po, bounds, name)
    e.bind(out, y, po)


def qlinear_conv(e: Emitter, node: Node, x: str, px: QParams, wq: np.ndarray, pw: QParams, b: np.ndarray | None,
                 po: QParams, bounds: tuple[int, int], name: str) -> str:
    """ONNX's QLinearConv: the accumulator requantized in float32 with round half to even, as ORT does."""
    narrower = bounds != container_range(po.qtype.container)
    inputs = [x, e.const(f"{name}.x_scale", px.scale), e.const(f"{name}.x_zp", px.zero_point),
              e.const(f"{name}.w", wq), e.const(f"{name}.w_scale", pw.scale), e.const(f"{name}.w_zp", pw.zero_point),
              e.const(f"{name}.y_scale", po.scale), e.const(f"{name}.y_zp", po.zero_point)]
    if b is not None:
        inputs.append(e.const(f"{name}.b", bias_values(b, px.scale, pw.scale)))
    y = e.node("QLinearConv", inputs, f"{name}.requant" if narrower else name, **node.attrs)
    return clip(e, y, bounds, po.qtype.container, name) if narrower else y


def zero_point(e: Emitter, p: QParams, name: str) -> list[str]:
    """The zero-point input of ConvInteger/MatMulInteger: none when it is 0."""
    return [e.const(f"{name}.x_zp", p.zero_point)] if int(p.zero_point) else []


def gemm(e: Emitter, node: Node, act: Activation | None) -> None:
    """Gemm (alpha = beta = 1, A not transposed) and MatMul by a constant matrix: MatMulInteger, bias, requant."""
    a = {"alpha": 1.0, "beta": 1.0, "transA": 0, "transB": 0, **node.attrs}
    if (a["alpha"], a["beta"], a["transA"]) != (1.0, 1.0, 0) or len(e.graph.tensor(node.inputs[0]).shape) != 2:
        raise fail(node, "only Y = A·B + C (alpha = beta = 1, A not transposed, 2-D) is quantized")
    x, px = e.q(node.inputs[0], node)
    w = constant(e.graph, node, 1, "weight matrix")
    assert w is not None
    wq, pw = weight_params(w, 0 if a["transB"] else 1, e.config.weights)
    out = output_of(node, act)
    po, name = e.params(out), f"{out}.q"
    acc = e.node("MatMulInteger", [x, e.const(f"{name}.w", wq.T if a["transB"] else wq), *zero_point(e, px, name)],
                 f"{name}.acc")
    b = constant(e.graph, node, 2, "bias") if node.op_type == "Gemm" else None
    if b is not None:
        bias = bias_values(np.broadcast_to(b, (pw.scale.size,)), px.scale, pw.scale)
        acc = e.node("Add", [acc, e.const(f"{name}.b", bias)], f"{name}.acc_b")
    e.bind(out, requantize(e, [Term(acc, px.scale, pw.scale, rank=2)], po, bounds_of(po, act), name), po)


def average_pool(e: Emitter, node: Node, act: Activation | None) -> None:
    """An integer window sum (depthwise ConvInteger with unit weights), requantized with scale 1/count."""
    x, px = e.q(node.inputs[0], node)
    shape = e.graph.tensor(node.inputs[0]).shape
    if node.op_type == "GlobalAveragePool":
        attrs: dict[str, Any] = {"kernel_shape": list(shape[2:])}
    else:
        a = {"auto_pad": "NOTSET", "ceil_mode": 0, "count_include_pad": 0, "pads": None, **node.attrs}
        padding_uncounted = any(a["pads"] or ()) and not a["count_include_pad"]
        if a["auto_pad"] not in ("NOTSET", "VALID") or a["ceil_mode"] or padding_uncounted:
            raise fail(node, "only average pools whose every window has the same count are quantized "
                             "(no ceil_mode, no padding left out of the count)")
        attrs = {k: v for k, v in node.attrs.items() if k in ("kernel_shape", "strides", "pads", "dilations")}
    kernel = attrs["kernel_shape"]
    ones = np.ones((shape[1], 1, *kernel), np.int8)
    out = output_of(node, act)
    po, name = e.params(out), f"{out}.q"
    acc = e.node("ConvInteger", [x, e.const(f"{name}.ones", ones), *zero_point(e, px, name)], f"{name}.sum",
                 group=shape[1], **attrs)
    term = Term(acc, px.scale, np.float32(1.0 / np.prod(kernel)))
    e.bind(out, requantize(e, [term], po, bounds_of(po, act), name), po)


def add(e: Emitter, node: Node, act: Activation | None) -> None:
    """Both addends rescaled to the output's scale and summed (shapes must be equal)."""
    shapes = {e.graph.tensor(i).shape for i in node.inputs}
    if len(shapes) != 1:
        raise fail(node, f"addends of different shapes {sorted(shapes)} are not quantized")
    rank = len(shapes.pop())
    terms = []
    for i in node.inputs:
        q, p = e.q(i, node)
        terms.append(Term(q, p.scale, 1.0, int(p.zero_point), p.qtype.container, rank))
    out = output_of(node, act)
    po = e.params(out)
    e.bind(out, requantize(e, terms, po, bounds_of(po, act), f"{out}.q"), po)


def concat(e: Emitter, node: Node, act: Activation | None) -> None:
    """Each input rescaled to the output's parameters (unless it has them already), then concatenated."""
    out = node.outputs[0]
    po = e.params(out)
    parts = []
    for i, name in enumerate(node.inputs):
        q, p = e.q(name, node)
        same = float(p.scale) == float(po.scale) and int(p.zero_point) == int(po.zero_point)
        term = Term(q, p.scale, 1.0, int(p.zero_point), p.qtype.container)
        parts.append(q if same else requantize(e, [term], po, (po.qtype.qmin, po.qtype.qmax), f"{out}.q.in{i}"))
    e.bind(out, e.node("Concat", parts, f"{out}.q", **node.attrs), po)


def passthrough(e: Emitter, node: Node, act: Activation | None) -> None:
    """Ops that move integers without arithmetic (MaxPool, Flatten, Reshape, ...): same parameters."""
    x, px = e.q(node.inputs[0], node)
    rest = [e.keep(i) if i else "" for i in node.inputs[1:]]
    e.bind(node.outputs[0], e.node(node.op_type, [x, *rest], f"{node.outputs[0]}.q", **node.attrs), px)


def clamp(e: Emitter, node: Node, act: Activation | None) -> None:
    """A ReLU or Clip not fused into a producer: a Clip on the integers (same parameters)."""
    x, px = e.q(node.inputs[0], node)
    lo, hi = activation_range(e.graph, node)
    bounds = px.bounds(lo, hi)
    if bounds == (px.qtype.qmin, px.qtype.qmax):
        e.bind(node.outputs[0], x, px)
    else:
        e.bind(node.outputs[0], clip(e, x, bounds, px.qtype.container, f"{node.outputs[0]}.q"), px)


def activation_range(graph: Graph, node: Node) -> tuple[float | None, float | None]:
    """The real range [lo, hi] that a Relu or Clip keeps."""
    if node.op_type == "Relu":
        return 0.0, None
    bounds = []
    for i, key in ((1, "min"), (2, "max")):
        v = constant(graph, node, i, key)
        bounds.append(float(v) if v is not None else node.attrs.get(key))
    return bounds[0], bounds[1]


def lookup(e: Emitter, node: Node, act: Activation | None) -> None:
    """An elementwise function as a table of every input integer's output integer: Gather(table, x − qmin)."""
    x, px = e.q(node.inputs[0], node)
    out = node.outputs[0]
    po, name = e.params(out), f"{out}.q"
    levels = np.arange(px.qtype.qmin, px.qtype.qmax + 1, dtype=np.int64)
    real = KERNELS[node.op_type]((levels - int(px.zero_point)) * np.float64(px.scale), **node.attrs)
    table = np.clip(np.rint(real / np.float64(po.scale)) + int(po.zero_point), po.qtype.qmin, po.qtype.qmax)
    index = e.node("Cast", [x], f"{name}.int32", to=e.onnx_type("int32"))
    if px.qtype.qmin:
        index = e.node("Sub", [index, e.const(f"{name}.qmin", np.asarray(px.qtype.qmin, np.int32))], f"{name}.index")
    e.bind(out, e.node("Gather", [e.const(f"{name}.table", table.astype(po.qtype.container)), index], name), po)


Lowering = Callable[[Emitter, Node, "Activation | None"], None]
LOWERINGS: dict[str, Lowering] = {
    "Conv": conv, "Gemm": gemm, "MatMul": gemm, "AveragePool": average_pool, "GlobalAveragePool": average_pool,
    "Add": add, "Concat": concat, "Relu": clamp, "Clip": clamp, "Sigmoid": lookup, "Tanh": lookup,
    "LeakyRelu": lookup, "MaxPool": passthrough, "GlobalMaxPool": passthrough, "Flatten": passthrough,
    "Reshape": passthrough, "Transpose": passthrough, "Identity": passthrough,
}
FUSES_ACTIVATION = ("Conv", "Gemm", "MatMul", "AveragePool", "GlobalAveragePool", "Add")


def lower(e: Emitter, node: Node, act: Activation | None) -> None:
    lowering = LOWERINGS.get(node.op_type)
    if lowering is None:
        raise NpukitError(f"node '{node.name}' ({node.op_type}): no integer kernel for this op; it cannot be quantized")
    lowering(e, node, act)
