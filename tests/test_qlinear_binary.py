"""ONNX Runtime's com.microsoft QLinearAdd, QLinearMul, QLinearAveragePool, QLinearGlobalAveragePool and
QLinearConcat: npukit's import and NumPy kernels against ONNX Runtime's CPU kernels, element for element.

The oracle is ONNX Runtime running the same single-node model (graph optimizations off). Inputs span the
whole int8 / uint8 range (so outputs saturate), scales span three decades and zero points the whole type;
for the binary ops every pair of input values is tried. Shapes, dtypes and counts come from npukit.load.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import helper, numpy_helper

import npukit
from npukit.errors import NpukitError
from npukit.ir import Graph
from npukit.ir.ops import node_cost
from npukit.runtime import run

TYPES = [np.int8, np.uint8]
ONNX_TYPES = {np.dtype(np.int8): onnx.TensorProto.INT8, np.dtype(np.uint8): onnx.TensorProto.UINT8,
              np.dtype(np.float32): onnx.TensorProto.FLOAT}
Inputs = Sequence[tuple[str, np.ndarray | None]]


def single_node(op: str, inputs: Inputs, attrs: dict[str, Any] | None = None) -> onnx.ModelProto:
    """One com.microsoft node; inputs named x* are graph inputs, the others (scales, zero points) initializers."""
    feeds = [helper.make_tensor_value_info(n, ONNX_TYPES[v.dtype], v.shape) for n, v in inputs
             if v is not None and n.startswith("x")]
    constants = [numpy_helper.from_array(v, n) for n, v in inputs if v is not None and not n.startswith("x")]
    node = helper.make_node(op, [n if v is not None else "" for n, v in inputs], ["y"], domain="com.microsoft",
                            **(attrs or {}))
    output = helper.make_tensor_value_info("y", feeds[0].type.tensor_type.elem_type, None)  # the operands' type
    graph = helper.make_graph([node], op, feeds, [output], constants)
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
    return helper.make_model(graph, opset_imports=opsets)


def load(tmp_path: Path, model: onnx.ModelProto) -> Graph:
    path = tmp_path / f"{model.graph.name}.onnx"
    onnx.save(model, path)
    return npukit.load(path)


def session(model: onnx.ModelProto) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL  # run the node as written
    return ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])


def assert_equal_onnxruntime(tmp_path: Path, model: onnx.ModelProto, feeds: list[dict[str, np.ndarray]]) -> None:
    """npukit's output identical to ORT's (values, dtype and shape) on every feed."""
    graph, oracle = load(tmp_path, model), session(model)
    for feed in feeds:
        ours, (theirs,) = run(graph, feed, ["y"])["y"], oracle.run(["y"], feed)
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
        differ = np.flatnonzero(ours != theirs)
        assert differ.size == 0, f"{differ.size} of {ours.size} differ, first at {differ[0]}: " \
                                 f"{ours.flat[differ[0]]} vs ORT's {theirs.flat[differ[0]]}"


def full_range(rng: np.random.Generator, shape: tuple[int, ...], dtype: type) -> np.ndarray:
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max + 1, shape).astype(dtype)


def scale(rng: np.random.Generator) -> np.ndarray:
    return np.array(10 ** rng.uniform(-3, 0), np.float32)


def zero_point(rng: np.random.Generator, dtype: type) -> np.ndarray:
    info = np.iinfo(dtype)
    return np.array(rng.integers(info.min, info.max + 1), dtype)


def binary(op: str, a: np.ndarray, b: np.ndarray, params: Sequence[np.ndarray | None]) -> onnx.ModelProto:
    """QLinearAdd / QLinearMul with params = (a_scale, a_zero_point, b_scale, b_zero_point, c_scale, c_zero_point)."""
    names = ["sa", "za", "xb", "sb", "zb", "sc", "zc"]
    values = [params[0], params[1], b, params[2], params[3], params[4], *params[5:]]  # C_zero_point optional
    return single_node(op, [("xa", a), *zip(names, values, strict=False)])


def random_params(rng: np.random.Generator, dtype: type) -> list[np.ndarray]:
    return [scale(rng), zero_point(rng, dtype), scale(rng), zero_point(rng, dtype), scale(rng), zero_point(rng, dtype)]


BROADCASTS = [((2, 3, 4, 5), (2, 3, 4, 5)), ((2, 3, 4, 5), (5,)), ((2, 3, 4, 5), (1, 3, 1, 1)), ((3, 1), (1, 4)),
              ((1, 4), (3, 1)), ((5, 1), (1,)), ((1,), (5, 1)), ((), (3, 4)), ((3, 4), ()), ((7, 1, 3), (7, 5, 1)),
              ((1,), (1,)), ((1, 3, 17, 19), (1, 3, 17, 19))]


@pytest.mark.parametrize("dtype", TYPES)
@pytest.mark.parametrize("op", ["QLinearAdd", "QLinearMul"])
@pytest.mark.parametrize(("shape_a", "shape_b"), BROADCASTS)
def test_binary_broadcasting_equals_onnxruntime(tmp_path: Path, op: str, dtype: type, shape_a: tuple[int, ...],
                                                shape_b: tuple[int, ...]) -> None:
    for seed in range(3):
        rng = np.random.default_rng(seed)
        a, b = full_range(rng, shape_a, dtype), full_range(rng, shape_b, dtype)
        model = binary(op, a, b, random_params(rng, dtype))
        assert_equal_onnxruntime(tmp_path, model, [{"xa": full_range(rng, shape_a, dtype),
                                                    "xb": full_range(rng, shape_b, dtype)} for _ in range(3)])


@pytest.mark.parametrize("dtype", TYPES)
@pytest.mark.parametrize("op", ["QLinearAdd", "QLinearMul"])
def test_binary_every_pair_of_values_equals_onnxruntime(tmp_path: Path, op: str, dtype: type) -> None:
    """All 65,536 (a, b) pairs, elementwise and with either input broadcast (ORT's AVX2 QLinearAdd rounds
    differently when an input is broadcast: its contribution is folded into the constant first)."""
    info = np.iinfo(dtype)
    values = np.arange(info.min, info.max + 1).astype(dtype)
    layouts = [(np.repeat(values, 256), np.tile(values, 256)), (values.reshape(256, 1), values.reshape(1, 256)),
               (values.reshape(1, 256), values.reshape(256, 1))]
    for seed in range(24):  # a float32 multiply-add instead of MLAS's FMAs differs in ~1 pair in 65,536
        params = random_params(np.random.default_rng(100 + seed), dtype)
        for a, b in layouts:
            assert_equal_onnxruntime(tmp_path, binary(op, a, b, params), [{"xa": a, "xb": b}])


@pytest.mark.parametrize("dtype", TYPES)
@pytest.mark.parametrize("op", ["QLinearAdd", "QLinearMul"])
def test_binary_without_output_zero_point_equals_onnxruntime(tmp_path: Path, op: str, dtype: type) -> None:
    """C_zero_point absent: 0, and the output has the operands' type. (ORT's type inference refuses a model
    without A_zero_point or B_zero_point, although the schema marks them optional.)"""
    rng = np.random.default_rng(3)
    a, b = full_range(rng, (4, 33), dtype), full_range(rng, (33,), dtype)
    model = binary(op, a, b, [scale(rng), zero_point(rng, dtype), scale(rng), zero_point(rng, dtype), scale(rng)])
    assert_equal_onnxruntime(tmp_path, model, [{"xa": a, "xb": b}])


def test_rounding_ties_go_to_even_as_in_onnxruntime(tmp_path: Path) -> None:
    """Power-of-two scales put exact halves before rounding: ORT and npukit round them to even (np.round)."""
    a = np.arange(-128, 128).astype(np.int8)
    b = np.full(256, 3, np.int8)
    half, one, two, zero = (np.array(v, np.float32) for v in (0.5, 1.0, 2.0, 0.0))
    zero = zero.astype(np.int8)
    cases = [  # (model, feed, the exact value before rounding, in float64)
        (binary("QLinearAdd", a, b, [half, zero, half, zero, one, zero]), {"xa": a, "xb": b}, (a.astype(int) + 3) / 2),
        (binary("QLinearMul", a, b, [half, zero, half, zero, one, zero]), {"xa": a, "xb": b}, 0.75 * a),
        (single_node("QLinearConcat", [("sy", two), ("zy", zero), ("x0", a), ("s0", one), ("z0", zero)],
                     {"axis": 0}), {"x0": a}, a / 2),
    ]
    x = np.array([[[[1, 2, 1, 0], [3, 4, 0, 0]]]], np.int8)  # 2×2 windows: sums 10 and 1, means 2.5 and 0.25
    scales = [("sx", one), ("zx", zero), ("sy", one), ("zy", zero)]
    cases += [(single_node("QLinearAveragePool", [("x", x), *scales], {"kernel_shape": [2, 2], "strides": [2, 2]}),
               {"x": x}, np.array([2.5, 0.25])),
              (single_node("QLinearGlobalAveragePool", [("x", x[..., :2]), *scales]), {"x": x[..., :2]},
               np.array([2.5]))]
    for model, feed, exact in cases:
        assert (exact % 1 == 0.5).any()
        assert_equal_onnxruntime(tmp_path, model, [feed])
        assert np.array_equal(run(load(tmp_path, model), feed, ["y"])["y"].ravel(), np.round(exact))


POOLS = [
    ((1, 3, 8, 8), {"kernel_shape": [3, 3]}),
    ((1, 3, 8, 8), {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1]}),
    ((1, 3, 8, 8), {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1], "count_include_pad": 1}),
    ((2, 4, 9, 7), {"kernel_shape": [3, 2], "strides": [2, 2], "pads": [1, 0, 1, 1], "ceil_mode": 1}),
    ((2, 4, 9, 7), {"kernel_shape": [3, 2], "strides": [2, 2], "pads": [1, 0, 1, 1], "ceil_mode": 1,
                    "count_include_pad": 1}),
    ((2, 4, 10, 10), {"kernel_shape": [3, 3], "strides": [2, 2], "ceil_mode": 1, "count_include_pad": 1}),
    ((1, 2, 5, 5), {"kernel_shape": [2, 2], "strides": [2, 2], "pads": [1, 1, 1, 1], "ceil_mode": 1,
                    "count_include_pad": 1}),
    ((1, 5, 7, 7), {"kernel_shape": [2, 2], "strides": [2, 2], "auto_pad": "SAME_UPPER", "count_include_pad": 1}),
    ((1, 5, 7, 7), {"kernel_shape": [2, 2], "strides": [2, 2], "auto_pad": "SAME_LOWER"}),
    ((1, 5, 7, 7), {"kernel_shape": [3, 3], "auto_pad": "VALID"}),
    ((1, 64, 7, 7), {"kernel_shape": [7, 7]}),  # the whole image: ORT's global average pool
    ((1, 3, 20), {"kernel_shape": [4], "strides": [3], "pads": [2, 2], "count_include_pad": 1}),
    ((1, 2, 5, 6, 7), {"kernel_shape": [2, 3, 2], "strides": [1, 2, 2], "pads": [0, 1, 1, 1, 1, 0]}),
    ((1, 8, 8, 3), {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1], "channels_last": 1}),
    ((1, 9, 9, 3), {"kernel_shape": [3, 3], "strides": [2, 2], "ceil_mode": 1, "count_include_pad": 1,
                    "channels_last": 1}),
    ((1, 7, 7, 16), {"kernel_shape": [7, 7], "channels_last": 1}),
]


def pool_model(op: str, x: np.ndarray, rng: np.random.Generator, attrs: dict[str, Any]) -> onnx.ModelProto:
    dtype = x.dtype.type
    inputs = [("x", x), ("sx", scale(rng)), ("zx", zero_point(rng, dtype)), ("sy", scale(rng)),
              ("zy", zero_point(rng, dtype))]
    return single_node(op, inputs, attrs)


@pytest.mark.parametrize("dtype", TYPES)
@pytest.mark.parametrize(("shape", "attrs"), POOLS)
def test_average_pool_equals_onnxruntime(tmp_path: Path, dtype: type, shape: tuple[int, ...],
                                         attrs: dict[str, Any]) -> None:
    for seed in range(4):
        rng = np.random.default_rng(seed)
        model = pool_model("QLinearAveragePool", full_range(rng, shape, dtype), rng, attrs)
        assert_equal_onnxruntime(tmp_path, model, [{"x": full_range(rng, shape, dtype)} for _ in range(2)])


@pytest.mark.parametrize("dtype", TYPES)
@pytest.mark.parametrize(("shape", "channels_last"), [((1, 64, 7, 7), 0), ((1, 1000, 1, 1), 0), ((2, 3, 30, 40), 0),
                                                      ((2, 9, 5), 0), ((1, 2, 3, 4, 5), 0), ((1, 7, 7, 64), 1),
                                                      ((2, 4, 4, 10), 1), ((1, 5, 5, 1), 1)])
def test_global_average_pool_equals_onnxruntime(tmp_path: Path, dtype: type, shape: tuple[int, ...],
                                                channels_last: int) -> None:
    for seed in range(4):
        rng = np.random.default_rng(seed)
        x = full_range(rng, shape, dtype)
        model = pool_model("QLinearGlobalAveragePool", x, rng, {"channels_last": channels_last})
        assert_equal_onnxruntime(tmp_path, model, [{"x": full_range(rng, shape, dtype)} for _ in range(2)])


def test_global_average_pool_refuses_what_onnxruntime_refuses(tmp_path: Path) -> None:
    """sX / (sY · pixels) ≥ 256 is outside MLAS's computation range: ORT fails, and so does npukit."""
    x = np.zeros((1, 2, 2, 2), np.uint8)
    big, small, zero = np.array(100.0, np.float32), np.array(0.01, np.float32), np.array(0, np.uint8)
    model = single_node("QLinearGlobalAveragePool", [("x", x), ("sx", big), ("zx", zero), ("sy", small), ("zy", zero)])
    with pytest.raises(Exception, match="out of computation range"):
        session(model).run(["y"], {"x": x})
    with pytest.raises(NpukitError, match=r"QLinearGlobalAveragePool\): .*computation range"):
        run(load(tmp_path, model), {"x": x}, ["y"])


