"""ONNX import: unmodeled ops, dynamic inputs, legacy opsets, folding, and one-line errors for bad files.

Oracles: ONNX shape inference and ONNX Runtime. Legacy forms (opset 7-12) are checked by running
the original file and npukit's re-export of it at opset 17 in ONNX Runtime: the outputs must agree.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from npukit.analysis import analyze
from npukit.errors import NpukitError
from npukit.frontends.onnx import load, to_onnx

FLOAT = TensorProto.FLOAT


def make_model(
    nodes: list[onnx.NodeProto],
    inputs: dict[str, Any],
    outputs: list[str],
    initializers: dict[str, np.ndarray] | None = None,
    opset: int = 17,
) -> onnx.ModelProto:
    """A model whose inputs are float tensors of the given shapes (None: unknown rank)."""
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info(n, FLOAT, s) for n, s in inputs.items()],
        [helper.make_tensor_value_info(n, FLOAT, None) for n in outputs],
        [numpy_helper.from_array(v, n) for n, v in (initializers or {}).items()],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def weights(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def run(model: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)


def save(model: onnx.ModelProto, tmp_path: Path, name: str = "model.onnx") -> Path:
    path = tmp_path / name
    path.write_bytes(model.SerializeToString())
    return path


def conv_erf_model(op: str = "Erf", opset: int = 17) -> onnx.ModelProto:
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node(op, ["c"], ["e"], name="act"),
        helper.make_node("Relu", ["e"], ["y"], name="relu"),
    ]
    return make_model(nodes, {"x": (1, 3, 8, 8)}, ["y"], {"w": weights(4, 3, 3, 3)}, opset)


@pytest.mark.parametrize(("op", "opset"), [("Erf", 17), ("Gelu", 20)])
def test_an_op_npukit_does_not_model_is_listed_as_not_modeled(op: str, opset: int) -> None:
    model = conv_erf_model(op, opset)
    inferred = onnx.shape_inference.infer_shapes(model)
    (info,) = [vi for vi in inferred.graph.value_info if vi.name == "e"]
    onnx_shape = tuple(d.dim_value for d in info.type.tensor_type.shape.dim)

    report = analyze(load(model))
    layer = {x.name: x for x in report.layers}["act"]
    assert not layer.modeled and layer.op == op
    assert layer.output_shapes == (onnx_shape,)
    assert report.totals()["not_modeled"] == [f"act ({op})"]
    assert [x.name for x in report.layers] == ["conv", "act", "relu"]  # nothing dropped
    assert report.total("macs") == 4 * 8 * 8 * 3 * 3 * 3  # the Conv's M·E·F·C·R·S
    onnx.checker.check_model(to_onnx(load(model), opset=opset), full_check=True)  # and it exports again


def dynamic_model() -> onnx.ModelProto:
    """Flattens with Reshape(x, Concat(Gather(Shape(x), 0), [-1])), as exporters write it."""
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], name="conv"),
        helper.make_node("Shape", ["c"], ["s"], name="shape"),
        helper.make_node("Gather", ["s", "zero"], ["n"], name="gather", axis=0),
        helper.make_node("Unsqueeze", ["n", "zero_axes"], ["n1"], name="unsqueeze"),
        helper.make_node("Concat", ["n1", "minus_one"], ["target"], name="concat", axis=0),
        helper.make_node("Reshape", ["c", "target"], ["flat"], name="reshape"),
        helper.make_node("Gemm", ["flat", "fc"], ["y"], name="fc", transB=1),
    ]
    init = {
        "w": weights(4, 3, 3, 3),
        "zero": np.array(0, np.int64),
        "zero_axes": np.array([0], np.int64),
        "minus_one": np.array([-1], np.int64),
        "fc": weights(5, 4 * 6 * 6),
    }
    return make_model(nodes, {"x": ("batch", 3, 8, 8)}, ["y"], init)


def test_dynamic_input_needs_a_shape(tmp_path: Path) -> None:
    path = save(dynamic_model(), tmp_path)
    with pytest.raises(NpukitError) as e:
        load(path)
    assert str(e.value).startswith(f"{path}: graph input 'x' has a dynamic shape (?x3x8x8)")
    assert "--input-shape x=1x3x8x8" in str(e.value) and "\n" not in str(e.value)


def test_fixed_dynamic_input_folds_the_shape_arithmetic(tmp_path: Path) -> None:
    model = dynamic_model()
    graph = load(save(model, tmp_path), input_shapes={"x": (3, 3, 8, 8)})
    (y,) = run(model, {"x": np.zeros((3, 3, 8, 8), np.float32)})
    assert graph.tensors["y"].shape == y.shape
    assert [n.op_type for n in graph.nodes] == ["Conv", "Reshape", "Gemm"]  # Shape → Concat became a constant
    report = analyze(graph)
    assert report.totals()["not_modeled"] == []
    assert report.total("macs") == 3 * (4 * 6 * 6 * 3 * 3 * 3 + 4 * 6 * 6 * 5)


def test_input_shape_that_contradicts_the_file_is_an_error(tmp_path: Path) -> None:
    path = save(dynamic_model(), tmp_path)
    with pytest.raises(NpukitError, match=r"graph input 'x' has shape \?x3x8x8; the given shape \(1, 3, 9, 9\)"):
        load(path, input_shapes={"x": (1, 3, 9, 9)})
    with pytest.raises(NpukitError, match="'image', which is not a graph input"):
        load(path, input_shapes={"image": (1, 3, 8, 8)})


def assert_same_in_onnx_runtime(model: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> None:
    """The original model and npukit's import of it, re-exported at opset 17, compute the same."""
    again = to_onnx(load(model), opset=17)
    onnx.checker.check_model(again, full_check=True)
    for ours, theirs in zip(run(again, feeds), run(model, feeds), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("opset", [7, 11])
def test_legacy_softmax_normalizes_over_the_flattened_axes(opset: int) -> None:
    nodes = [
        helper.make_node("Softmax", ["x"], ["a"], name="default_axis"),  # axis 1 before opset 13
        helper.make_node("LogSoftmax", ["x"], ["b"], name="axis2", axis=2),
    ]
    model = make_model(nodes, {"x": (2, 3, 4, 5)}, ["a", "b"], opset=opset)
    assert_same_in_onnx_runtime(model, {"x": weights(2, 3, 4, 5)})


def test_legacy_attribute_forms_compute_the_same() -> None:
    """Opset 7-10 Clip min/max, Dropout ratio and Pad pads/value as attributes; Softmax's axis default."""
    nodes = [
        helper.make_node("Gemm", ["x", "w", "b"], ["g"], name="fc", transB=1),
        helper.make_node("Clip", ["g"], ["c"], name="clip", min=-0.5, max=0.75),
        helper.make_node("Dropout", ["c"], ["d"], name="drop", ratio=0.3),
        helper.make_node("Pad", ["d"], ["p"], name="pad", pads=[0, 1, 0, 2], value=0.25),
        helper.make_node("Softmax", ["p"], ["y"], name="softmax"),
    ]
    model = make_model(nodes, {"x": (2, 6)}, ["y"], {"w": weights(4, 6), "b": weights(4, seed=1)}, opset=10)
    assert_same_in_onnx_runtime(model, {"x": weights(2, 6, seed=2)})


# ---- bad input: one line, naming the file and the node or tensor ----


def expect_error(source: Any, *fragments: str) -> str:
    with pytest.raises(NpukitError) as e:
        load(source)
    message = str(e.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message
    return message


def test_truncated_file(tmp_path: Path) -> None:
    data = conv_erf_model().SerializeToString()
    path = tmp_path / "truncated.onnx"
    path.write_bytes(data[: len(data) // 2])
    assert expect_error(path, "not a valid ONNX model").startswith(f"{path}: ")


def test_random_bytes(tmp_path: Path) -> None:
    path = tmp_path / "random.onnx"
    path.write_bytes(random.Random(0).randbytes(4000))
    assert expect_error(path, "not a valid ONNX model").startswith(f"{path}: ")
    assert expect_error(path.read_bytes(), "not a valid ONNX model").startswith("<bytes>: ")


def test_missing_file(tmp_path: Path) -> None:
    expect_error(tmp_path / "absent.onnx", "absent.onnx: no such file")


def test_missing_initializer(tmp_path: Path) -> None:
    model = conv_erf_model()
    del model.graph.initializer[:]
    path = save(model, tmp_path)
    expect_error(path, f"{path}: ", "node 'conv' (Conv)", "tensor 'w'")


def test_cycle(tmp_path: Path) -> None:
    nodes = [
        helper.make_node("Add", ["x", "b"], ["a"], name="first"),
        helper.make_node("Relu", ["a"], ["b"], name="second"),
    ]
    path = save(make_model(nodes, {"x": (1, 4)}, ["b"]), tmp_path)
    expect_error(path, f"{path}: ", "cycle", "first", "second")


@pytest.mark.parametrize(
    ("attrs", "fragment"),
    [
        ({"group": 0}, "group=0"),
        ({"kernel_shape": [5, 5]}, "kernel_shape [5, 5] does not match weight shape"),
        ({"strides": [0, 1]}, "strides"),
        ({"auto_pad": "SAME"}, "auto_pad 'SAME'"),
        ({"stride": [2, 2]}, "unknown attribute(s) ['stride']"),
    ],
)
def test_invalid_attribute(tmp_path: Path, attrs: dict[str, Any], fragment: str) -> None:
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="conv", **attrs)
    path = save(make_model([node], {"x": (1, 3, 8, 8)}, ["y"], {"w": weights(4, 3, 3, 3)}), tmp_path)
    expect_error(path, f"{path}: node 'conv' (Conv): ", fragment)


@pytest.mark.parametrize("opset", [5, 99])
def test_unsupported_opset(tmp_path: Path, opset: int) -> None:
    node = helper.make_node("Relu", ["x"], ["y"], name="relu")
    path = save(make_model([node], {"x": (1, 4)}, ["y"], opset=opset), tmp_path)
    expect_error(path, f"{path}: opset {opset} is not supported")


def test_unknown_op_without_a_shape(tmp_path: Path) -> None:
    node = helper.make_node("MyOp", ["x"], ["y"], name="mine", domain="example.com")
    model = make_model([node], {"x": (1, 4)}, ["y"])
    model.opset_import.append(helper.make_opsetid("example.com", 1))
    path = save(model, tmp_path)
    expect_error(path, f"{path}: node 'mine'", "not modeled", "'y'")


# ---- shape rules of the ops added for the frontends, against ONNX Runtime ----


def single_node_shapes(node: onnx.NodeProto, x: tuple[int, ...], init: dict[str, np.ndarray], opset: int = 17) -> None:
    """npukit's output shape of one node equals the shape ONNX Runtime computes."""
    model = make_model([node], {"x": x}, ["y"], init, opset)
    (y,) = run(model, {"x": weights(*x)})
    assert load(model).tensors["y"].shape == y.shape


CONV_TRANSPOSE_CASES = (
    [
        {"strides": st, "pads": p, "dilations": d, "output_padding": op, "group": g}
        for st in ([1, 1], [2, 2], [3, 2])
        for p in ([0, 0, 0, 0], [1, 0, 2, 1])
        for d in ([1, 1], [2, 1])
        for op in ([0, 0], [1, 1])
        for g in (1, 2)
        if all(o < max(s, dd) for o, s, dd in zip(op, st, d, strict=True))
    ]
    + [{"strides": [2, 3], "auto_pad": auto} for auto in ("SAME_UPPER", "SAME_LOWER", "VALID")]
    + [
        {"strides": [2, 2], "output_shape": [12, 15]},
        {"strides": [2, 2], "pads": [1, 1, 0, 0], "output_shape": [10, 13]},
    ]
)


@pytest.mark.parametrize("attrs", CONV_TRANSPOSE_CASES)
def test_conv_transpose_shape_and_macs(attrs: dict[str, Any]) -> None:
    group = attrs.get("group", 1)
    x, w = (2, 4, 5, 7), (4, 6 // group, 3, 2)
    node = helper.make_node("ConvTranspose", ["x", "w"], ["y"], name="up", **attrs)
    single_node_shapes(node, x, {"w": weights(*w)})
    layer = analyze(load(make_model([node], {"x": x}, ["y"], {"w": weights(*w)}))).layers[0]
    assert layer.macs == 2 * 4 * 5 * 7 * (6 // group) * 3 * 2  # N·C·H·W·(M/G)·R·S


@pytest.mark.parametrize(
    ("mode", "pads", "axes"),
    [
        ("constant", [0, 1, 2, 0, 0, 2, 1, 3], None),
        ("reflect", [0, 0, 1, 2, 0, 0, 2, 1], None),
        ("edge", [0, 0, 3, 0, 0, 0, 0, 3], None),
        ("constant", [0, 0, -1, 2, 0, 0, 1, -2], None),
        ("constant", [1, 2, 3, 4], [1, -1]),
    ],
)
def test_pad_shape(mode: str, pads: list[int], axes: list[int] | None) -> None:
    init = {"pads": np.array(pads, np.int64)}
    inputs = ["x", "pads"]
    if axes is not None:
        init["axes"] = np.array(axes, np.int64)
        inputs += ["", "axes"]
    node = helper.make_node("Pad", inputs, ["y"], name="pad", mode=mode)
    single_node_shapes(node, (2, 3, 5, 6), init, opset=18)


@pytest.mark.parametrize("perm", [None, [0, 2, 3, 1], [3, 1, 0, 2]])
def test_transpose_shape(perm: list[int] | None) -> None:
    node = helper.make_node("Transpose", ["x"], ["y"], name="t", **({"perm": perm} if perm else {}))
    single_node_shapes(node, (2, 3, 5, 6), {})
