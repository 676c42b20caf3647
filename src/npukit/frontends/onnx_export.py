"""ONNX export: an npukit Graph as an ONNX model at any opset from 7 on (17 by default).

npukit's IR uses the current ONNX meaning of every op. Where an older or newer opset spells the
same thing differently, the node is rewritten for the opset asked for; nothing else changes
(batch norm is not folded, no node is dropped):

- Clip's min and max: constant inputs from opset 11, attributes before.
- Dropout's ratio: a constant input from opset 12, an attribute before (its seed is dropped
  before 12, where inference never used it).
- Pad's pads and constant value: constant inputs from opset 11, attributes before.
- Gemm before opset 11 needs its C input: a scalar 0 when the node has none.
- (Log)Softmax before opset 13 normalizes over every axis from `axis` on: exported only when the
  axes after `axis` have size 1, where both meanings agree.
- An attribute an opset does not know is left out when it holds npukit's default, else an error.

Constants are written with `Tensor.value()`; initializers read from an ONNX file are reused as
they are.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import helper, numpy_helper

from npukit.atomic import atomic_path
from npukit.errors import NpukitError
from npukit.frontends.onnx_common import (
    MAX_OPSET,
    MIN_OPSET,
    OnnxData,
    elem_type,
    same_value,
    schema,
    schema_default,
)
from npukit.frontends.onnx_import import METADATA_KEY
from npukit.ir import REGISTRY, Graph, Node, Tensor


def to_onnx(graph: Graph, opset: int = 17) -> onnx.ModelProto:
    """The graph as an ONNX ModelProto at `opset`, with every tensor's shape in its value_info."""
    if not MIN_OPSET <= opset <= MAX_OPSET:
        raise NpukitError(
            f"{graph.name}: cannot export at opset {opset}: npukit writes opsets {MIN_OPSET} to {MAX_OPSET}"
        )
    try:
        return model_proto(graph, opset)
    except NpukitError as e:
        raise NpukitError(f"{graph.name}: {e}") from None


def save(graph: Graph, path: str | os.PathLike[str], opset: int = 17) -> None:
    """Write the graph as an ONNX file at `path`, atomically (a temporary file, then a rename)."""
    target = Path(path)
    try:
        data = to_onnx(graph, opset).SerializeToString()
    except ValueError as e:  # protobuf's 2 GB limit
        raise NpukitError(f"{target}: cannot serialize the model: {e}") from None
    with atomic_path(target, "the model") as tmp:
        tmp.write_bytes(data)


def model_proto(graph: Graph, opset: int) -> onnx.ModelProto:
    extra: dict[str, onnx.TensorProto] = {}
    nodes = [node_proto(graph, node, opset, extra) for node in graph.nodes]
    used = {name for n in nodes for name in n.input if name} | set(graph.outputs)
    io = {*graph.inputs, *graph.outputs}
    opsets = [helper.make_opsetid("", opset)]
    opsets += [helper.make_opsetid(d, 1) for d in sorted({domain_of(n.op_type)[0] for n in graph.nodes} - {""})]
    # built in place rather than with helper.make_graph/make_model, which copy every weight twice
    # IR 4 at least: before it, every initializer also had to be listed as a graph input
    model = onnx.ModelProto(ir_version=max(4, helper.find_min_ir_version_for(opsets, ignore_unknown=True)))
    model.producer_name = "npukit"
    model.opset_import.extend(opsets)
    g = model.graph
    g.name = graph.name
    g.node.extend(nodes)
    g.input.extend(value_info(graph.tensors[n]) for n in graph.inputs)
    g.output.extend(value_info(graph.tensors[n]) for n in graph.outputs)
    g.value_info.extend(value_info(t) for t in graph.tensors.values() if not t.is_constant and t.name not in io)
    for t in graph.tensors.values():
        if t.is_constant and t.name in used:
            write_tensor(g.initializer.add(), t)
    g.initializer.extend(extra.values())
    with_metadata(model, graph)
    return model


def with_metadata(model: onnx.ModelProto, graph: Graph) -> None:
    try:
        text = json.dumps({k: v for k, v in graph.metadata.items() if k != "onnx_opset"})  # the file says it
    except TypeError:  # metadata that is not JSON: leave it out
        return
    helper.set_model_props(model, {METADATA_KEY: text})