@pytest.mark.parametrize("dtype", TYPES)
@pytest.mark.parametrize(("shapes", "axis"), [([(1, 2, 4, 4), (1, 3, 4, 4)], 1), ([(2, 3), (2, 5), (2, 1)], -1),
                                              ([(1, 4, 2, 3), (1, 4, 2, 3), (1, 4, 2, 1)], 3)])
def test_concat_equals_onnxruntime(tmp_path: Path, dtype: type, shapes: list[tuple[int, ...]], axis: int) -> None:
    """Inputs at their own scales and zero points, one at the output's (ORT copies that one)."""
    for seed in range(4):
        rng = np.random.default_rng(seed)
        y_scale, y_zero = scale(rng), zero_point(rng, dtype)
        inputs: list[tuple[str, np.ndarray | None]] = [("sy", y_scale), ("zy", y_zero)]
        for i, shape in enumerate(shapes):
            own = (y_scale, y_zero) if i == 1 else (scale(rng), zero_point(rng, dtype))
            inputs += [(f"x{i}", full_range(rng, shape, dtype)), (f"s{i}", own[0]), (f"z{i}", own[1])]
        model = single_node("QLinearConcat", inputs, {"axis": axis})
        feeds = [{f"x{i}": full_range(rng, s, dtype) for i, s in enumerate(shapes)} for _ in range(2)]
        assert_equal_onnxruntime(tmp_path, model, feeds)


