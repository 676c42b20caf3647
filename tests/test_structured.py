"""Structured pruning: the shrunk graph against the unshrunk graph with the same filters zeroed and
cut off downstream (both run by ONNX Runtime on npukit's exports), the filters chosen against NumPy's
L1 norms, and MACs against the loop-nest formula E·F·M·C·R·S."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

import npukit
from npukit.compress.prune import with_weights
from npukit.compress.structured import filter_norms, prune_filters, remove_filters
from npukit.errors import NpukitError
from npukit.frontends.onnx import to_onnx


def ort_run(graph: npukit.ir.Graph, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(to_onnx(graph).SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x})[0]


def zeroed(graph: npukit.ir.Graph, cuts: dict[str, tuple[int, np.ndarray]]) -> npukit.ir.Graph:
    """The graph with entries `index` along `axis` of each named constant set to zero."""
    new = {}
    for name, (axis, index) in cuts.items():
        w = graph.tensors[name].value().copy()
        w[(slice(None),) * axis + (index,)] = 0
        new[name] = w
    return with_weights(graph, new)


def smallest_l1(graph: npukit.ir.Graph, weight: str, fraction: float) -> np.ndarray:
    w = graph.tensors[weight].value()
    norms = np.abs(w).reshape(w.shape[0], -1).sum(1)
    return np.sort(np.argsort(norms, kind="stable")[: round(fraction * w.shape[0])])


def test_digits_cnn_filters_by_l1_norm() -> None:
    graph = npukit.load("digits-cnn", batch=8)
    drop = smallest_l1(graph, "conv1.weight", 0.25)
    shrunk = prune_filters(graph, "conv1", 0.25)
    assert shrunk.metadata["filters_removed"] == {"conv1": drop.tolist()}
    assert shrunk.tensors["conv1.weight"].shape == (12, 1, 3, 3) and shrunk.tensors["conv2.weight"].shape[1] == 12
    oracle = zeroed(graph, {"conv1.weight": (0, drop), "conv1.bias": (0, drop), "conv2.weight": (1, drop)})
    x = np.random.default_rng(0).random((8, 1, 8, 8), dtype=np.float32)
    np.testing.assert_allclose(ort_run(shrunk, x), ort_run(oracle, x), rtol=1e-5, atol=1e-5)
    macs = {layer.name: layer.macs for layer in npukit.analyze(shrunk).layers if layer.macs}
    assert macs == {"conv1": 8 * 8 * 8 * 12 * 1 * 3 * 3, "conv2": 8 * 4 * 4 * 32 * 12 * 3 * 3, "output": 8 * 10 * 128}


def test_lenet5_filters_before_flatten_and_sigmoid() -> None:
    graph = npukit.load("lenet5-mnist", batch=4)
    drop = np.array([1, 7, 8])
    shrunk = remove_filters(graph, "conv2", drop)
    columns = (drop[:, None] * 25 + np.arange(25)).ravel()  # fc1 reads 16×5×5 flattened channel by channel
    # sigmoid(0) ≠ 0: a zeroed filter still feeds fc1, so the oracle also cuts fc1's columns
    oracle = zeroed(graph, {"conv2.weight": (0, drop), "conv2.bias": (0, drop), "fc1.weight": (1, columns)})
    x = np.random.default_rng(1).random((4, 1, 28, 28), dtype=np.float32)
    np.testing.assert_allclose(ort_run(shrunk, x), ort_run(oracle, x), rtol=1e-5, atol=1e-6)
    before = {r.name: r for r in npukit.analyze(graph).layers}
    after = {r.name: r for r in npukit.analyze(shrunk).layers}
    assert after["conv2"].macs == 4 * 10 * 10 * 13 * 6 * 5 * 5 and after["fc1"].macs == 4 * 120 * 13 * 25
    assert after["conv2"].weights == 13 * 6 * 25 and after["fc1"].weights == 120 * 325
    assert all(after[n].macs == before[n].macs for n in ("conv1", "fc2", "output"))


@pytest.mark.parametrize(
    ("model", "layer", "consumer"),
    [("resnet18", "layer2.1.conv1", "layer2.1.conv2"),  # through batch norm and ReLU
     ("mobilenet-v2", "features.3.expand", "features.3.project")],  # through a depthwise CONV and ReLU6
)
def test_through_batch_norm_and_depthwise(model: str, layer: str, consumer: str) -> None:
    graph = npukit.load(model)
    drop = smallest_l1(graph, f"{layer}.weight", 0.5)
    shrunk = prune_filters(graph, layer, 0.5)
    oracle = zeroed(graph, {f"{layer}.weight": (0, drop), f"{consumer}.weight": (1, drop)})
    x = np.random.default_rng(2).standard_normal((1, 3, 224, 224)).astype(np.float32)
    np.testing.assert_allclose(ort_run(shrunk, x), ort_run(oracle, x), rtol=1e-4, atol=1e-4)
    after = {r.name: r for r in npukit.analyze(shrunk).layers}
    by_name = {r.name: (r, after[r.name]) for r in npukit.analyze(graph).layers}
    m = graph.tensors[f"{layer}.weight"].shape[0]
    kept = m - drop.size
    changed = [n for n, (r, s) in by_name.items() if r.macs != s.macs]
    for name in changed:  # every layer on the path shrinks by kept/M, no other layer changes
        assert by_name[name][1].macs * m == by_name[name][0].macs * kept, name
    assert {layer, consumer} <= set(changed) and len(changed) == (2 if model == "resnet18" else 3)


def test_filter_norms_and_errors() -> None:
    graph = npukit.load("resnet18")
    w = graph.tensors["conv1.weight"].value()
    np.testing.assert_allclose(filter_norms(graph, "conv1"), np.abs(w).sum(axis=(1, 2, 3)), rtol=1e-6)
    with pytest.raises(NpukitError, match=r"node 'layer1.0.add' \(Add\) reads the pruned channels"):
        prune_filters(graph, "layer1.0.conv2", 0.5)
    with pytest.raises(NpukitError, match="no CONV layer named 'fc'"):
        prune_filters(graph, "fc", 0.5)
    with pytest.raises(NpukitError, match=r"must be in \[0, 1\), not 1.0"):
        prune_filters(graph, "conv1", 1.0)
    with pytest.raises(NpukitError, match="cannot remove filters"):
        remove_filters(npukit.load("digits-cnn"), "conv1", range(16))
    with pytest.raises(NpukitError, match="filters of a grouped CONV"):
        prune_filters(npukit.load("mobilenet-v2"), "features.1.dw", 0.5)
