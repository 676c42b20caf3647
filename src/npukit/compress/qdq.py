"""QDQ graphs to integer graphs: each DequantizeLinear → op → QuantizeLinear group becomes one
integer op, as ONNX Runtime's QDQ transformer fuses them on the CPU and as an NPU runs them.

A QDQ model (e.g. from `onnxruntime.quantization.quantize_static(quant_format=QDQ)`) writes every
quantized op in float between dequantize and quantize nodes; run as written, the float op's
rounding decides some integer outputs. `fuse_qdq` rewrites each group into the integer op of the
QOperator form (QLinearConv, QLinearMatMul, and ONNX Runtime's com.microsoft QGemm, QLinearAdd,
QLinearMul, QLinearAveragePool, QLinearGlobalAveragePool, QLinearSigmoid, QLinearLeakyRelu,
QLinearConcat), and runs data movement (MaxPool, Flatten, Reshape, …) on the integers directly
when its input and output share scale and zero point. A group it cannot fuse stays as written.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from npukit.compress.graph_edit import consumers, rebuild
from npukit.compress.passes import remove_dead_nodes
from npukit.ir import Graph, Node

MS = "com.microsoft."
QLINEAR = {"Conv": "QLinearConv", "MatMul": "QLinearMatMul", "Gemm": MS + "QGemm", "Add": MS + "QLinearAdd",
           "Mul": MS + "QLinearMul", "AveragePool": MS + "QLinearAveragePool",
           "GlobalAveragePool": MS + "QLinearGlobalAveragePool", "Sigmoid": MS + "QLinearSigmoid",
           "LeakyRelu": MS + "QLinearLeakyRelu", "Concat": MS + "QLinearConcat"}
MOVES = {"MaxPool", "Flatten", "Reshape", "Transpose", "Squeeze", "Unsqueeze"}  # commute with (de)quantization

Triple = tuple[str, str, str]  # integer tensor, scale, zero point


def fuse_qdq(graph: Graph) -> Graph:
    """`graph` with every fusable DequantizeLinear → op → QuantizeLinear group as one integer op."""
    producer = {o: n for n in graph.nodes for o in n.outputs if o}
    readers = consumers(graph)
    nodes, fused = [], 0
    for node in graph.nodes:
        new = fused_node(graph, node, producer, readers)
        nodes.append(new or node)
        fused += new is not None
    if not fused:
        return graph
    quantizes = {n.outputs[0] for n in nodes if n.op_type != "QuantizeLinear"}  # Q outputs now made by fused ops
    kept = [n for n in nodes if not (n.op_type == "QuantizeLinear" and n.outputs[0] in quantizes)]
    return remove_dead_nodes(rebuild(graph, kept))


def fused_node(graph: Graph, node: Node, producer: dict[str, Node], readers: dict[str, list[Node]]) -> Node | None:
    """The integer node that replaces `node` and the QuantizeLinear after it, or None."""
    if (node.op_type not in QLINEAR and node.op_type not in MOVES) or len(node.outputs) != 1:
        return None
    after = readers.get(node.outputs[0], [])
    if len(after) != 1 or after[0].op_type != "QuantizeLinear" or node.outputs[0] in graph.outputs:
        return None
    y = triple(graph, after[0].inputs, after[0].outputs[0])
    sources = [dequantized(graph, producer, name) for name in node.inputs]
    if node.op_type in MOVES:
        return moved(graph, node, sources, y)
    if y is None or not fusable(graph, node, sources) or not per_channel_ok(graph, node, producer):
        return None
    return BUILDERS.get(node.op_type, unary)(node, sources, y)  # type: ignore[arg-type]


def fusable(graph: Graph, node: Node, sources: list[Triple | None]) -> bool:
    """Every input dequantized: 8-bit operands with one scale (weights: one per channel), an int32
    bias; a Gemm's bias added as is (beta 1)."""
    if any(s is None for s in sources) or (node.op_type == "Gemm" and node.attrs.get("beta", 1.0) != 1.0):
        return False
    weighted = node.op_type in ("Conv", "MatMul", "Gemm")
    for k, s in enumerate(sources):
        bias = weighted and k == 2
        if graph.tensors[s[0]].dtype not in (("int32",) if bias else ("int8", "uint8")):  # type: ignore[index]
            return False
        if not (bias or (weighted and k == 1)) and graph.tensors[s[1]].size != 1:  # type: ignore[index]
            return False
    return not (weighted and len(sources) > 2 and not bias_matches(graph, *sources))  # type: ignore[misc]


