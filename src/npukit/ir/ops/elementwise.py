"""Elementwise ops: activations, Softmax and LogSoftmax, broadcasting arithmetic and comparison, Cast, Where,
Dropout and Identity. The integer ones (Sub, Div, Abs, Sign, Where, Cast) build requantization in integer graphs."""

from __future__ import annotations

from typing import Any, ClassVar

from npukit.ir.graph import Node
from npukit.ir.ops.base import REQUIRED, OpDef, fail, first
from npukit.ir.ops.gemm import broadcast
from npukit.ir.tensor import Shape, Tensor


class Unary(OpDef):
    ops_per_element: ClassVar[int] = 1

    def other_ops(self, a: dict[str, Any], ins: list[Tensor | None], outs: list[Tensor]) -> int:
        return self.ops_per_element * outs[0].size


class Relu(Unary):
    op_type = "Relu"


class LeakyRelu(Unary):
    op_type = "LeakyRelu"
    defaults = {"alpha": 0.01}


class Sigmoid(Unary):
    op_type = "Sigmoid"


class Tanh(Unary):
    op_type = "Tanh"


class Clip(Unary):
    """min and max as inputs (opset 11+) or attributes (opset 6); ReLU6 is Clip(0, 6)."""

    op_type = "Clip"
    defaults = {"min": None, "max": None}


class Softmax(Unary):
    op_type = "Softmax"
    defaults = {"axis": -1}
    ops_per_element = 3  # exponent, sum, divide

    def infer(self, node: Node, a: dict[str, Any], ins: list[Tensor | None]) -> list[Shape]:
        x = first(ins)
        if not -len(x.shape) <= a["axis"] < len(x.shape):
            raise fail(node, f"axis {a['axis']} is out of range for rank {len(x.shape)}")
        return [x.shape]


class LogSoftmax(Softmax):
    op_type = "LogSoftmax"  # exponent, sum, subtract per element (one log per row)


class Add(OpDef):
    op_type = "Add"
    min_inputs = 2

    def infer(self, node: Node, a: dict[str, Any], ins: list[Tensor | None]) -> list[Shape]:
        shapes = [t.shape for t in ins if t is not None]
        try:
            return [broadcast(*shapes)]
        except ValueError:
            raise fail(node, f"input shapes {shapes} do not broadcast") from None

    def other_ops(self, a: dict[str, Any], ins: list[Tensor | None], outs: list[Tensor]) -> int:
        return outs[0].size * (len(ins) - 1)


class Mul(Add):
    op_type = "Mul"


class Sub(Add):
    op_type = "Sub"


class Div(Add):
    """Integer division truncates toward zero, as in C (ONNX Runtime and the ONNX reference agree)."""

    op_type = "Div"


class GreaterOrEqual(Add):
    op_type = "GreaterOrEqual"

    def out_dtypes(self, ins: list[Tensor | None], n: int) -> list[str]:
        return ["bool"]


class Where(Add):
    """condition, X, Y → X where the condition holds, else Y (broadcasting)."""

    op_type = "Where"
    min_inputs = 3

    def out_dtypes(self, ins: list[Tensor | None], n: int) -> list[str]:
        x = ins[1]
        assert x is not None
        return [x.dtype]


class Abs(Unary):
    op_type = "Abs"


class Sign(Unary):
    op_type = "Sign"


class Floor(Unary):
    op_type = "Floor"


# ONNX TensorProto element types → NumPy dtype names (Cast's `to`)
ONNX_DTYPES = {1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64", 9: "bool",
               10: "float16", 11: "float64", 12: "uint32", 13: "uint64"}


class Cast(Unary):
    op_type = "Cast"
    defaults = {"to": REQUIRED, "saturate": 1, "round_mode": "up"}

    def node_dtypes(self, a: dict[str, Any], ins: list[Tensor | None], n: int) -> list[str]:
        if a["to"] not in ONNX_DTYPES:
            raise ValueError(f"Cast to ONNX element type {a['to']} is not supported")
        return [ONNX_DTYPES[a["to"]]]


class Identity(OpDef):
    op_type = "Identity"


class Dropout(OpDef):
    """Inference: the identity. The optional mask output is shaped like the input."""

    op_type = "Dropout"
    defaults = {"ratio": 0.5, "seed": None}

    def infer(self, node: Node, a: dict[str, Any], ins: list[Tensor | None]) -> list[Shape]:
        return [first(ins).shape] * len(node.outputs)

    def out_dtypes(self, ins: list[Tensor | None], n: int) -> list[str]:
        return [first(ins).dtype, "bool"][:n]


OPS = [Relu, LeakyRelu, Sigmoid, Tanh, Clip, Softmax, LogSoftmax, Add, Mul, Sub, Div, GreaterOrEqual, Where, Abs, Sign,
       Floor, Cast, Identity, Dropout]
