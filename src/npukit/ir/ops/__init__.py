"""The op registry: every op npukit models, found by walking the modules listed here."""

from __future__ import annotations

from collections.abc import Mapping

from npukit.errors import NpukitError
from npukit.ir.cost import Cost
from npukit.ir.graph import Node
from npukit.ir.ops import conv, elementwise, gemm, norm, pool, qlinear_binary, qlinear_lookup, quant, shape
from npukit.ir.ops.base import DataDependentShape, OpDef
from npukit.ir.tensor import Tensor

REGISTRY: dict[str, OpDef] = {
    cls.op_type: cls() for module in (conv, gemm, pool, norm, elementwise, shape, quant, qlinear_binary, qlinear_lookup)
    for cls in module.OPS
}


def infer_node(node: Node, tensors: Mapping[str, Tensor], known: Mapping[str, Tensor]) -> list[Tensor]:
    """The node's output tensors with shapes, from its op's shape rule (or `known` shapes)."""
    ins = [tensors[n] if n else None for n in node.inputs]
    op = REGISTRY.get(node.op_type)
    if op is None:
        missing = [o for o in node.outputs if o and o not in known]
        if missing:
            raise NpukitError(
                f"node '{node.name}': op '{node.op_type}' is not modeled by npukit and the shape "
                f"of its output '{missing[0]}' is unknown"
            )
        return [known[o] for o in node.outputs if o]
    present = sum(1 for t in ins if t is not None)
    if present < op.min_inputs or ins[0] is None:
        raise NpukitError(
            f"node '{node.name}' ({node.op_type}): needs at least {op.min_inputs} input(s), has {present}"
        )
    attrs = op.attrs(node)
    try:
        shapes = op.infer(node, attrs, ins)
    except DataDependentShape:
        if any(o and o not in known for o in node.outputs):
            raise
        return [known[o] for o in node.outputs if o]
    try:
        dtypes = op.node_dtypes(attrs, ins, len(shapes))
    except ValueError as e:
        raise NpukitError(f"node '{node.name}' ({node.op_type}): {e}") from None
    names = [o for o in node.outputs if o]
    return [Tensor(name, tuple(s), d) for name, s, d in zip(names, shapes, dtypes, strict=False)]


def node_cost(node: Node, ins: list[Tensor | None], outs: list[Tensor]) -> Cost:
    """The node's counts; for an op npukit does not model, `modeled=False` and no counts."""
    op = REGISTRY.get(node.op_type)
    if op is None:
        return Cost(
            activations_in=sum(t.size for t in ins if t is not None and not t.is_constant),
            activations_out=sum(t.size for t in outs),
            modeled=False,
        )
    return op.cost(node, ins, outs)


__all__ = ["REGISTRY", "OpDef", "infer_node", "node_cost"]
