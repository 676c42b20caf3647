"""Quantized ops of ONNX: QuantizeLinear, DequantizeLinear, and the integer Conv and MatMul forms.

QLinearConv and QLinearMatMul take scales and zero points beside their operands; their shape
rule, loop nest and MACs are those of Conv and MatMul on the operands picked out of the inputs.
"""

from __future__ import annotations

from typing import Any, ClassVar

from npukit.ir.graph import Node
from npukit.ir.loopnest import LoopNest
from npukit.ir.ops.base import OpDef, first
from npukit.ir.ops.conv import Conv
from npukit.ir.ops.gemm import MatMul
from npukit.ir.tensor import Shape, Tensor

Ins = list[Tensor | None]


class Picked:
    """Mixin: run the parent op's rules on the inputs at `positions` (operands, then bias)."""

    positions: ClassVar[tuple[int, ...]]
    out_dtype: ClassVar[str | int] = "int32"  # a dtype, or the index of the input whose dtype it takes

    def pick(self, ins: Ins) -> Ins:
        return [ins[i] if i < len(ins) else None for i in self.positions]

    def infer(self, node: Node, a: dict[str, Any], ins: Ins) -> list[Shape]:
        return super().infer(node, a, self.pick(ins))  # type: ignore[misc]

    def loopnest(self, node: Node, a: dict[str, Any], ins: Ins, outs: list[Tensor]) -> LoopNest | None:
        return super().loopnest(node, a, self.pick(ins), outs)  # type: ignore[misc]

    def other_ops(self, a: dict[str, Any], ins: Ins, outs: list[Tensor]) -> int:
        # requantization: one multiply, one round and one add per output
        return super().other_ops(a, self.pick(ins), outs) + 3 * outs[0].size  # type: ignore[misc]

    def out_dtypes(self, ins: Ins, n: int) -> list[str]:
        if isinstance(self.out_dtype, str):
            return [self.out_dtype] * n
        zero_point = ins[self.out_dtype] if self.out_dtype < len(ins) else None
        return [zero_point.dtype if zero_point is not None else "uint8"] * n


class QLinearConv(Picked, Conv):
    """x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point, B (int32)."""

    op_type = "QLinearConv"
    positions = (0, 3, 8)
    out_dtype = 7
    weight_inputs = (3,)
    param_inputs = (3, 8)
    min_inputs = 8


class ConvInteger(Picked, Conv):
    """x, w, x_zero_point, w_zero_point → int32 accumulators."""

    op_type = "ConvInteger"
    positions = (0, 1)
    param_inputs = (1,)


class QLinearMatMul(Picked, MatMul):
    """a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point."""

    op_type = "QLinearMatMul"
    positions = (0, 3)
    out_dtype = 7
    param_inputs = (0, 3)
    min_inputs = 8

    def weight_indices(self, ins: Ins) -> tuple[int, ...]:
        b = ins[3]
        return (3,) if b is not None and b.is_constant else (0,)


class MatMulInteger(Picked, MatMul):
    """A, B, a_zero_point, b_zero_point → int32 accumulators."""

    op_type = "MatMulInteger"
    positions = (0, 1)


class QuantizeLinear(OpDef):
    """y = saturate(round(x / scale) + zero_point); the type is the zero point's (uint8 without one)."""

    op_type = "QuantizeLinear"
    defaults = {"axis": 1, "saturate": 1, "block_size": 0, "output_dtype": 0, "precision": 0}

    def out_dtypes(self, ins: Ins, n: int) -> list[str]:
        zero_point = ins[2] if len(ins) > 2 else None
        return [zero_point.dtype if zero_point is not None else "uint8"]

    def other_ops(self, a: dict[str, Any], ins: Ins, outs: list[Tensor]) -> int:
        return 3 * outs[0].size  # divide, round, add


class DequantizeLinear(OpDef):
    """y = (x − zero_point) · scale, in the scale's type."""

    op_type = "DequantizeLinear"
    defaults = {"axis": 1, "block_size": 0, "output_dtype": 0}

    def out_dtypes(self, ins: Ins, n: int) -> list[str]:
        scale = ins[1] if len(ins) > 1 else None
        return [scale.dtype if scale is not None else first(ins).dtype]

    def other_ops(self, a: dict[str, Any], ins: Ins, outs: list[Tensor]) -> int:
        return 2 * outs[0].size  # subtract, multiply


OPS = [QLinearConv, ConvInteger, QLinearMatMul, MatMulInteger, QuantizeLinear, DequantizeLinear]