def test_concat_requantizes_every_value_as_onnxruntime(tmp_path: Path) -> None:
    """Every int8 / uint8 value through QLinearConcat's table, for many scale pairs."""
    for dtype in TYPES:
        info = np.iinfo(dtype)
        x = np.arange(info.min, info.max + 1).astype(dtype)
        for seed in range(10):
            rng = np.random.default_rng(seed)
            inputs = [("sy", scale(rng)), ("zy", zero_point(rng, dtype)), ("x0", x), ("s0", scale(rng)),
                      ("z0", zero_point(rng, dtype))]
            assert_equal_onnxruntime(tmp_path, single_node("QLinearConcat", inputs, {"axis": 0}), [{"x0": x}])


def float_twin_cost(tmp_path: Path, op: str, shapes: list[tuple[int, ...]], attrs: dict[str, Any]) -> int:
    """other_ops of the float op on the same shapes, as npukit counts it."""
    feeds = [helper.make_tensor_value_info(f"x{i}", onnx.TensorProto.FLOAT, s) for i, s in enumerate(shapes)]
    node = helper.make_node(op, [f"x{i}" for i in range(len(shapes))], ["y"], **attrs)
    graph = helper.make_graph([node], f"float-{op}", feeds,
                              [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)])
    model = load(tmp_path, helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]))
    return node_cost(model.nodes[0], model.node_inputs(model.nodes[0]), model.node_outputs(model.nodes[0])).other_ops