def bias_matches(graph: Graph, x: Triple, w: Triple, b: Triple) -> bool:
    """The int32 bias can be added to the accumulator as it is: zero point 0, scale x_scale·w_scale."""
    x_scale, w_scale, b_scale = (np.asarray(graph.tensors[t[1]].value(), np.float32) for t in (x, w, b))
    return not np.any(graph.tensors[b[2]].value()) and np.allclose(b_scale, x_scale * w_scale, rtol=1e-6, atol=0)


def per_channel_ok(graph: Graph, node: Node, producer: dict[str, Node]) -> bool:
    """Per-channel weight scales lie along the output channels: axis 0 of a Conv's weights, the
    columns of a MatMul's B, the N axis of a Gemm's B (1, or 0 when transB)."""
    if node.op_type not in ("Conv", "MatMul", "Gemm") or graph.tensors[producer[node.inputs[1]].inputs[1]].size == 1:
        return True
    rank = len(graph.tensors[node.inputs[1]].shape)
    want = {"Conv": 0, "MatMul": rank - 1, "Gemm": 0 if node.attrs.get("transB", 0) else 1}[node.op_type]
    return producer[node.inputs[1]].attrs.get("axis", 1) % rank == want


def triple(graph: Graph, inputs: tuple[str, ...], out: str) -> Triple | None:
    """(integer tensor, scale, zero point) of a (De)QuantizeLinear with constant per-tensor parameters."""
    if len(inputs) < 3 or not inputs[2]:
        return None
    scale, zero = graph.tensors[inputs[1]], graph.tensors[inputs[2]]
    return (out, inputs[1], inputs[2]) if scale.is_constant and zero.is_constant else None


def dequantized(graph: Graph, producer: dict[str, Node], name: str) -> Triple | None:
    """(x, scale, zero point) of the DequantizeLinear that makes `name`, or None."""
    dq = producer.get(name)
    if dq is None or dq.op_type != "DequantizeLinear":
        return None
    return triple(graph, dq.inputs, dq.inputs[0])


def same_parameters(graph: Graph, a: Triple, b: Triple) -> bool:
    return all(np.array_equal(graph.tensors[x].value(), graph.tensors[y].value())
               for x, y in zip(a[1:], b[1:], strict=True))


def moved(graph: Graph, node: Node, sources: list[Triple | None], y: Triple | None) -> Node | None:
    """A data-movement op run on the integers (its other inputs, e.g. a shape, are kept)."""
    x = sources[0]
    if x is None or y is None or not same_parameters(graph, x, y):
        return None
    return Node(node.name, node.op_type, (x[0], *node.inputs[1:]), (y[0],), node.attrs)


def unary(node: Node, sources: list[Triple], y: Triple) -> Node:
    """One quantized input: x, x_scale, x_zero_point, y_scale, y_zero_point."""
    return Node(node.name, QLINEAR[node.op_type], (*sources[0], *y[1:]), (y[0],), node.attrs)


def binary(node: Node, sources: list[Triple], y: Triple) -> Node:
    """Conv, MatMul, Add, Mul: the two operands' triples, the output's scale and zero point (Conv: bias)."""
    ins = (*sources[0], *sources[1], *y[1:])
    if node.op_type == "Conv" and len(sources) > 2:
        ins += (sources[2][0],)
    return Node(node.name, QLINEAR[node.op_type], ins, (y[0],), node.attrs)


def gemm(node: Node, sources: list[Triple], y: Triple) -> Node:
    """QGemm: A, B triples, the int32 bias C (or ""), y_scale, y_zero_point."""
    bias = sources[2][0] if len(sources) > 2 else ""
    attrs = {k: v for k, v in node.attrs.items() if k != "beta"}
    return Node(node.name, QLINEAR["Gemm"], (*sources[0], *sources[1], bias, *y[1:]), (y[0],), attrs)


def concat(node: Node, sources: list[Triple], y: Triple) -> Node:
    """QLinearConcat: y_scale, y_zero_point, then each input's triple."""
    return Node(node.name, QLINEAR["Concat"], (*y[1:], *(i for s in sources for i in s)), (y[0],), node.attrs)


BUILDERS: dict[str, Callable[[Node, list[Triple], Triple], Node]] = {
    "Conv": binary, "MatMul": binary, "Add": binary, "Mul": binary, "Gemm": gemm, "Concat": concat}
