"""Models quantized by ONNX Runtime's own `quantize_static`, imported into npukit and run beside ORT.

- QOperator format (QLinearConv and ORT's com.microsoft QGemm, QLinearAdd, QLinearSigmoid,
  QLinearAveragePool, QLinearGlobalAveragePool): every integer tensor identical to ORT's (graph
  optimizations off, so that ORT runs the ops as written).
- QDQ format, fused by npukit into integer ops (`npukit.compress.fuse_qdq`, as an NPU would run
  it): every integer tensor identical to ORT running the fused graph exported; on LeNet-5, which
  ORT fuses completely itself, the output identical to ORT's own fused run. (The QOperator model
  of the same calibration is no oracle: ORT's QDQ form gives AveragePool its input's scale, the
  QOperator form calibrates a scale of its own.)
- QDQ format run as written: ORT dequantizes and runs Conv, Gemm, AveragePool and Sigmoid in
  float, so the integer tensors after them differ where float sums land on the other side of a
  rounding boundary (a few LSB in a small fraction of elements, measured here).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

import npukit
from npukit.compress import fuse_qdq, optimize
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


def ort_quantized(tmp_path: Path, name: str, fmt: QuantFormat, ops: list[str] | None = None,
                  activations: QuantType = QuantType.QInt8, reduce_range: bool = False) -> Path:
    graph = float_model(name)
    source, target = tmp_path / f"{name}.onnx", tmp_path / f"{name}-int8.onnx"
    npukit.export(graph, source)
    xs = np.random.default_rng(0).standard_normal((8, *graph.tensors["input"].shape)).astype(np.float32)
    quantize_static(str(source), str(target), Samples(xs), quant_format=fmt, activation_type=activations,
                    weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=ops, reduce_range=reduce_range)
    return target


def ort_session(path: Path, names: list[str]) -> ort.InferenceSession:
    """ORT on `path` with graph optimizations off, the tensors `names` made graph outputs."""
    model = onnx.load(str(path))
    model.graph.output.extend(onnx.helper.make_value_info(n, onnx.TypeProto()) for n in names)
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])


def integer_tensors(path: Path, seeds: range) -> list[tuple[np.ndarray, np.ndarray]]:
    """(npukit's, ORT's) value of every int8 tensor of the model, on random inputs."""
    graph = npukit.load(path)
    names = [t.name for t in graph.tensors.values() if not t.is_constant and t.dtype == "int8"]
    session = ort_session(path, names)
    pairs = []
    for seed in seeds:
        x = {"input": np.random.default_rng(seed).standard_normal(graph.tensors["input"].shape).astype(np.float32)}
        ours = run(graph, x, names)
        pairs += list(zip((ours[n] for n in names), session.run(names, x), strict=True))
    return pairs


MODELS = ["lenet5", "resnet18", "mobilenet-v2"]
FLOAT_OPS = {"Conv", "Gemm", "MatMul", "Add", "Sigmoid", "AveragePool", "GlobalAveragePool"}


@pytest.mark.parametrize("name", MODELS)
def test_qoperator_models_equal_onnxruntime(tmp_path: Path, name: str) -> None:
    path = ort_quantized(tmp_path, name, QuantFormat.QOperator)
    domains = {n.domain for n in onnx.load(str(path)).graph.node}
    assert "com.microsoft" in domains  # the contrib ops are in the model, not skipped
    pairs = integer_tensors(path, range(2))
    assert len(pairs) >= 20 and all(np.array_equal(a, b) for a, b in pairs)


@pytest.mark.parametrize("name", MODELS)
def test_fused_qdq_models_run_the_same_in_onnxruntime(tmp_path: Path, name: str) -> None:
    fused = fuse_qdq(npukit.load(ort_quantized(tmp_path, name, QuantFormat.QDQ)))
    assert not {n.op_type for n in fused.nodes} & FLOAT_OPS  # every quantized op is an integer op now
    exported = tmp_path / "fused.onnx"
    npukit.export(fused, exported)
    pairs = integer_tensors(exported, range(2))
    assert len(pairs) >= 20 and all(np.array_equal(a, b) for a, b in pairs)


def test_fused_qdq_lenet5_equals_onnxruntime_own_fusion(tmp_path: Path) -> None:
    # ORT, optimizations on, fuses every group of this chain itself and runs them with integer
    # kernels. It fuses only groups whose integers nothing else reads, so only the dequantized
    # output is compared: equal floats from one DequantizeLinear mean equal integers. uint8
    # activations: ORT would turn int8 ones into uint8 (zero point + 128), which changes
    # QLinearAveragePool's float rounding (the zero point is added before it); 7-bit weights
    # (`reduce_range`) keep ORT's AVX2 u8×s8 pair sums from saturating.
    path = ort_quantized(tmp_path, "lenet5", QuantFormat.QDQ, activations=QuantType.QUInt8, reduce_range=True)
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    options.optimized_model_filepath = str(tmp_path / "optimized.onnx")
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    assert not {n.op_type for n in onnx.load(str(tmp_path / "optimized.onnx")).graph.node} & FLOAT_OPS
    fused = fuse_qdq(npukit.load(path))
    for seed in range(8):
        x = {"input": np.random.default_rng(seed).standard_normal(fused.tensors["input"].shape).astype(np.float32)}
        assert np.array_equal(run(fused, x)[fused.outputs[0]], session.run(None, x)[0])


@pytest.mark.parametrize(("name", "max_lsb", "max_fraction"), [("lenet5", 2, 0.05), ("mobilenet-v2", 1, 0.001)])
def test_qdq_models_agree_within_a_few_lsb(tmp_path: Path, name: str, max_lsb: int, max_fraction: float) -> None:
    pairs = integer_tensors(ort_quantized(tmp_path, name, QuantFormat.QDQ), range(2))
    diff = [np.abs(a.astype(int) - b.astype(int)) for a, b in pairs]
    differing = sum(int((d > 0).sum()) for d in diff) / sum(d.size for d in diff)
    assert max(int(d.max()) for d in diff) <= max_lsb  # measured: lenet5 2 LSB in 2.1%, mobilenet-v2 1 LSB
    assert differing <= max_fraction


def test_unknown_microsoft_domain_op_is_a_one_line_error(tmp_path: Path) -> None:
    node = onnx.helper.make_node("QLinearSoftmax", ["x", "s", "z", "s", "z"], ["y"], domain="com.microsoft")
    graph = onnx.helper.make_graph(
        [node], "g", [onnx.helper.make_tensor_value_info("x", onnx.TensorProto.INT8, [1, 10])],
        [onnx.helper.make_tensor_value_info("y", onnx.TensorProto.INT8, None)],
        [onnx.helper.make_tensor("s", onnx.TensorProto.FLOAT, [], [0.1]),
         onnx.helper.make_tensor("z", onnx.TensorProto.INT8, [], [0])])
    path = tmp_path / "softmax.onnx"
    onnx.save(onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", 17),
                                                            onnx.helper.make_opsetid("com.microsoft", 1)]), path)
    with pytest.raises(NpukitError, match=r"com\.microsoft\.QLinearSoftmax' is not modeled by npukit") as err:
        npukit.load(path)
    assert "\n" not in str(err.value)
