"""The IR: shape rules against ONNX's own shape inference, LoopNest, costs and graph errors."""

from __future__ import annotations

import itertools

import onnx
import pytest
from onnx import TensorProto, helper

from npukit.errors import NpukitError
from npukit.ir import Fill, Graph, LoopNest, Node, Tensor, node_cost


def onnx_output_shape(op: str, x: tuple[int, ...], w: tuple[int, ...] | None, **attrs: object) -> tuple[int, ...]:
    """The output shape ONNX's shape inference gives for one node (the oracle)."""
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, x)]
    names = ["x"]
    if w is not None:
        inputs.append(helper.make_tensor_value_info("w", TensorProto.FLOAT, w))
        names.append("w")
    node = helper.make_node(op, names, ["y"], **attrs)
    graph = helper.make_graph([node], "g", inputs, [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    model = onnx.shape_inference.infer_shapes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]))
    dims = model.graph.output[0].type.tensor_type.shape.dim
    return tuple(d.dim_value for d in dims)


def npukit_output_shape(op: str, x: tuple[int, ...], w: tuple[int, ...] | None, **attrs: object) -> tuple[int, ...]:
    constants = [Tensor("w", w, init=Fill(0.0))] if w else []
    node = Node("n", op, ("x", "w") if w else ("x",), ("y",), attrs)
    return Graph.build("g", [Tensor("x", x)], constants, [node], ["y"]).tensors["y"].shape


CONV_CASES = [
    dict(zip(("strides", "pads", "dilations", "group"), case, strict=True))
    for case in itertools.product(
        [[1, 1], [2, 2], [3, 2]], [[0, 0, 0, 0], [1, 1, 1, 1], [2, 0, 1, 3]], [[1, 1], [2, 2]], [1, 2]
    )
]