def quantized_models() -> list[tuple[onnx.ModelProto, tuple[int, ...], str, list[tuple[int, ...]], dict[str, Any]]]:
    """(model, output shape, float twin, twin's input shapes, twin's attributes)."""
    rng = np.random.default_rng(0)
    a, b = np.zeros((2, 3, 4), np.uint8), np.zeros((3, 1), np.uint8)
    x, nhwc = np.zeros((1, 4, 9, 9), np.int8), np.zeros((1, 9, 9, 4), np.int8)
    window = {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}
    concat = [("sy", scale(rng)), ("zy", np.array(0, np.int8)), ("x0", x), ("s0", scale(rng)),
              ("z0", np.array(1, np.int8)), ("x1", x[:, :2]), ("s1", scale(rng)), ("z1", np.array(2, np.int8))]
    return [
        (binary("QLinearAdd", a, b, random_params(rng, np.uint8)), (2, 3, 4), "Add", [(2, 3, 4), (3, 1)], {}),
        (binary("QLinearMul", a, b, random_params(rng, np.uint8)), (2, 3, 4), "Mul", [(2, 3, 4), (3, 1)], {}),
        (pool_model("QLinearAveragePool", x, rng, window), (1, 4, 5, 5), "AveragePool", [x.shape], window),
        (pool_model("QLinearAveragePool", nhwc, rng, {**window, "channels_last": 1}), (1, 5, 5, 4), "AveragePool",
         [x.shape], window),
        (pool_model("QLinearGlobalAveragePool", x, rng, {}), (1, 4, 1, 1), "GlobalAveragePool", [x.shape], {}),
        (pool_model("QLinearGlobalAveragePool", nhwc, rng, {"channels_last": 1}), (1, 1, 1, 4), "GlobalAveragePool",
         [x.shape], {}),
        (single_node("QLinearConcat", concat, {"axis": 1}), (1, 6, 9, 9), "Concat", [x.shape, x[:, :2].shape],
         {"axis": 1}),
    ]


