"""Constant folding on import: a computation whose inputs are all constants becomes a constant.

Exporters leave such computations in the graph: PyTorch's without constant folding (an Identity
of a deduplicated initializer; Unsqueeze → Concat building a Reshape's target), and models with
a dynamic batch once their input shapes are fixed (Shape → Gather → Concat). Folding them keeps
weights counted as weights and every shape computable. No work is dropped: an NPU compiler runs
them once, at compile time.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import onnx
from onnx import helper, numpy_helper

from npukit.frontends.onnx_common import DEFAULT_DOMAINS, attribute_value
from npukit.ir import ArrayData, Tensor, Values

FOLD_LIMIT = 1 << 16  # input elements: larger constant computations stay in the graph (except Identity)
RANDOM = {"RandomNormalLike", "RandomUniformLike", "Bernoulli", "Multinomial"}


def fold(node: onnx.NodeProto, opset: int, tensors: Mapping[str, Tensor]) -> list[Tensor] | None:
    """The node's outputs as constant tensors, or None when the node is not folded.

    `tensors` holds the constants and every tensor whose static shape is known so far.
    """
    if node.domain not in DEFAULT_DOMAINS or node.op_type in RANDOM or not node.input:
        return None
    ins = [tensors.get(name) for name in node.input if name]
    if any(t is None for t in ins):
        return None
    if node.op_type == "Shape":
        return [shape_of(node, ins[0])]  # type: ignore[arg-type]
    constants = [t for t in ins if t is not None and t.is_constant]
    if len(constants) < len(ins):
        return None
    if node.op_type == "Identity":
        return [Tensor(node.output[0], constants[0].shape, constants[0].dtype, constants[0].init)]
    if sum(t.size for t in constants) > FOLD_LIMIT:
        return None
    return evaluate(node, opset, constants)


def shape_of(node: onnx.NodeProto, x: Tensor) -> Tensor:
    """Shape (with opset 15's start and end) of a tensor whose shape is static."""
    a = {attr.name: attribute_value(attr) for attr in node.attribute}
    dims = x.shape[slice(a.get("start", 0), a.get("end"))]
    return Tensor(node.output[0], (len(dims),), "int64", Values(tuple(dims)))


def evaluate(node: onnx.NodeProto, opset: int, ins: list[Tensor]) -> list[Tensor] | None:
    """Run the node once with ONNX's reference evaluator; None if it cannot."""
    from onnx.reference import ReferenceEvaluator

    inits = {t.name: numpy_helper.from_array(np.asarray(t.value()), t.name) for t in ins}
    outs = [o for o in node.output if o]
    graph = helper.make_graph(
        [node], "fold", [], [helper.make_empty_tensor_value_info(o) for o in outs], list(inits.values())
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    try:
        values = ReferenceEvaluator(model).run(None, {})
    except Exception:  # an op the reference evaluator lacks: leave the node in the graph
        return None
    arrays = [np.asarray(v) for v in values]
    return [Tensor(o, a.shape, a.dtype.name, ArrayData(a)) for o, a in zip(outs, arrays, strict=True)]
