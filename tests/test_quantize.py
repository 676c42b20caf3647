"""Post-training quantization: npukit's integer runtime against ONNX Runtime, layer by layer.

The oracle is ONNX Runtime running npukit's exported integer model with graph optimizations off:
every integer activation (each one a graph output here) must be identical, dtype and values.
Rounding and fixed-point requantization are also checked against exact rational arithmetic.
"""

from __future__ import annotations

import json
from fractions import Fraction
from functools import cache
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

import npukit
from npukit.cli.main import main
from npukit.compress import layer_outputs, quantize
from npukit.compress.calibrate import calibrate
from npukit.compress.emit import Emitter
from npukit.compress.qparams import QParams, QuantConfig, QuantType, activation_params, bias_values, weight_params
from npukit.compress.requant import Term, requantize
from npukit.errors import NpukitError
from npukit.frontends.onnx import to_onnx
from npukit.ir import Graph, Tensor
from npukit.runtime import run
from shared_data import MNIST_DIR, needs_mnist

SMALL = {"resnet18": (1, 3, 64, 64), "mobilenet-v2": (1, 3, 64, 64)}  # small inputs keep CI short


def at_input(graph: Graph, shape: tuple[int, ...]) -> Graph:
    """The same network on a smaller input (shapes re-inferred)."""
    constants = [t for t in graph.tensors.values() if t.is_constant]
    return Graph.build(graph.name, [Tensor(graph.inputs[0], shape)], constants, graph.nodes, graph.outputs,
                       graph.metadata)


@cache
def model(name: str) -> Graph:
    graph = npukit.load(name)
    return at_input(graph, SMALL[name]) if name in SMALL else graph


def session(graph: Graph) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL  # run the ops as written
    return ort.InferenceSession(to_onnx(graph, opset=21).SerializeToString(), options,
                                providers=["CPUExecutionProvider"])