@pytest.mark.parametrize("case", range(7))
def test_shapes_dtypes_and_costs(tmp_path: Path, case: int) -> None:
    """Output shape and dtype from npukit's shape rules (ORT agrees); the float twin's count, modeled, no MACs."""
    model, shape, twin, twin_shapes, twin_attrs = quantized_models()[case]
    graph = load(tmp_path, model)
    (node,) = graph.nodes
    y = graph.tensors["y"]
    x = model.graph.input[0]
    assert y.shape == shape and y.dtype == onnx.helper.tensor_dtype_to_np_dtype(x.type.tensor_type.elem_type).name
    feed = {i.name: np.zeros([d.dim_value for d in i.type.tensor_type.shape.dim],
                             onnx.helper.tensor_dtype_to_np_dtype(i.type.tensor_type.elem_type))
            for i in model.graph.input}
    assert session(model).run(["y"], feed)[0].shape == shape
    cost = node_cost(node, graph.node_inputs(node), graph.node_outputs(node))
    assert cost.modeled and cost.macs == 0 and cost.weights == 0
    assert cost.other_ops == float_twin_cost(tmp_path, twin, twin_shapes, twin_attrs)
    assert cost.other_ops > 0 or twin == "Concat"  # Concat moves data: no arithmetic, as for the float Concat
    (layer,) = npukit.analyze(str(tmp_path / f"{model.graph.name}.onnx")).layers
    assert layer.modeled and layer.other_ops == cost.other_ops


def test_per_channel_scale_is_an_error_naming_the_node(tmp_path: Path) -> None:
    """ORT's kernels read one scale per tensor; npukit refuses a per-channel one instead of guessing."""
    a = np.zeros((1, 3), np.int8)
    params = [np.array([0.1, 0.2, 0.3], np.float32), np.array(0, np.int8), np.array(0.1, np.float32),
              np.array(0, np.int8), np.array(0.1, np.float32), np.array(0, np.int8)]
    graph = load(tmp_path, binary("QLinearAdd", a, a, params))
    with pytest.raises(NpukitError, match=r"com\.microsoft\.QLinearAdd\): .*per-tensor"):
        run(graph, {"xa": a, "xb": a}, ["y"])