@pytest.mark.parametrize("attrs", CONV_CASES)
def test_conv_shape_matches_onnx(attrs: dict[str, object]) -> None:
    x, w = (2, 4, 17, 15), (6, 4 // int(attrs["group"]), 3, 3)  # type: ignore[call-overload]
    assert npukit_output_shape("Conv", x, w, **attrs) == onnx_output_shape("Conv", x, w, **attrs)


@pytest.mark.parametrize("auto_pad", ["SAME_UPPER", "SAME_LOWER", "VALID"])
@pytest.mark.parametrize("stride", [1, 2, 3])
def test_conv_auto_pad_matches_onnx(auto_pad: str, stride: int) -> None:
    x, w = (1, 3, 16, 11), (5, 3, 4, 3)
    attrs = {"auto_pad": auto_pad, "strides": [stride, stride]}
    assert npukit_output_shape("Conv", x, w, **attrs) == onnx_output_shape("Conv", x, w, **attrs)


@pytest.mark.parametrize("op", ["MaxPool", "AveragePool"])
@pytest.mark.parametrize("ceil_mode", [0, 1])
@pytest.mark.parametrize(("kernel", "stride", "pad"), [(3, 2, 0), (3, 2, 1), (2, 2, 0), (3, 1, 1), (5, 3, 2)])
def test_pool_shape_matches_onnx(op: str, ceil_mode: int, kernel: int, stride: int, pad: int) -> None:
    attrs = {"kernel_shape": [kernel] * 2, "strides": [stride] * 2, "pads": [pad] * 4, "ceil_mode": ceil_mode}
    for size in (13, 14, 56, 112):
        x = (1, 8, size, size)
        assert npukit_output_shape(op, x, None, **attrs) == onnx_output_shape(op, x, None, **attrs)


def test_gemm_and_matmul_shapes_match_onnx() -> None:
    assert npukit_output_shape("Gemm", (4, 7), (5, 7), transB=1) == onnx_output_shape("Gemm", (4, 7), (5, 7), transB=1)
    for a, b in [((2, 3, 4, 5), (5, 6)), ((5,), (5, 2)), ((3, 4, 5), (3, 5, 2)), ((1, 4, 5), (7, 5, 6))]:
        assert npukit_output_shape("MatMul", a, b) == onnx_output_shape("MatMul", a, b)


def test_loopnest_of_a_grouped_conv() -> None:
    node = Node("c", "Conv", ("x", "w"), ("y",), {"strides": [2, 2], "pads": [1, 1, 1, 1], "group": 4})
    g = Graph.build("g", [Tensor("x", (2, 8, 10, 10))], [Tensor("w", (16, 2, 3, 3), init=Fill(1.0))], [node], ["y"])
    cost = node_cost(node, g.node_inputs(node), g.node_outputs(node))
    nest = cost.loopnest
    assert nest == LoopNest(N=2, M=16, C=8, H=10, W=10, R=3, S=3, E=5, F=5, stride=(2, 2), pads=(1, 1, 1, 1), G=4)
    assert cost.macs == 2 * 16 * 5 * 5 * 2 * 3 * 3  # N·M·E·F·(C/G)·R·S
    assert cost.weights == cost.params == 16 * 2 * 3 * 3
    assert (cost.activations_in, cost.activations_out) == (2 * 8 * 100, 2 * 16 * 25)


def test_depthwise_conv_is_g_equals_c() -> None:
    node = Node("dw", "Conv", ("x", "w"), ("y",), {"pads": [1, 1, 1, 1], "group": 32})
    g = Graph.build("g", [Tensor("x", (1, 32, 8, 8))], [Tensor("w", (32, 1, 3, 3), init=Fill(1.0))], [node], ["y"])
    cost = node_cost(node, g.node_inputs(node), g.node_outputs(node))
    assert cost.macs == 32 * 8 * 8 * 9 and cost.loopnest is not None and cost.loopnest.G == 32


def test_loopnest_rejects_groups_that_do_not_divide() -> None:
    with pytest.raises(ValueError, match="multiples of G"):
        LoopNest(N=1, M=6, C=4, H=1, W=1, R=1, S=1, E=1, F=1, G=4)


def test_unknown_op_is_not_modeled_not_zero() -> None:
    node = Node("e", "Erf", ("x",), ("y",))
    known = {"y": Tensor("y", (1, 4))}
    g = Graph.build("g", [Tensor("x", (1, 4))], [], [node], ["y"], known=known)
    cost = node_cost(node, g.node_inputs(node), g.node_outputs(node))
    assert cost.modeled is False


def test_graph_errors_name_the_node_and_tensor() -> None:
    x = [Tensor("x", (1, 4))]
    with pytest.raises(NpukitError, match=r"node 'r' .* reads tensor 'missing'"):
        Graph.build("g", x, [], [Node("r", "Relu", ("missing",), ("y",))], ["y"])
    cycle = [Node("a", "Relu", ("b_out",), ("a_out",)), Node("b", "Relu", ("a_out",), ("b_out",))]
    with pytest.raises(NpukitError, match="cycle through node"):
        Graph.build("g", x, [], cycle, ["a_out"])
    with pytest.raises(NpukitError, match=r"unknown attribute.*'alpha'"):
        Graph.build("g", x, [], [Node("r", "Relu", ("x",), ("y",), {"alpha": 1})], ["y"])
    with pytest.raises(NpukitError, match=r"op 'Foo' is not modeled .* output 'y' is unknown"):
        Graph.build("g", x, [], [Node("f", "Foo", ("x",), ("y",))], ["y"])
    with pytest.raises(NpukitError, match="window does not fit"):
        npukit_output_shape("MaxPool", (1, 1, 2, 2), None, kernel_shape=[3, 3])


def test_nodes_are_sorted_topologically() -> None:
    nodes = [Node("b", "Relu", ("a_out",), ("b_out",)), Node("a", "Relu", ("x",), ("a_out",))]
    g = Graph.build("g", [Tensor("x", (3,))], [], nodes, ["b_out"])
    assert [n.name for n in g.nodes] == ["a", "b"]
