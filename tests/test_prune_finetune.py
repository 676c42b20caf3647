"""Pruning with fine-tuning: accuracy on held-out images measured by ONNX Runtime on npukit's export,
the pruning mask checked with NumPy on the original weights, the PyTorch module against ONNX Runtime."""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import onnxruntime as ort
import pytest

import npukit
from npukit.compress.finetune import finetune, prune_and_finetune
from npukit.compress.prune import weight_inputs
from npukit.data import Dataset, digits, mnist
from npukit.data.datasets import DIGITS_TRAIN, MNIST_TRAIN
from npukit.errors import NpukitError
from npukit.frontends.onnx import to_onnx
from shared_data import MNIST_DIR, needs_mnist

needs_torch = pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="PyTorch is not installed")


def ort_outputs(graph: npukit.ir.Graph, images: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(to_onnx(graph).SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": images})[0]


def ort_accuracy(graph: npukit.ir.Graph, data: Dataset) -> float:
    return float(np.mean(ort_outputs(graph, data.images).argmax(1) == data.labels))


def smallest_half(w: np.ndarray) -> np.ndarray:
    """True where a weight is among the round(size/2) smallest magnitudes (no ties in trained weights)."""
    mask = np.zeros(w.size, dtype=bool)
    mask[np.argsort(np.abs(w).ravel(), kind="stable")[: round(0.5 * w.size)]] = True
    return mask.reshape(w.shape)


@needs_mnist
@needs_torch
def test_lenet5_half_pruned_and_fine_tuned_keeps_accuracy() -> None:
    train, held = mnist(MNIST_DIR).split(MNIST_TRAIN)
    graph = npukit.load("lenet5-mnist", batch=len(held.labels))
    tuned = prune_and_finetune(graph, 0.5, train, epochs=2)
    fp32 = ort_accuracy(graph, held)
    assert ort_accuracy(tuned, held) >= fp32 - 0.005  # the issue: 50% magnitude pruning within 0.5 points
    for name in weight_inputs(graph):
        pruned = smallest_half(graph.tensors[name].value())
        after = tuned.tensors[name].value()
        assert np.array_equal(after == 0, pruned), name  # the mask stayed fixed while the survivors trained
    assert tuned.metadata["pruning"]["finetune_data"] == train.name


def digits_split() -> tuple[Dataset, Dataset]:
    pytest.importorskip("sklearn")
    return digits().shuffled(0).split(DIGITS_TRAIN)


@needs_torch
def test_digits_cnn_fine_tuning_is_seeded_and_recovers_accuracy() -> None:
    train, held = digits_split()
    graph = npukit.load("digits-cnn", batch=len(held.labels))
    a = prune_and_finetune(graph, 0.5, train, scope="global", epochs=3)
    b = prune_and_finetune(graph, 0.5, train, scope="global", epochs=3)
    for name in weight_inputs(graph):
        assert np.array_equal(a.tensors[name].value(), b.tensors[name].value()), name
    assert ort_accuracy(a, held) >= ort_accuracy(graph, held) - 0.01
    other = prune_and_finetune(graph, 0.5, train, scope="global", epochs=3, seed=1)
    assert not np.array_equal(a.tensors["output.weight"].value(), other.tensors["output.weight"].value())


@needs_torch
@pytest.mark.parametrize("model", ["lenet5-mnist", "digits-cnn", "resnet18", "mobilenet-v2"])
def test_torch_module_computes_what_onnxruntime_computes(model: str) -> None:
    import torch

    from npukit.compress.torch_train import GraphModule

    graph = npukit.load(model, batch=2)
    x = np.random.default_rng(0).standard_normal(graph.tensors["input"].shape).astype(np.float32)
    with torch.no_grad():
        ours = GraphModule(graph)(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours, ort_outputs(graph, x), rtol=1e-4, atol=1e-4)


@needs_torch
def test_zero_epochs_and_weights_round_trip() -> None:
    from npukit.compress.torch_train import GraphModule

    graph = npukit.load("lenet5", batch=1)  # random weights; Gemm transB=1 and Conv with bias
    same = finetune(graph, Dataset("none", np.zeros((1, 1, 28, 28), np.float32), np.zeros(1, np.int64), ""), 0)
    for name, w in GraphModule(graph).weights().items():
        assert np.array_equal(w, graph.tensors[name].value())
        assert np.array_equal(same.tensors[name].value(), graph.tensors[name].value())


def test_one_line_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    graph = npukit.load("lenet5")
    data = Dataset("none", np.zeros((1, 1, 28, 28), np.float32), np.zeros(1, np.int64), "")
    with pytest.raises(NpukitError, match="fine-tuning needs epochs ≥ 0"):
        finetune(graph, data, epochs=-1)
    if importlib.util.find_spec("torch") is not None:
        from npukit.compress.torch_train import GraphModule

        with pytest.raises(NpukitError, match=r"node 'lrn1' \(LRN\): no PyTorch equivalent for training"):
            GraphModule(npukit.load("alexnet"))
    monkeypatch.setitem(sys.modules, "torch", None)  # as if PyTorch were not installed
    with pytest.raises(NpukitError, match=r"^fine-tuning needs PyTorch: pip install torch==2\.13\.0$"):
        finetune(graph, data)
