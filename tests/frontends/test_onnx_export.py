"""ONNX export: every zoo model against the ONNX checker, ONNX Runtime and its own initializers.

Oracles: onnx.checker (full_check), ONNX Runtime's output shapes, and weight counts summed from the
exported initializers. The re-import round trip must reproduce the zoo graph's counts exactly.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterator
from dataclasses import replace
from types import MappingProxyType

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from npukit import zoo
from npukit.analysis import analyze
from npukit.errors import NpukitError
from npukit.frontends.onnx import load, save, to_onnx
from npukit.ir import Fill, Graph, Node, RandomNormal, Tensor, Values

BIG = 1 << 20  # elements


class Zeros:
    """Zeros that take no memory until written out (a broadcast view)."""

    def materialize(self, shape: tuple[int, ...], dtype: str) -> np.ndarray:
        return np.broadcast_to(np.zeros((), dtype), shape)


def cheap_weights(graph: Graph) -> Graph:
    """The graph with its large random weights replaced by zeros of the same shapes.

    Export writes whatever `Tensor.value()` gives; drawing 138M normal numbers for VGG-16 would
    only slow the tests down. Shapes, and so every count, are unchanged.
    """
    tensors = {
        n: Tensor(n, t.shape, t.dtype, Zeros()) if isinstance(t.init, RandomNormal) and t.size > BIG else t
        for n, t in graph.tensors.items()
    }
    return replace(graph, tensors=MappingProxyType(tensors))


def session(data: bytes) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL  # run the graph as written
    return ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])


def run_onnx(data: bytes, graph: Graph, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    feeds = {n: rng.standard_normal(graph.tensors[n].shape).astype(np.float32) for n in graph.inputs}
    return session(data).run(None, feeds)


@pytest.fixture(scope="module", params=zoo.names())
def exported(request: pytest.FixtureRequest) -> Iterator[tuple[Graph, onnx.ModelProto, bytes]]:
    """(zoo graph, its ONNX model, the model's bytes), made once per model for the tests below."""
    graph = cheap_weights(zoo.get(request.param))
    model = to_onnx(graph)
    yield graph, model, model.SerializeToString()


def test_zoo_model_passes_the_onnx_checker(exported: tuple[Graph, onnx.ModelProto, bytes]) -> None:
    onnx.checker.check_model(exported[2], full_check=True)


def test_zoo_model_weights_are_its_initializers(exported: tuple[Graph, onnx.ModelProto, bytes]) -> None:
    graph, model, _ = exported
    sizes = {t.name: math.prod(t.dims) for t in model.graph.initializer}
    filters = sum(sizes[n.input[1]] for n in model.graph.node if n.op_type in ("Conv", "Gemm"))
    assert analyze(graph).total("weights") == filters


def test_zoo_model_round_trips_with_the_same_counts(exported: tuple[Graph, onnx.ModelProto, bytes]) -> None:
    graph, model, _ = exported
    before, after = analyze(graph).totals(), analyze(load(model)).totals()
    for key in ("weights", "params", "macs", "other_ops", "conv", "fc", "not_modeled"):
        assert after[key] == before[key], key


def test_zoo_model_runs_in_onnx_runtime(exported: tuple[Graph, onnx.ModelProto, bytes]) -> None:
    graph, _, data = exported
    outputs = run_onnx(data, graph)
    assert [o.shape for o in outputs] == [graph.tensors[n].shape for n in graph.outputs]
    assert all(np.isfinite(o).all() for o in outputs)


OPSETS = [7, 9, 10, 11, 12, 13, 17, 21]
SMALL_CASES = [(name, opset) for name in ("lenet5", "googlenet", "mobilenet-v2") for opset in OPSETS]


@pytest.mark.parametrize(("name", "opset"), [c for c in SMALL_CASES if c[0] != "googlenet" or c[1] >= 10])
def test_small_zoo_models_export_at_every_opset(name: str, opset: int) -> None:
    """Clip (mobilenet-v2), Dropout and LRN (googlenet) change form across opsets; ORT must agree."""
    graph = zoo.get(name)
    model = to_onnx(graph, opset=opset)
    assert model.opset_import[0].version == opset
    data = model.SerializeToString()
    onnx.checker.check_model(data, full_check=True)
    reference = run_onnx(to_onnx(graph, opset=17).SerializeToString(), graph)
    np.testing.assert_allclose(run_onnx(data, graph)[0], reference[0], rtol=1e-4, atol=1e-4)


def test_an_attribute_the_opset_lacks_is_an_error_not_dropped() -> None:
    with pytest.raises(NpukitError, match=r"googlenet: node 'pool1' \(MaxPool\): attribute ceil_mode=1 .* opset 9"):
        to_onnx(zoo.get("googlenet"), opset=9)  # ceil_mode arrived in opset 10


def small_graph() -> Graph:
    """ConvTranspose, Pad, Transpose and LogSoftmax, the ops added for the frontends."""
    consts = [
        Tensor("w", (4, 3, 3, 3), init=RandomNormal(0.3, salt="w")),
        Tensor("b", (6,), init=Fill(0.1)),
        Tensor("pads", (8,), "int64", Values((0, 0, 1, 2, 0, 0, 2, 1))),
    ]
    nodes = [
        Node("up", "ConvTranspose", ("x", "w", "b"), ("u",), {"strides": [2, 2], "pads": [1, 0, 0, 1], "group": 2}),
        Node("pad", "Pad", ("u", "pads"), ("p",), {"mode": "reflect"}),
        Node("t", "Transpose", ("p",), ("q",), {"perm": [0, 2, 3, 1]}),
        Node("ls", "LogSoftmax", ("q",), ("y",), {"axis": -1}),
    ]
    return Graph.build("small", [Tensor("x", (2, 4, 5, 7))], consts, nodes, ["y"])


@pytest.mark.parametrize("opset", [11, 13, 17])
def test_new_ops_export_and_match_onnx_runtime_shapes(opset: int) -> None:
    graph = small_graph()
    data = to_onnx(graph, opset=opset).SerializeToString()
    onnx.checker.check_model(data, full_check=True)
    (y,) = run_onnx(data, graph)
    assert y.shape == graph.tensors["y"].shape
    if opset >= 13:  # one-axis LogSoftmax: each row's probabilities sum to one
        np.testing.assert_allclose(np.exp(y).sum(axis=-1), 1.0, rtol=1e-5)


def test_conv_transpose_macs_are_every_input_element_times_every_tap() -> None:
    layer = analyze(small_graph()).layers[0]
    n, c, h, w, m, g, r, s = 2, 4, 5, 7, 6, 2, 3, 3
    assert layer.macs == n * c * h * w * (m // g) * r * s
    assert layer.weights == c * (m // g) * r * s
    assert layer.params == c * (m // g) * r * s + m
    assert layer.modeled


def test_softmax_over_an_inner_axis_cannot_be_written_before_opset_13() -> None:
    node = Node("sm", "Softmax", ("x",), ("y",), {"axis": 1})
    graph = Graph.build("g", [Tensor("x", (1, 5, 3))], [], [node], ["y"])
    with pytest.raises(NpukitError, match=r"node 'sm'.*opset 13"):
        to_onnx(graph, opset=12)
    onnx.checker.check_model(to_onnx(graph, opset=13), full_check=True)


def test_unsupported_opset_is_an_error() -> None:
    with pytest.raises(NpukitError, match="opset 5"):
        to_onnx(zoo.get("lenet5"), opset=5)


def test_save_replaces_the_file_atomically(tmp_path: os.PathLike[str]) -> None:
    path = os.path.join(tmp_path, "lenet5.onnx")
    with open(path, "wb") as f:
        f.write(b"old")
    graph = zoo.get("lenet5")
    save(graph, path)
    assert os.listdir(tmp_path) == ["lenet5.onnx"]  # no temporary file left behind
    onnx.checker.check_model(path, full_check=True)
    assert load(path).tensors["input"].shape == graph.tensors["input"].shape


def test_save_into_a_missing_directory_is_one_line(tmp_path: os.PathLike[str]) -> None:
    path = os.path.join(tmp_path, "missing", "lenet5.onnx")
    with pytest.raises(NpukitError, match=f"^{re.escape(path)}: cannot write the model"):
        save(zoo.get("lenet5"), path)