def feeds(graph: Graph, count: int, seed: int) -> list[dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [{n: rng.standard_normal(graph.tensors[n].shape).astype(np.float32) for n in graph.inputs}
            for _ in range(count)]


def assert_layers_bit_exact(name: str, **options: object) -> Graph:
    graph = model(name)
    q = layer_outputs(quantize(graph, feeds(graph, 6, seed=1), **options))  # type: ignore[arg-type]
    x = feeds(graph, 1, seed=2)[0]
    ours = run(q, x)
    theirs = dict(zip(q.outputs, session(q).run(list(q.outputs), x), strict=True))
    assert len(q.outputs) > 10
    for out in q.outputs:
        assert ours[out].dtype == theirs[out].dtype, out
        assert np.array_equal(ours[out], theirs[out]), f"{out}: {np.sum(ours[out] != theirs[out])} elements differ"
    return q


@pytest.mark.parametrize("name", ["lenet5", "resnet18", "mobilenet-v2"])
def test_int8_layers_equal_onnxruntime(name: str) -> None:
    q = assert_layers_bit_exact(name)
    ops = {n.op_type for n in q.nodes}
    assert "QLinearConv" in ops and not ops & {"Conv", "Gemm", "Relu", "BatchNormalization"}


@pytest.mark.parametrize(("name", "options"), [
    ("lenet5", {"requant": "fixedpoint"}),
    ("resnet18", {"requant": "fixedpoint"}),
    ("mobilenet-v2", {"requant": "fixedpoint", "observer": "percentile"}),
    ("lenet5", {"rounding": "half_away"}),
    ("mobilenet-v2", {"rounding": "half_up"}),
    ("mobilenet-v2", {"weight_bits": 4, "activation_bits": 4}),
    ("lenet5", {"weight_bits": 4, "activation_bits": 4, "observer": "mse"}),
    ("mobilenet-v2", {"symmetric_activations": True, "observer": "mse"}),
    # uint8 activations: ORT's AVX2 u8×s8 kernels saturate int16 pair sums unless weights keep 7 bits
    ("lenet5", {"activation_signed": False, "weight_bits": 7}),
])
def test_other_modes_equal_onnxruntime(name: str, options: dict[str, object]) -> None:
    assert_layers_bit_exact(name, **options)


def test_fixedpoint_model_holds_only_integers_between_quantize_and_dequantize() -> None:
    q = quantize(model("mobilenet-v2"), feeds(model("mobilenet-v2"), 2, seed=1), requant="fixedpoint")
    inner = [t for t in q.tensors.values() if not t.is_constant and t.name not in (*q.inputs, *q.outputs)]
    assert inner and all(t.dtype.startswith(("int", "uint", "bool")) for t in inner)
    assert [n.op_type for n in q.nodes if n.inputs[0] in q.inputs] == ["QuantizeLinear"]


def test_relu_and_relu6_are_fused_into_the_producer() -> None:
    q = quantize(model("mobilenet-v2"), feeds(model("mobilenet-v2"), 2, seed=1))
    assert not any(n.op_type in ("Relu", "Clip") for n in q.nodes)  # ReLU by saturation at the zero point
    relu6 = q.metadata["quantization"]["tensors"]["features.0.relu6"]
    assert relu6["zero_point"] == -128  # real 0 is the type's minimum
    assert relu6["scale"] * 255 <= 6.0 + 1e-6


def rounding_graph(config: QuantConfig, out: QParams, extra: float) -> Graph:
    """acc (int32) → requantize(acc · extra) into `out`: the requantization alone, as a graph."""
    acc = Tensor("acc", (1, 64), "int32")
    base = Graph.build("requant", [acc], [], [], ["acc"])
    e = Emitter(base, config, {})
    y = requantize(e, [Term("acc", np.float32(1.0), np.float32(extra), rank=2)], out, (-128, 127), "y")
    return Graph.build("requant", [acc], list(e.constants.values()), e.nodes, [y])


def round_exact(v: Fraction, rule: str) -> int:
    floor = v.numerator // v.denominator
    if v - floor != Fraction(1, 2):
        return round(v)
    return {"half_even": floor + (floor % 2), "half_up": floor + 1, "half_away": floor + int(v > 0)}[rule]


@pytest.mark.parametrize("rule", ["half_even", "half_away", "half_up"])
def test_float_requantization_rounds_ties_by_the_rule(rule: str) -> None:
    out = QParams(np.asarray(1.0, np.float32), np.asarray(3, np.int8), QuantType(8))
    graph = rounding_graph(QuantConfig(rounding=rule), out, 0.5)  # M = 0.5: every odd value is a tie
    acc = np.arange(-32, 32, dtype=np.int32).reshape(1, 64) * 5
    expected = [min(127, max(-128, round_exact(Fraction(int(a), 2), rule) + 3)) for a in acc.ravel()]
    assert run(graph, {"acc": acc})["y"].ravel().tolist() == expected
    assert session(graph).run(None, {"acc": acc})[0].ravel().tolist() == expected


def tflite_requantize(x: int, real: float) -> int:
    """The TFLite spec's two roundings in exact arithmetic: x·M to Q31 ties up, then /2^r ties away from 0."""
    fraction, exponent = np.frexp(real)
    multiplier, shift = round(fraction * 2**31), int(exponent)
    high = (Fraction(x * multiplier * 2 ** max(shift, 0), 2**31) + Fraction(1, 2)).__floor__()
    q = Fraction(high, 2 ** max(-shift, 0))
    return int(np.sign(q)) * int(abs(q) + Fraction(1, 2))


def test_fixedpoint_requantization_is_the_tflite_spec() -> None:
    out = QParams(np.asarray(1.0, np.float32), np.asarray(0, np.int8), QuantType(8))
    real = 0.0123457
    graph = rounding_graph(QuantConfig(requant="fixedpoint"), out, real)
    acc = np.random.default_rng(0).integers(-12000, 12000, (1, 64)).astype(np.int32)
    acc[0, :4] = [81, -81, 0, 40]  # 81·M ≈ 1.0000017, 40·M ≈ 0.49
    m = float(np.float64(np.float32(1.0)) * np.float64(np.float32(real)))
    expected = [min(127, max(-128, tflite_requantize(int(a), m))) for a in acc.ravel()]
    assert run(graph, {"acc": acc})["y"].ravel().tolist() == expected
    assert session(graph).run(None, {"acc": acc})[0].ravel().tolist() == expected


def test_weights_symmetric_per_output_channel() -> None:
    w = np.array([[2.54, -1.27, 0.0], [0.0, 0.0, 0.0], [-0.5, 0.25, 0.125]], np.float32)
    q, p = weight_params(w, 0, QuantType(8, narrow=True))
    assert p.scale.tolist() == pytest.approx([0.02, 1.0, 0.5 / 127])
    assert q.tolist() == [[127, -64, 0], [0, 0, 0], [-127, 64, 32]]  # −63.5 and 63.5 round half to even
    assert q.dtype == np.int8 and not p.zero_point.any()


def test_activation_params_hold_zero_exactly_and_bias_uses_both_scales() -> None:
    p = activation_params(-1.0, 3.0, QuantType(8), symmetric=False)
    assert float(p.scale) == pytest.approx(4 / 255) and int(p.zero_point) == -64
    assert activation_params(0.5, 2.0, QuantType(8), False).zero_point == -128  # the range is widened to 0
    assert float(activation_params(-2.0, 1.0, QuantType(8), True).scale) == pytest.approx(2 / 127)
    bias = bias_values(np.array([1.0, -0.3]), np.asarray(0.1, np.float32), np.array([0.5, 0.02], np.float32))
    assert bias.dtype == np.int32 and bias.tolist() == [20, -150]


def test_observers_against_numpy() -> None:
    values = np.random.default_rng(0).standard_normal((4, 1, 50, 50)).astype(np.float32)
    values[0, 0, 0, :3] = [40.0, -30.0, 25.0]  # outliers
    graph = Graph.build("id", [Tensor("x", (1, 1, 50, 50))], [], [], ["x"])
    inputs = [{"x": v[None]} for v in values]
    lo, hi = calibrate(graph, inputs, "minmax", QuantType(8))["x"]
    assert (lo, hi) == (-30.0, 40.0)
    p_lo, p_hi = calibrate(graph, inputs, "percentile", QuantType(8), percentile=99.9)["x"]
    bin_width = 70.0 / 2048
    assert p_lo == pytest.approx(np.percentile(values, 0.1, method="inverted_cdf"), abs=bin_width)
    assert p_hi == pytest.approx(np.percentile(values, 99.9, method="inverted_cdf"), abs=bin_width)
    m_lo, m_hi = calibrate(graph, inputs, "mse", QuantType(8))["x"]
    assert m_hi < hi and m_lo > lo  # outliers are clipped to resolve the bulk


def test_unquantizable_op_is_a_one_line_error_naming_node_and_op() -> None:
    with pytest.raises(NpukitError, match=r"node 'lrn1' \(LRN\): no integer kernel"):
        quantize(npukit.load("alexnet"), feeds(npukit.load("alexnet"), 1, 0))
    with pytest.raises(NpukitError, match="weight_bits must be one of"):
        quantize(model("lenet5"), feeds(model("lenet5"), 1, 0), weight_bits=16)


@needs_mnist
def test_lenet5_mnist_int8_keeps_its_accuracy() -> None:
    from npukit.data import mnist

    train, held_out = mnist(MNIST_DIR).split(8000)
    graph = npukit.load("lenet5-mnist", batch=100)
    q = quantize(graph, train.images[:500])
    fp = np.concatenate([run(graph, {"input": held_out.images[i : i + 100]})["output"] for i in range(0, 2000, 100)])
    sess = session(q)
    ints = [sess.run(None, {"input": held_out.images[i : i + 100]})[0] for i in range(0, 2000, 100)]
    ours = np.concatenate([run(q, {"input": held_out.images[i : i + 100]})["output"] for i in range(0, 2000, 100)])
    assert np.array_equal(ours, np.concatenate(ints))
    accuracy, float_accuracy = np.mean(ours.argmax(1) == held_out.labels), np.mean(fp.argmax(1) == held_out.labels)
    assert accuracy >= float_accuracy - 0.005 and accuracy >= 0.975  # measured: 97.90% (float 97.85%)


def test_cli_writes_a_model_onnxruntime_runs_as_npukit_does(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "lenet5-int8.onnx"
    assert main(["quantize", "lenet5", "-o", str(path), "--calib", "2", "--requant", "fixedpoint", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["options"]["requant"] == "fixedpoint" and data["tensors"]["conv1"]["dtype"] == "int8"
    assert data["calibration"] == "2 seeded standard-normal inputs (seed 0)"
    graph = npukit.load(path)
    x = feeds(graph, 1, seed=3)[0]
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    theirs = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"]).run(None, x)[0]
    assert np.array_equal(run(graph, x)["output"], theirs)
    assert main(["quantize", "alexnet", "-o", str(tmp_path / "a.onnx")]) == 2
    assert "node 'lrn1' (LRN)" in capsys.readouterr().err