def domain_of(op_type: str) -> tuple[str, str]:
    """(domain, op) of an IR op type; imported ops of other domains are named 'domain.Op'."""
    domain, _, op = op_type.rpartition(".")
    return domain, op


def value_info(t: Tensor) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(t.name, elem_type(t.dtype), t.shape)


def write_tensor(proto: onnx.TensorProto, t: Tensor) -> None:
    """Fill `proto` with the constant's data (one copy: the weights can be hundreds of MB)."""
    if isinstance(t.init, OnnxData):
        proto.CopyFrom(t.init.proto)
        proto.name = t.name
        return
    data = np.asarray(t.value(), dtype=t.dtype).reshape(t.shape)
    if data.dtype.kind not in "biuf":  # strings and exotic types: numpy_helper knows them
        proto.CopyFrom(numpy_helper.from_array(data, t.name))
        return
    proto.name, proto.data_type = t.name, elem_type(t.dtype)
    proto.dims.extend(t.shape)
    proto.raw_data = data.astype(data.dtype.newbyteorder("<"), copy=False).tobytes()


def node_proto(graph: Graph, node: Node, opset: int, extra: dict[str, onnx.TensorProto]) -> onnx.NodeProto:
    domain, op = domain_of(node.op_type)
    inputs, attrs = list(node.inputs), {k: v for k, v in node.attrs.items() if v is not None}
    if not domain:
        if op in REWRITES:
            inputs, attrs = REWRITES[op](Rewrite(graph, node, opset, extra), inputs, attrs)
        attrs = fit_attributes(node, op, opset, attrs)
    else:  # another domain's op (e.g. com.microsoft): its attributes as imported, types inferred
        attrs = {k: (v, None) for k, v in attrs.items()}
    while inputs and not inputs[-1]:
        inputs.pop()  # absent trailing optional inputs
    proto = helper.make_node(op, inputs, list(node.outputs), name=node.name, domain=domain)
    proto.attribute.extend(helper.make_attribute(k, v, attr_type=t) for k, (v, t) in attrs.items())
    return proto


def fit_attributes(node: Node, op: str, opset: int, attrs: dict[str, Any]) -> dict[str, tuple[Any, int | None]]:
    """Attributes as (value, ONNX type) that `opset`'s schema of `op` accepts, npukit's defaults made explicit."""
    spec = schema(op, opset)
    if spec is None:
        raise NpukitError(f"node '{node.name}': op {op} does not exist at opset {opset}")
    ours = REGISTRY[op].defaults if op in REGISTRY else {}
    out: dict[str, tuple[Any, int | None]] = {}
    for name, value in attrs.items():
        if name in spec.attributes:
            out[name] = typed(value, spec.attributes[name].type)
        elif not (name in ours and same_value(value, ours[name])):
            raise NpukitError(
                f"node '{node.name}' ({op}): attribute {name}={value!r} cannot be written at opset {opset}"
            )
    for name, attr in spec.attributes.items():  # where npukit's default is not this opset's (Softmax's axis)
        default, mine = schema_default(attr), ours.get(name)
        settable = name not in out and default is not None and isinstance(mine, int | float | str)
        if settable and not same_value(default, mine):
            out[name] = typed(mine, attr.type)
    return out


def typed(value: Any, attr_type: int) -> tuple[Any, int]:
    """The value in the Python type the attribute's ONNX type asks for (Clip's min=0 as 0.0)."""
    kinds: dict[int, Callable[[Any], Any]] = {
        onnx.AttributeProto.FLOAT: float,
        onnx.AttributeProto.INT: int,
        onnx.AttributeProto.STRING: str,
        onnx.AttributeProto.FLOATS: lambda v: [float(x) for x in v],
        onnx.AttributeProto.INTS: lambda v: [int(x) for x in v],
        onnx.AttributeProto.STRINGS: lambda v: [str(x) for x in v],
    }
    return (kinds[attr_type](value) if attr_type in kinds else value), attr_type


