"""Quantized ops of ONNX Runtime's com.microsoft domain, as `quantize_static` writes them in QOperator format.

QLinearSigmoid and QLinearLeakyRelu map each 8-bit code through a 256-entry table; they cost what their
float twins cost. QGemm is Gemm on the operands picked out of its inputs: the same loop nest, MACs and
weights.
"""

from __future__ import annotations

from npukit.ir.ops.elementwise import LeakyRelu, Sigmoid
from npukit.ir.ops.gemm import Gemm
from npukit.ir.ops.quant import Ins, Picked


class QLinearSigmoid(Sigmoid):
    """X, X_scale, X_zero_point (optional), Y_scale, Y_zero_point (optional); Y has X's type."""

    op_type = "com.microsoft.QLinearSigmoid"
    min_inputs = 3


class QLinearLeakyRelu(LeakyRelu):
    """X, X_scale, X_zero_point (optional), Y_scale, Y_zero_point (optional); Y has X's type."""

    op_type = "com.microsoft.QLinearLeakyRelu"
    min_inputs = 3


class QGemm(Picked, Gemm):
    """A, a_scale, a_zero_point, B, b_scale, b_zero_point, C (int32), y_scale, y_zero_point.

    Y = alpha·A'·B' (+ C, in the accumulator), requantized to y_zero_point's type, or float32 without one.
    """

    op_type = "com.microsoft.QGemm"
    defaults = {"alpha": 1.0, "transA": 0, "transB": 0}
    positions = (0, 3, 6)
    weight_inputs = (3,)
    param_inputs = (3, 6)
    min_inputs = 6

    def out_dtypes(self, ins: Ins, n: int) -> list[str]:
        zero_point = ins[8] if len(ins) > 8 else None
        return [zero_point.dtype if zero_point is not None else "float32"] * n


OPS = [QLinearSigmoid, QLinearLeakyRelu, QGemm]
