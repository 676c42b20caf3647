"""Activation sparsity on real digits images, against NumPy's count of zeros in ONNX Runtime's
intermediate outputs (the tensors made extra outputs of npukit's ONNX export)."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest

import npukit
from npukit.compress.activations import activation_sparsity, input_sparsity, rectifiers
from npukit.errors import NpukitError
from npukit.frontends.onnx import to_onnx


def ort_tensors(graph: npukit.ir.Graph, images: np.ndarray, names: list[str]) -> dict[str, np.ndarray]:
    model = to_onnx(graph)
    model.graph.output.extend(onnx.helper.make_tensor_value_info(n, onnx.TensorProto.FLOAT, None) for n in names)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return dict(zip(names, session.run(names, {"input": images}), strict=True))


@pytest.fixture(scope="module")
def held_out() -> np.ndarray:
    pytest.importorskip("sklearn")
    from npukit.data import digits
    from npukit.data.datasets import DIGITS_TRAIN

    return digits().shuffled(0).split(DIGITS_TRAIN)[1].images  # the 360 held-out images


def test_digits_cnn_relu_zeros_on_real_images(held_out: np.ndarray) -> None:
    graph = npukit.load("digits-cnn", batch=120)  # 360 images in three batches
    ours = activation_sparsity(graph, held_out)
    assert list(ours) == ["relu1", "relu2"]
    theirs = ort_tensors(npukit.load("digits-cnn", batch=360), held_out, list(ours))
    for name, value in theirs.items():
        # a pre-activation within rounding of zero may land on either side in another runtime
        assert ours[name] == pytest.approx(np.count_nonzero(value == 0) / value.size, abs=1e-5), name
        assert 0.05 < ours[name] < 0.95  # real ReLU sparsity, neither none nor all


def test_digits_cnn_layer_inputs(held_out: np.ndarray) -> None:
    graph = npukit.load("digits-cnn", batch=360)
    ours = input_sparsity(graph, held_out)
    readers = {n.name: n.inputs[0] for n in graph.nodes if n.name in ("conv1", "conv2", "output")}
    theirs = ort_tensors(graph, held_out, [t for t in readers.values() if t != "input"])
    theirs["input"] = held_out  # the images' own zeros (background pixels)
    for layer, tensor in readers.items():
        value = theirs[tensor]
        assert ours[layer] == pytest.approx(np.count_nonzero(value == 0) / value.size, abs=1e-5), layer


def test_which_nodes_write_relu_zeros() -> None:
    assert rectifiers(npukit.load("lenet5")) == []  # sigmoid writes no zeros
    dw = [n.name for n in rectifiers(npukit.load("mobilenet-v2"))]
    assert "features.1.dw.relu6" in dw and all(n.endswith("relu6") for n in dw)  # ReLU6 is Clip(0, 6)
    with pytest.raises(NpukitError, match="N a positive multiple of the graph's batch size 4"):
        activation_sparsity(npukit.load("digits-cnn", batch=4), np.zeros((6, 1, 8, 8), np.float32))
