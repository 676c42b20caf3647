"""ONNX Runtime's com.microsoft quantized ops with a float twin: QLinearAdd, QLinearMul, QLinearAveragePool,
QLinearGlobalAveragePool and QLinearConcat (the QOperator format of `onnxruntime.quantization`).

Each takes scales and zero points beside its operands; its shape rule and its count are those of the float
twin (Add, Mul, AveragePool, GlobalAveragePool, Concat) on the operands picked out of the inputs, and its
output has the type of the output zero point.
"""

from __future__ import annotations

from typing import Any

from npukit.ir.graph import Node
from npukit.ir.ops.base import REQUIRED, fail, first
from npukit.ir.ops.elementwise import Add, Mul
from npukit.ir.ops.pool import WINDOW, AveragePool, GlobalAveragePool
from npukit.ir.ops.quant import Picked
from npukit.ir.ops.shape import Concat
from npukit.ir.ops.window import window
from npukit.ir.tensor import Shape, Tensor

Ins = list[Tensor | None]


class Twin(Picked):
    """Picked, but counted exactly as the float twin (no extra requantization ops, unlike QLinearConv's);
    the output's type is the output zero point's, or the first operand's when that zero point is absent."""

    def other_ops(self, a: dict[str, Any], ins: Ins, outs: list[Tensor]) -> int:
        return super(Picked, self).other_ops(a, self.pick(ins), outs)  # type: ignore[misc]

    def out_dtypes(self, ins: Ins, n: int) -> list[str]:
        assert isinstance(self.out_dtype, int)
        zero_point = ins[self.out_dtype] if self.out_dtype < len(ins) else None
        operand = self.pick(ins)[0]
        assert operand is not None
        return [(zero_point if zero_point is not None else operand).dtype] * n


class QLinearAdd(Twin, Add):
    """A, A_scale, A_zero_point, B, B_scale, B_zero_point, C_scale, C_zero_point (zero points optional);
    A and B broadcast."""

    op_type = "com.microsoft.QLinearAdd"
    positions = (0, 3)
    out_dtype = 7
    min_inputs = 5  # the zero points are optional


class QLinearMul(Twin, Mul):
    """The inputs of QLinearAdd."""

    op_type = "com.microsoft.QLinearMul"
    positions = (0, 3)
    out_dtype = 7
    min_inputs = 5  # the zero points are optional


class QLinearAveragePool(Twin, AveragePool):
    """X, x_scale, x_zero_point, y_scale, y_zero_point (zero points optional); N×C×spatial, or N×spatial×C
    with channels_last. No dilations."""

    op_type = "com.microsoft.QLinearAveragePool"
    defaults = {**WINDOW, "count_include_pad": 0, "channels_last": 0}
    positions = (0,)
    out_dtype = 4
    min_inputs = 3  # the zero points are optional

    def infer(self, node: Node, a: dict[str, Any], ins: Ins) -> list[Shape]:
        x = first(ins).shape
        if len(x) < 3:
            raise fail(node, f"input {x} must be N×C×spatial (or N×spatial×C with channels_last)")
        if not a["channels_last"]:
            return super().infer(node, a, ins)
        out, _ = window(node, a, x[1:-1], tuple(a["kernel_shape"]))
        return [(x[0], *out, x[-1])]


class QLinearGlobalAveragePool(Twin, GlobalAveragePool):
    """X, x_scale, x_zero_point, y_scale, y_zero_point; N×C×spatial, or N×spatial×C with channels_last."""

    op_type = "com.microsoft.QLinearGlobalAveragePool"
    defaults = {"channels_last": 0}
    positions = (0,)
    out_dtype = 4
    min_inputs = 5

    def infer(self, node: Node, a: dict[str, Any], ins: Ins) -> list[Shape]:
        x = first(ins).shape
        if not a["channels_last"]:
            return super().infer(node, a, ins)
        if len(x) < 3:
            raise fail(node, f"input {x} must be N×spatial×C")
        return [(x[0], *(1,) * (len(x) - 2), x[-1])]


class QLinearConcat(Twin, Concat):
    """Y_scale, Y_zero_point, then a (X, X_scale, X_zero_point) triple per input to concatenate."""

    op_type = "com.microsoft.QLinearConcat"
    defaults = {"axis": REQUIRED}
    out_dtype = 1
    min_inputs = 5

    def pick(self, ins: Ins) -> Ins:
        return ins[2::3]

    def infer(self, node: Node, a: dict[str, Any], ins: Ins) -> list[Shape]:
        if (len(ins) - 2) % 3 or any(t is None for t in self.pick(ins)):
            raise fail(node, f"needs Y_scale, Y_zero_point and (X, X_scale, X_zero_point) triples, has {len(ins)} "
                             "inputs")
        return super().infer(node, a, ins)


OPS = [QLinearAdd, QLinearMul, QLinearAveragePool, QLinearGlobalAveragePool, QLinearConcat]
