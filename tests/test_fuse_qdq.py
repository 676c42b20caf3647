"""`fuse_qdq`: DequantizeLinear → op → QuantizeLinear groups become integer ops.

Oracle: ONNX Runtime with its graph optimizations on fuses the same groups on the CPU (QDQ →
QLinearConv, MaxPool on int8) and runs them with integer kernels; npukit's fused graph must give
the same integers. Groups that cannot be fused are left as written.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

import npukit
from npukit.compress import fuse_qdq
from npukit.runtime import run


def qdq_conv_model(float_bias: bool = False, pool_scale: float = 0.05, bias_scale: float = 1.0) -> onnx.ModelProto:
    """x → Q → DQ → Conv(DQ w, DQ b) → Q → DQ → MaxPool → Q → DQ → y."""
    rng = np.random.default_rng(0)
    w = rng.integers(-64, 64, (8, 3, 3, 3), dtype=np.int8)  # 7 bits: see the note in ort_fused
    w_scale = (rng.random(8).astype(np.float32) + 0.5) * 0.01
    bias = rng.integers(-500, 500, 8, dtype=np.int32)
    inits = [numpy_helper.from_array(a, n) for a, n in [
        (np.float32(0.02), "x_s"), (np.int8(3), "x_z"), (w, "w"), (w_scale, "w_s"), (np.zeros(8, np.int8), "w_z"),
        (bias, "b"), (w_scale * np.float32(0.02 * bias_scale), "b_s"), (np.zeros(8, np.int32), "b_z"),
        (np.float32(0.05), "y_s"), (np.int8(-5), "y_z"), (np.float32(pool_scale), "p_s"),
        (np.float32(0.01) * np.arange(8, dtype=np.float32), "b_float")]]
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "x_s", "x_z"], ["xq"], name="q_in"),
        helper.make_node("DequantizeLinear", ["xq", "x_s", "x_z"], ["xf"], name="dq_in"),
        helper.make_node("DequantizeLinear", ["w", "w_s", "w_z"], ["wf"], name="dq_w", axis=0),
        helper.make_node("DequantizeLinear", ["b", "b_s", "b_z"], ["bf"], name="dq_b", axis=0),
        helper.make_node("Conv", ["xf", "wf", "b_float" if float_bias else "bf"], ["c"], name="conv",
                         pads=[1, 1, 1, 1]),
        helper.make_node("QuantizeLinear", ["c", "y_s", "y_z"], ["cq"], name="q_conv"),
        helper.make_node("DequantizeLinear", ["cq", "y_s", "y_z"], ["cf"], name="dq_conv"),
        helper.make_node("MaxPool", ["cf"], ["p"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("QuantizeLinear", ["p", "p_s", "y_z"], ["pq"], name="q_pool"),
        helper.make_node("DequantizeLinear", ["pq", "p_s", "y_z"], ["y"], name="dq_out"),
    ]
    graph = helper.make_graph(nodes, "qdq", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8, 4, 4])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def ort_fused(model: onnx.ModelProto, tmp_path: Path) -> tuple[ort.InferenceSession, list[str]]:
    """ORT with its optimizations on (QDQ fusion) and the optimized graph's op types. ORT fuses a
    group only when nothing else reads its integers (not a graph output, one reader), so only the
    dequantized output y is compared: equal floats from one DequantizeLinear mean equal integers."""
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    options.optimized_model_filepath = str(tmp_path / "optimized.onnx")
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    return session, [n.op_type for n in onnx.load(str(tmp_path / "optimized.onnx")).graph.node]


def load(model: onnx.ModelProto, tmp_path: Path) -> npukit.Graph:
    path = tmp_path / "model.onnx"
    onnx.save(model, path)
    return npukit.load(path)


def test_conv_and_maxpool_fuse_like_onnxruntime(tmp_path: Path) -> None:
    model = qdq_conv_model()
    fused = fuse_qdq(load(model, tmp_path))
    assert [n.op_type for n in fused.nodes] == ["QuantizeLinear", "QLinearConv", "MaxPool", "DequantizeLinear"]
    session, ort_ops = ort_fused(model, tmp_path)
    assert "QLinearConv" in ort_ops and "Conv" not in ort_ops  # ORT fused the same group
    for seed in range(5):
        x = {"x": np.random.default_rng(seed).standard_normal((1, 3, 8, 8)).astype(np.float32) * 3}
        assert np.array_equal(run(fused, x)["y"], session.run(["y"], x)[0])


def test_unfusable_groups_stay_as_written(tmp_path: Path) -> None:
    # A float bias (not an int32 dequantized one) keeps the Conv in float; a MaxPool whose output
    # scale differs from its input's cannot run on the integers.
    fused = fuse_qdq(load(qdq_conv_model(float_bias=True, pool_scale=0.1), tmp_path))
    ops = [n.op_type for n in fused.nodes]
    assert "Conv" in ops and "QLinearConv" not in ops
    assert ops.count("QuantizeLinear") == 3 and "MaxPool" in ops
    graph = load(qdq_conv_model(float_bias=True, pool_scale=0.1), tmp_path)
    x = {"x": np.random.default_rng(0).standard_normal((1, 3, 8, 8)).astype(np.float32)}
    assert np.array_equal(run(graph, x)["y"], run(fused, x)["y"])


def test_a_bias_at_another_scale_keeps_the_conv_in_float(tmp_path: Path) -> None:
    # QLinearConv adds its int32 bias to the accumulator, whose scale is x_scale·w_scale: a bias
    # quantized at another scale cannot be added as it is.
    ops = [n.op_type for n in fuse_qdq(load(qdq_conv_model(bias_scale=2.0), tmp_path)).nodes]
    assert "Conv" in ops and "QLinearConv" not in ops


def test_per_row_matmul_scales_are_not_fused(tmp_path: Path) -> None:
    # QLinearMatMul takes B's scales per column; a DequantizeLinear along B's rows (axis 0) is not that.
    rng = np.random.default_rng(0)
    inits = [numpy_helper.from_array(a, n) for a, n in [
        (np.float32(0.1), "s"), (np.int8(0), "z"), (rng.integers(-64, 64, (4, 3), dtype=np.int8), "b"),
        (np.full(4, 0.05, np.float32), "b_s"), (np.zeros(4, np.int8), "b_z")]]
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["xq"]),
             helper.make_node("DequantizeLinear", ["xq", "s", "z"], ["xf"]),
             helper.make_node("DequantizeLinear", ["b", "b_s", "b_z"], ["bf"], axis=0),
             helper.make_node("MatMul", ["xf", "bf"], ["m"]),
             helper.make_node("QuantizeLinear", ["m", "s", "z"], ["mq"]),
             helper.make_node("DequantizeLinear", ["mq", "s", "z"], ["y"])]
    graph = helper.make_graph(nodes, "mm", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    assert "MatMul" in [n.op_type for n in fuse_qdq(load(model, tmp_path)).nodes]


def test_a_graph_without_qdq_groups_is_returned_unchanged() -> None:
    graph = npukit.load("lenet5")
    assert fuse_qdq(graph) is graph


def test_cli_run_fuse_qdq(tmp_path: Path) -> None:
    from npukit.cli.main import cli

    path = tmp_path / "model.onnx"
    onnx.save(qdq_conv_model(), path)
    x = np.random.default_rng(1).standard_normal((1, 3, 8, 8)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    with pytest.raises(SystemExit) as done:
        cli.main(["run", str(path), "--fuse-qdq", "--input", str(tmp_path / "x.npy"),
                  "--output", str(tmp_path / "y.npz"), "--json"], standalone_mode=True)
    assert done.value.code == 0
    fused = fuse_qdq(npukit.load(path))
    assert np.array_equal(np.load(tmp_path / "y.npz")["y"], run(fused, {"x": x})["y"])
    assert np.array_equal(npukit.run(path, {"x": x}, fuse_qdq=True)["y"], run(fused, {"x": x})["y"])
