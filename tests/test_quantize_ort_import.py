"""Models quantized by ONNX Runtime's own `quantize_static`, imported into npukit and run beside ORT.

What agrees (graph optimizations off in ORT, so that it runs the ops as written):
- QOperator format with QLinearConv: every integer tensor identical (integer accumulation, the
  same float32 requantization);
- QDQ format: ORT dequantizes and runs Conv, Gemm, AveragePool and Sigmoid in float, so the
  integer tensors after them differ where float sums land on the other side of a rounding
  boundary (a few LSB in a small fraction of elements, measured here);
- QOperator ops of ORT's com.microsoft domain (QLinearAdd, QLinearSigmoid, QGemm, ...) are not
  npukit ops: importing them is a one-line error that names the node and op.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

import npukit
from npukit.compress import optimize
from npukit.errors import NpukitError
from npukit.ir import Graph, Tensor
from npukit.runtime import run


class Samples(CalibrationDataReader):
    def __init__(self, xs: np.ndarray) -> None:
        self.feeds = iter([{"input": x} for x in xs])

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self.feeds, None)


def float_model(name: str) -> Graph:
    graph = optimize(npukit.load(name))  # batch norms folded, as ORT's pre-processing would
    if name == "lenet5":
        return graph
    constants = [t for t in graph.tensors.values() if t.is_constant]
    return Graph.build(graph.name, [Tensor("input", (1, 3, 64, 64))], constants, graph.nodes, graph.outputs)


def ort_quantized(tmp_path: Path, name: str, fmt: QuantFormat, ops: list[str] | None = None) -> Path:
    graph = float_model(name)
    source, target = tmp_path / f"{name}.onnx", tmp_path / f"{name}-int8.onnx"
    npukit.export(graph, source)
    xs = np.random.default_rng(0).standard_normal((8, *graph.tensors["input"].shape)).astype(np.float32)
    quantize_static(str(source), str(target), Samples(xs), quant_format=fmt, activation_type=QuantType.QInt8,
                    weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=ops)
    return target


def integer_tensors(path: Path, seeds: range) -> list[tuple[np.ndarray, np.ndarray]]:
    """(npukit's, ORT's) value of every int8 tensor of the model, on random inputs."""
    graph = npukit.load(path)
    names = [t.name for t in graph.tensors.values() if not t.is_constant and t.dtype == "int8"]
    model = onnx.load(str(path))
    model.graph.output.extend(onnx.helper.make_tensor_value_info(n, onnx.TensorProto.INT8, None) for n in names)
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    pairs = []
    for seed in seeds:
        x = {"input": np.random.default_rng(seed).standard_normal(graph.tensors["input"].shape).astype(np.float32)}
        ours = run(graph, x, names)
        pairs += list(zip((ours[n] for n in names), session.run(names, x), strict=True))
    return pairs


def test_qoperator_convolutions_equal_onnxruntime(tmp_path: Path) -> None:
    path = ort_quantized(tmp_path, "resnet18", QuantFormat.QOperator, ["Conv", "MaxPool", "Relu", "Flatten"])
    assert sum(n.op_type == "QLinearConv" for n in onnx.load(str(path)).graph.node) == 20
    pairs = integer_tensors(path, range(2))
    assert len(pairs) > 40 and all(np.array_equal(a, b) for a, b in pairs)


@pytest.mark.parametrize(("name", "max_lsb", "max_fraction"), [("lenet5", 2, 0.05), ("mobilenet-v2", 1, 0.001)])
def test_qdq_models_agree_within_a_few_lsb(tmp_path: Path, name: str, max_lsb: int, max_fraction: float) -> None:
    pairs = integer_tensors(ort_quantized(tmp_path, name, QuantFormat.QDQ), range(2))
    diff = [np.abs(a.astype(int) - b.astype(int)) for a, b in pairs]
    differing = sum(int((d > 0).sum()) for d in diff) / sum(d.size for d in diff)
    assert max(int(d.max()) for d in diff) <= max_lsb  # measured: lenet5 2 LSB in 2.1%, mobilenet-v2 1 LSB
    assert differing <= max_fraction


def test_microsoft_domain_ops_are_a_one_line_error(tmp_path: Path) -> None:
    path = ort_quantized(tmp_path, "lenet5", QuantFormat.QOperator)
    with pytest.raises(NpukitError, match=r"com\.microsoft\.QLinear\w+' is not modeled by npukit"):
        npukit.load(path)
