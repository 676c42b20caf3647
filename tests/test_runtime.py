"""The reference runtime: kernels against ONNX Runtime over many attribute combinations, PyTorch
modules through from_torch against PyTorch, and one-line errors for bad input."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

import npukit
from npukit.errors import NpukitError
from npukit.frontends.onnx import load
from npukit.runtime import run

RNG = np.random.default_rng(7)


def single_node_model(op: str, x_shape: tuple[int, ...], w_shape: tuple[int, ...] | None, **attrs: object) -> bytes:
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)]
    inits = []
    if w_shape is not None:
        w = RNG.standard_normal(w_shape).astype(np.float32)
        inits.append(helper.make_tensor("w", TensorProto.FLOAT, w_shape, w.ravel()))
    node = helper.make_node(op, ["x", "w"] if w_shape else ["x"], ["y"], **attrs)
    graph = helper.make_graph([node], op, inputs, [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


def agree_with_ort(model: bytes, x_shape: tuple[int, ...]) -> None:
    x = RNG.standard_normal(x_shape).astype(np.float32)
    expected = ort.InferenceSession(model, providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    graph = load(model)
    actual = run(graph, {"x": x})[graph.outputs[0]]
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    ("stride", "pad", "dilation", "group", "kernel"),
    list(itertools.product([1, 2], [0, 1, (2, 0, 1, 3)], [1, 2], [1, 2, 6], [1, 3, (3, 2)])),
)
def test_conv_agrees_with_onnx_runtime(stride: int, pad: object, dilation: int, group: int, kernel: object) -> None:
    kr, ks = kernel if isinstance(kernel, tuple) else (kernel, kernel)
    pads = list(pad) if isinstance(pad, tuple) else [pad] * 4
    model = single_node_model(
        "Conv",
        (2, 6, 11, 9),
        (12, 6 // group, kr, ks),
        strides=[stride] * 2,
        pads=pads,
        dilations=[dilation] * 2,
        group=group,
    )
    agree_with_ort(model, (2, 6, 11, 9))


@pytest.mark.parametrize(
    ("op", "kernel", "stride", "pad", "ceil", "extra"),
    [
        (op, k, s, p, c, e)
        for op, (k, s, p), c, e in itertools.product(
            ["MaxPool", "AveragePool"], [(2, 2, 0), (3, 2, 1), (3, 1, 0), (5, 3, 2)], [0, 1], [{}, {"flag": 1}]
        )
    ],
)
def test_pool_agrees_with_onnx_runtime(op: str, kernel: int, stride: int, pad: int, ceil: int, extra: dict) -> None:
    attrs: dict[str, object] = {
        "kernel_shape": [kernel] * 2,
        "strides": [stride] * 2,
        "pads": [pad] * 4,
        "ceil_mode": ceil,
    }
    if extra:
        attrs["count_include_pad" if op == "AveragePool" else "dilations"] = 1 if op == "AveragePool" else [2, 2]
    agree_with_ort(single_node_model(op, (1, 3, 14, 13), None, **attrs), (1, 3, 14, 13))


@pytest.mark.parametrize(
    ("stride", "pad", "group", "out_pad"),
    [c for c in itertools.product([1, 2, 3], [0, 1], [1, 2], [0, 1]) if c[3] < c[0]],  # output_padding < stride
)
def test_conv_transpose_agrees_with_onnx_runtime(stride: int, pad: int, group: int, out_pad: int) -> None:
    model = single_node_model(
        "ConvTranspose",
        (1, 4, 5, 6),
        (4, 6 // group, 3, 3),
        strides=[stride] * 2,
        pads=[pad] * 4,
        group=group,
        output_padding=[out_pad] * 2,
    )
    agree_with_ort(model, (1, 4, 5, 6))


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v2"])
def test_pytorch_modules_agree_with_pytorch(name: str) -> None:
    torch = pytest.importorskip("torch")
    import torch_models
    from npukit.frontends.torch import from_torch

    torch.manual_seed(0)
    module = torch_models.resnet(18) if name == "resnet18" else torch_models.mobilenet_v2()
    for m in module.modules():  # trained-looking batch-norm statistics, so that BN is not the identity
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.2, 0.6)
    x = torch.randn(2, 3, 96, 96)
    graph = from_torch(module, x)
    with torch.no_grad():
        expected = module(x).numpy()
    actual = run(graph, {graph.inputs[0]: x.numpy()})[graph.outputs[0]]
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4)


def test_wrong_input_shape_names_the_tensor() -> None:
    graph = npukit.load("lenet5")
    with pytest.raises(NpukitError, match=r"input 'input': expected shape 1×1×28×28, got 1×1×32×32"):
        run(graph, {"input": np.zeros((1, 1, 32, 32), np.float32)})
    with pytest.raises(NpukitError, match="input 'input' is missing"):
        run(graph, {})
    with pytest.raises(NpukitError, match="expected float32, got float64"):
        run(graph, {"input": np.zeros((1, 1, 28, 28))})


def test_op_without_kernel_is_named() -> None:
    node = helper.make_node("Erf", ["x"], ["y"], name="erf1")
    g = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, (2,))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, (2,))],
    )
    graph = load(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]))
    with pytest.raises(NpukitError, match=r"node 'erf1' \(Erf\): no kernel in npukit's runtime"):
        run(graph, {"x": np.zeros(2, np.float32)})


def npukit_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "npukit", *args], capture_output=True, text=True, cwd=cwd)


def test_cli_run_and_export(tmp_path: Path) -> None:
    x = RNG.standard_normal((1, 1, 28, 28)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    proc = npukit_cli("export", "lenet5", "lenet5.onnx", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    proc = npukit_cli("run", "lenet5.onnx", "--input", "x.npy", "--output", "y.npz", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    expected = ort.InferenceSession(str(tmp_path / "lenet5.onnx")).run(None, {"input": x})[0]
    np.testing.assert_allclose(np.load(tmp_path / "y.npz")["output"], expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "lenet5", "--input", "x.npy"], "input 'input': expected shape 1×1×28×28, got 1×1×32×32"),
        (["run", "lenet5", "--input", "missing.npy"], "missing.npy: cannot read input array"),
        (["run", "garbage.onnx"], "garbage.onnx: not a valid ONNX model"),
        (["analyze", "nothere.onnx"], "nothere.onnx: no such file"),
    ],
)
def test_cli_bad_input_is_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    np.save(tmp_path / "x.npy", np.zeros((1, 1, 32, 32), np.float32))
    (tmp_path / "garbage.onnx").write_bytes(RNG.bytes(300))
    proc = npukit_cli(*args, cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1 and message in proc.stderr
    assert not (tmp_path / "y.npz").exists()
