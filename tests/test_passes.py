"""Graph passes keep the outputs: checked against PyTorch and ONNX Runtime on the original model."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

import npukit
from npukit.compress import fold_batch_norm, fold_constants, optimize, remove_dead_nodes, remove_identities
from npukit.frontends.onnx import to_onnx
from npukit.ir import Fill, Graph, Node, Tensor, Values

RNG = np.random.default_rng(3)


def ort_output(graph: Graph, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(to_onnx(graph).SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {graph.inputs[0]: x})[0]


def ops(graph: Graph) -> list[str]:
    return [n.op_type for n in graph.nodes]


@pytest.mark.parametrize("name", ["resnet18", "mobilenet-v2", "googlenet", "alexnet"])
def test_optimize_keeps_outputs(name: str) -> None:
    graph = npukit.load(name)
    x = RNG.standard_normal(graph.tensors[graph.inputs[0]].shape).astype(np.float32)
    optimized = optimize(graph)
    assert "BatchNormalization" not in ops(optimized) and "Dropout" not in ops(optimized)
    actual = npukit.run(optimized, {graph.inputs[0]: x})[graph.outputs[0]]
    np.testing.assert_allclose(actual, ort_output(graph, x), rtol=1e-4, atol=1e-5)
    assert npukit.analyze(optimized).total("macs") == npukit.analyze(graph).total("macs")


def test_batch_norm_folding_with_trained_statistics_matches_pytorch() -> None:
    torch = pytest.importorskip("torch")
    import torch_models
    from npukit.frontends.torch import from_torch

    torch.manual_seed(1)
    module = torch_models.resnet(18)
    bn_channels = 0
    for m in module.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.2, 0.8)
            m.bias.data.uniform_(-0.1, 0.1)
            bn_channels += m.num_features
    x = torch.randn(1, 3, 64, 64)
    graph = from_torch(module, x)
    folded = fold_batch_norm(graph)
    with torch.no_grad():
        expected = module(x).numpy()
    actual = npukit.run(folded, {folded.inputs[0]: x.numpy()})[folded.outputs[0]]
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4)
    # every batch norm's 2 params per channel become 1 conv bias per channel
    params = sum(p.numel() for p in module.parameters())
    assert npukit.analyze(folded).total("params") == params - bn_channels


def test_constant_folding_and_dead_nodes() -> None:
    x = Tensor("x", (2, 6))
    consts = [Tensor("a", (3,), "int64", Values((2, 3, 2))), Tensor("one", (), "int64", Values((1,))),
              Tensor("k", (2, 6), init=Fill(0.5))]
    nodes = [
        Node("shape", "Mul", ("a", "one"), ("target",)),  # constant arithmetic: folded
        Node("r", "Reshape", ("x", "target"), ("y",)),
        Node("unused", "Relu", ("x",), ("dangling",)),  # reaches no output: removed
        Node("scale", "Mul", ("x", "k"), ("z",)),
    ]
    # the Reshape's target is computed, so its output shape is given (as ONNX shape inference would)
    graph = Graph.build("g", [x], consts, nodes, ["y", "z"], known={"y": Tensor("y", (2, 3, 2))})
    simplified = remove_dead_nodes(fold_constants(graph))
    assert sorted(ops(simplified)) == ["Mul", "Reshape"]  # the shape arithmetic and the dead Relu are gone
    data = RNG.standard_normal((2, 6)).astype(np.float32)
    before, after = npukit.run(graph, {"x": data}), npukit.run(simplified, {"x": data})
    for name in ("y", "z"):
        np.testing.assert_array_equal(after[name], before[name])


def test_identities_are_rewired() -> None:
    graph = npukit.load("vgg16")
    assert ops(remove_identities(graph)).count("Dropout") == 0
    assert ops(graph).count("Dropout") == 2
