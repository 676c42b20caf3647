"""The base of every op: attribute binding with ONNX defaults, shape rule and cost hooks.

An op subclass declares `op_type`, its attribute `defaults` (ONNX's), which inputs hold weights
and params, and writes `infer` (output shapes) and, where it computes, `loopnest` or `other_ops`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

from npukit.errors import NpukitError
from npukit.ir.cost import Cost
from npukit.ir.graph import Node
from npukit.ir.loopnest import LoopNest
from npukit.ir.tensor import Shape, Tensor

REQUIRED = object()  # marks an attribute without a default


class DataDependentShape(NpukitError):
    """A shape rule needs the value of an input that is not a constant (a Reshape to a computed shape).

    `infer_node` then takes the output shapes from `known` (ONNX shape inference) if it has them.
    """


class OpDef:
    op_type: ClassVar[str]
    defaults: ClassVar[Mapping[str, Any]] = {}
    weight_inputs: ClassVar[tuple[int, ...]] = ()  # filter coefficients (survey's "weights")
    param_inputs: ClassVar[tuple[int, ...]] = ()  # trainable parameters (PyTorch's "params")
    min_inputs: ClassVar[int] = 1
    computes_macs: ClassVar[bool] = False  # True: a missing LoopNest means "not modeled"

    def attrs(self, node: Node) -> dict[str, Any]:
        """The node's attributes over this op's defaults; an unknown or missing one is an error."""
        unknown = set(node.attrs) - set(self.defaults)
        if unknown:
            raise NpukitError(
                f"node '{node.name}' ({node.op_type}): unknown attribute(s) {sorted(unknown)}; "
                f"valid: {sorted(self.defaults) or 'none'}"
            )
        bound = {**self.defaults, **node.attrs}
        missing = [k for k, v in bound.items() if v is REQUIRED]
        if missing:
            raise NpukitError(f"node '{node.name}' ({node.op_type}): missing attribute(s) {missing}")
        return bound

    def infer(self, node: Node, a: dict[str, Any], ins: list[Tensor | None]) -> list[Shape]:
        """Output shapes. Default: one output shaped like the first input."""
        return [first(ins).shape]

    def out_dtypes(self, ins: list[Tensor | None], n: int) -> list[str]:
        return [first(ins).dtype] * n

    def node_dtypes(self, a: dict[str, Any], ins: list[Tensor | None], n: int) -> list[str]:
        """Output dtypes when they depend on an attribute (Cast's `to`); default: `out_dtypes`."""
        return self.out_dtypes(ins, n)

    def loopnest(self, node: Node, a: dict[str, Any], ins: list[Tensor | None], outs: list[Tensor]) -> LoopNest | None:
        return None

    def other_ops(self, a: dict[str, Any], ins: list[Tensor | None], outs: list[Tensor]) -> int:
        return 0

    def weight_indices(self, ins: list[Tensor | None]) -> tuple[int, ...]:
        return self.weight_inputs

    def cost(self, node: Node, ins: list[Tensor | None], outs: list[Tensor]) -> Cost:
        a = self.attrs(node)
        nest = self.loopnest(node, a, ins, outs)
        return Cost(
            macs=nest.macs if nest else 0,
            weights=constant_size(ins, self.weight_indices(ins)),
            params=constant_size(ins, self.param_inputs),
            other_ops=self.other_ops(a, ins, outs),
            activations_in=sum(t.size for t in ins if t is not None and not t.is_constant),
            activations_out=sum(t.size for t in outs),
            loopnest=nest,
            modeled=nest is not None or not self.computes_macs,
        )


def first(ins: list[Tensor | None]) -> Tensor:
    assert ins and ins[0] is not None
    return ins[0]


def constant_size(ins: list[Tensor | None], indices: tuple[int, ...]) -> int:
    return sum(t.size for i in indices if i < len(ins) and (t := ins[i]) is not None and t.is_constant)


def elements(ts: list[Tensor]) -> int:
    return sum(math.prod(t.shape) for t in ts)


def fail(node: Node, message: str) -> NpukitError:
    return NpukitError(f"node '{node.name}' ({node.op_type}): {message}")


def constant_ints(node: Node, t: Tensor | None, what: str) -> list[int]:
    """The values of a constant integer input (Reshape's shape, Pad's pads) as a list."""
    if t is None:
        raise fail(node, f"needs the {what} input")
    if not t.is_constant:
        raise DataDependentShape(f"node '{node.name}' ({node.op_type}): the {what} must be a constant input")
    return [int(v) for v in t.value().reshape(-1)]
