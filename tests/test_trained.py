"""The trained LeNet-5 shipped in the package: accuracy on the 2,000 held-out MNIST images, in
npukit's runtime and in ONNX Runtime on npukit's export (the two must predict the same)."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

import npukit
from npukit.data import mnist
from npukit.frontends.onnx import to_onnx
from shared_data import MNIST_DIR, needs_mnist


@needs_mnist
def test_lenet5_mnist_accuracy_on_held_out_images() -> None:
    _, held_out = mnist(MNIST_DIR).split(8000)
    graph = npukit.load("lenet5-mnist", batch=len(held_out.labels))
    ours = npukit.run(graph, {"input": held_out.images})["output"].argmax(1)
    session = ort.InferenceSession(to_onnx(graph).SerializeToString(), providers=["CPUExecutionProvider"])
    theirs = session.run(None, {"input": held_out.images})[0].argmax(1)
    assert np.array_equal(ours, theirs)
    assert np.mean(ours == held_out.labels) >= 0.975  # the floor for fp32 LeNet-5


def test_digits_cnn_accuracy_on_held_out_images() -> None:
    pytest.importorskip("sklearn")
    from npukit.data import digits
    from npukit.data.datasets import DIGITS_TRAIN

    _, held_out = digits().shuffled(0).split(DIGITS_TRAIN)
    graph = npukit.load("digits-cnn", batch=len(held_out.labels))
    ours = npukit.run(graph, {"input": held_out.images})["output"].argmax(1)
    session = ort.InferenceSession(to_onnx(graph).SerializeToString(), providers=["CPUExecutionProvider"])
    theirs = session.run(None, {"input": held_out.images})[0].argmax(1)
    assert np.array_equal(ours, theirs)
    assert np.mean(ours == held_out.labels) >= 0.97  # the floor for the digits CNN
