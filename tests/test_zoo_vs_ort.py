"""Every zoo model, exported to ONNX and run by ONNX Runtime on the same random input, agrees
with npukit's NumPy reference runtime (rtol 1e-4, atol 1e-5)."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

from npukit import zoo
from npukit.frontends.onnx import to_onnx
from npukit.runtime import run


def ort_session(model_bytes: bytes) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    return ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])


@pytest.mark.parametrize("name", zoo.names())
def test_zoo_model_agrees_with_onnx_runtime(name: str) -> None:
    batch = 2 if name in ("lenet5", "lenet5-mnist", "resnet18", "mobilenet-v2") else 1
    graph = zoo.get(name, batch=batch)
    x = np.random.default_rng(1).standard_normal(graph.tensors[graph.inputs[0]].shape).astype(np.float32)
    expected = ort_session(to_onnx(graph).SerializeToString()).run(None, {graph.inputs[0]: x})[0]
    actual = run(graph, {graph.inputs[0]: x})[graph.outputs[0]]
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5)