class Rewrite:
    """What a rewrite needs: the node, its graph, the target opset and a place for new constants."""

    def __init__(self, graph: Graph, node: Node, opset: int, extra: dict[str, onnx.TensorProto]) -> None:
        self.graph, self.node, self.opset, self.extra = graph, node, opset, extra

    def constant(self, suffix: str, value: Any, dtype: str) -> str:
        """A new initializer named after the node; returns its name."""
        name = f"{self.node.name}.{suffix}"
        while name in self.graph.tensors or name in self.extra:
            name += "_"
        self.extra[name] = numpy_helper.from_array(np.asarray(value, dtype=dtype), name)
        return name

    def value(self, inputs: list[str], i: int, what: str) -> np.ndarray | None:
        """The constant input i (None if absent); an error if it is not a constant."""
        if i >= len(inputs) or not inputs[i]:
            return None
        t = self.graph.tensors[inputs[i]]
        if not t.is_constant:
            raise NpukitError(
                f"node '{self.node.name}' ({self.node.op_type}): {what} must be a constant to be written "
                f"as an attribute at opset {self.opset}"
            )
        return np.asarray(t.value())

    def dtype(self, inputs: list[str]) -> str:
        return self.graph.tensors[inputs[0]].dtype


def set_input(inputs: list[str], i: int, name: str) -> list[str]:
    padded = [*inputs, *[""] * (i + 1 - len(inputs))]
    return [*padded[:i], name, *padded[i + 1 :]]


def clip(r: Rewrite, inputs: list[str], attrs: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    for i, key in ((1, "min"), (2, "max")):
        if r.opset >= 11 and key in attrs:
            inputs = set_input(inputs, i, r.constant(key, attrs.pop(key), r.dtype(inputs)))
        elif r.opset < 11 and (v := r.value(inputs, i, key)) is not None:
            attrs[key], inputs = float(v), set_input(inputs, i, "")
    return inputs, attrs


def dropout(r: Rewrite, inputs: list[str], attrs: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    if r.opset >= 12 and "ratio" in attrs:
        ratio = attrs.pop("ratio")
        if len(inputs) < 2 or not inputs[1]:
            inputs = set_input(inputs, 1, r.constant("ratio", ratio, "float32"))
    elif r.opset < 12:
        attrs.pop("seed", None)
        if (v := r.value(inputs, 1, "ratio")) is not None:
            attrs["ratio"] = float(v)
        if (v := r.value(inputs, 2, "training_mode")) is not None and v.any():
            raise NpukitError(f"node '{r.node.name}' (Dropout): training mode cannot be written before opset 12")
        inputs = inputs[:1]
    return inputs, attrs


def pad(r: Rewrite, inputs: list[str], attrs: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    if r.opset >= 11:
        if "pads" in attrs:
            inputs = set_input(inputs, 1, r.constant("pads", attrs.pop("pads"), "int64"))
        if "value" in attrs:
            inputs = set_input(inputs, 2, r.constant("value", attrs.pop("value"), r.dtype(inputs)))
        return inputs, attrs
    if len(inputs) > 3 and inputs[3]:
        raise NpukitError(f"node '{r.node.name}' (Pad): axes cannot be written before opset 18")
    if (v := r.value(inputs, 1, "pads")) is not None:
        attrs["pads"] = [int(x) for x in v.reshape(-1)]
    if (v := r.value(inputs, 2, "constant_value")) is not None:
        attrs["value"] = float(v)
    return inputs[:1], attrs


def gemm(r: Rewrite, inputs: list[str], attrs: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    if r.opset < 11 and (len(inputs) < 3 or not inputs[2]):
        inputs = set_input(inputs, 2, r.constant("C", 0.0, r.dtype(inputs)))
    return inputs, attrs


def softmax(r: Rewrite, inputs: list[str], attrs: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    if r.opset < 13:
        shape = r.graph.tensors[inputs[0]].shape
        axis = attrs.get("axis", -1) % len(shape)
        if math.prod(shape[axis + 1 :]) != 1:
            raise NpukitError(
                f"node '{r.node.name}' ({r.node.op_type}): normalizing axis {axis} of {shape} alone cannot be "
                "written before opset 13"
            )
        attrs["axis"] = axis
    return inputs, attrs


REWRITES = {"Clip": clip, "Dropout": dropout, "Pad": pad, "Gemm": gemm, "Softmax": softmax, "LogSoftmax": softmax}
