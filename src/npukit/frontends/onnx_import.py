"""ONNX import: an ONNX model (file, bytes or ModelProto), opset 7 or later, as an npukit Graph.

Initializers and Constant nodes become constant tensors whose data is converted only when asked
for; computations on constants are folded (onnx_fold.py). Shapes come from npukit's own shape
rules; ops npukit does not model take theirs from ONNX shape inference and are reported as
"not modeled" by the analysis, never dropped. Every error is one NpukitError line that starts
with the file (or "<bytes>", or the ModelProto's graph name) and names the node or tensor.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from collections import ChainMap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import onnx
from onnx import helper

from npukit.errors import NpukitError
from npukit.frontends.onnx_common import (
    DEFAULT_DOMAINS,
    MAX_OPSET,
    MIN_OPSET,
    attribute_value,
    constant_tensor,
    elem_type,
    np_dtype,
    same_value,
    schema,
    schema_default,
)
from npukit.frontends.onnx_fold import fold
from npukit.ir import REGISTRY, Graph, Node, Tensor, Values

Source = str | os.PathLike[str] | bytes | onnx.ModelProto
Shapes = Mapping[str, tuple[int, ...]]
METADATA_KEY = "npukit.metadata"  # graph metadata written by npukit's exporter, as JSON
SMALL = 4096  # initializers up to this many elements keep their data for ONNX shape inference


def load(model: Source, input_shapes: Shapes | None = None) -> Graph:
    """Read an ONNX model (a path, its bytes or a ModelProto) as a Graph with every shape known.

    `input_shapes` fixes the shapes of graph inputs by name ({"input": (1, 3, 224, 224)}); it is
    needed for every input with a dynamic dimension. Raises NpukitError naming the file.
    """
    proto, label = read_model(model)
    try:
        return to_graph(proto, label, dict(input_shapes or {}))
    except NpukitError as e:
        message = str(e).removeprefix(f"{graph_name(proto, label)}: ")
        raise NpukitError(f"{label}: {message}") from None


def read_model(model: Source) -> tuple[onnx.ModelProto, str]:
    """The ModelProto and the label that starts every error message about it."""
    if isinstance(model, onnx.ModelProto):
        return model, model.graph.name or "<ModelProto>"
    label = "<bytes>" if isinstance(model, bytes) else str(model)
    if not isinstance(model, bytes) and not Path(model).is_file():
        raise NpukitError(f"{label}: no such file")
    try:
        proto = onnx.load_model_from_string(model) if isinstance(model, bytes) else onnx.load(os.fspath(model))
    except Exception as e:  # protobuf and onnx raise many types for a damaged file
        raise NpukitError(f"{label}: not a valid ONNX model: {one_line(e)}") from None
    if proto.ir_version < 1 or not proto.HasField("graph") or not proto.graph.output:
        raise NpukitError(f"{label}: not a valid ONNX model: no IR version, graph or graph output")
    return proto, label


def to_graph(proto: onnx.ModelProto, label: str, input_shapes: dict[str, tuple[int, ...]]) -> Graph:
    g = proto.graph
    opset = default_opset(proto)
    constants: dict[str, Tensor] = {t.name: constant_tensor(t) for t in g.initializer}
    inputs = graph_inputs(g, constants, input_shapes)
    known = inferred_shapes(proto, inputs)
    nodes = convert_nodes(g.node, opset, constants, known)
    outputs = [o.name for o in g.output]
    return Graph.build(
        graph_name(proto, label), inputs, list(constants.values()), nodes, outputs, metadata(proto, opset), known
    )


def graph_name(proto: onnx.ModelProto, label: str) -> str:
    return proto.graph.name or Path(label).stem


def default_opset(proto: onnx.ModelProto) -> int:
    versions = [o.version for o in proto.opset_import if o.domain in DEFAULT_DOMAINS]
    if not versions:
        raise NpukitError("the model imports no version of the default ONNX opset")
    if not MIN_OPSET <= versions[0] <= MAX_OPSET:
        raise NpukitError(f"opset {versions[0]} is not supported: npukit reads opsets {MIN_OPSET} to {MAX_OPSET}")
    return versions[0]


def metadata(proto: onnx.ModelProto, opset: int) -> dict[str, Any]:
    props = {p.key: p.value for p in proto.metadata_props}
    try:
        stored = json.loads(props.get(METADATA_KEY, "{}"))
    except json.JSONDecodeError:
        stored = {}
    return {**(stored if isinstance(stored, dict) else {}), "onnx_opset": opset}


def graph_inputs(
    g: onnx.GraphProto, constants: Mapping[str, Tensor], shapes: dict[str, tuple[int, ...]]
) -> list[Tensor]:
    """The graph inputs that are not initializers, with every dimension fixed."""
    inputs = [vi for vi in g.input if vi.name not in constants]
    unknown = sorted(set(shapes) - {vi.name for vi in inputs})
    if unknown:
        names = ", ".join(vi.name for vi in inputs) or "none"
        raise NpukitError(f"input shape given for '{unknown[0]}', which is not a graph input (inputs: {names})")
    return [input_tensor(vi, shapes.get(vi.name)) for vi in inputs]


def input_tensor(vi: onnx.ValueInfoProto, given: tuple[int, ...] | None) -> Tensor:
    if not vi.type.HasField("tensor_type"):
        raise NpukitError(f"graph input '{vi.name}' is not a tensor")
    dims = static_dims(vi.type.tensor_type)
    shown = "x".join("?" if d is None else str(d) for d in dims) if dims is not None else "unknown rank"
    dtype = np_dtype(vi.type.tensor_type.elem_type, f"graph input '{vi.name}'")
    if given is not None:
        given = tuple(int(d) for d in given)
        fits = dims is None or (
            len(dims) == len(given) and all(d in (None, g) for d, g in zip(dims, given, strict=True))
        )
        if not fits:
            raise NpukitError(f"graph input '{vi.name}' has shape {shown}; the given shape {given} does not fit it")
        return Tensor(vi.name, given, dtype)
    if dims is None or None in dims:
        example = "x".join(str(d or 1) for d in dims) if dims else "1x3x224x224"
        raise NpukitError(
            f"graph input '{vi.name}' has a dynamic shape ({shown}); fix it with "
            f"input_shapes={{'{vi.name}': (...)}} or --input-shape {vi.name}={example}"
        )
    return Tensor(vi.name, tuple(d for d in dims if d is not None), dtype)


def static_dims(tt: onnx.TypeProto.Tensor) -> list[int | None] | None:
    """Each dimension, None where it is symbolic or missing; None if even the rank is unknown."""
    if not tt.HasField("shape"):
        return None
    return [d.dim_value if d.HasField("dim_value") else None for d in tt.shape.dim]


def inferred_shapes(proto: onnx.ModelProto, inputs: list[Tensor]) -> dict[str, Tensor]:
    """Static shapes from ONNX shape inference, run with the inputs fixed (and without big weights)."""
    model = shape_model(proto, inputs)
    with contextlib.suppress(Exception):  # inference helps with unmodeled ops; it is not required
        model = onnx.shape_inference.infer_shapes(model, strict_mode=False, data_prop=True)
    known = {}
    for vi in (*model.graph.value_info, *model.graph.output):
        tt = vi.type.tensor_type
        dims = static_dims(tt) if vi.type.HasField("tensor_type") else None
        if dims is not None and None not in dims and tt.elem_type:
            try:
                known[vi.name] = Tensor(vi.name, tuple(dims), np_dtype(tt.elem_type, vi.name))  # type: ignore[arg-type]
            except NpukitError:
                continue
    return {**known, **{t.name: t for t in inputs}}


def shape_model(proto: onnx.ModelProto, inputs: list[Tensor]) -> onnx.ModelProto:
    """A light copy of the model for shape inference: inputs fixed, large initializers as typed inputs."""
    g = proto.graph
    small = [t for t in g.initializer if math.prod(t.dims) <= SMALL and t.data_location != onnx.TensorProto.EXTERNAL]
    small_names = {t.name for t in small}
    large = [
        helper.make_tensor_value_info(t.name, t.data_type, t.dims) for t in g.initializer if t.name not in small_names
    ]
    fixed = [helper.make_tensor_value_info(t.name, elem_type(t.dtype), t.shape) for t in inputs]
    graph = helper.make_graph(g.node, g.name, fixed + large, g.output, small, value_info=g.value_info)
    return helper.make_model(
        graph, opset_imports=proto.opset_import, ir_version=max(proto.ir_version, 4), functions=proto.functions
    )


def convert_nodes(protos: Any, opset: int, constants: dict[str, Tensor], known: Mapping[str, Tensor]) -> list[Node]:
    """IR nodes; Constant nodes and folded computations are added to `constants` instead."""
    nodes: list[Node] = []
    names: set[str] = set()
    tensors = ChainMap(constants, known)
    for i, p in enumerate(protos):
        folded = (
            constant_node(p) if p.op_type == "Constant" and p.domain in DEFAULT_DOMAINS else fold(p, opset, tensors)
        )
        if folded is not None:
            constants.update((t.name, t) for t in folded)
            continue
        op_type = p.op_type if p.domain in DEFAULT_DOMAINS else f"{p.domain}.{p.op_type}"
        name = unique(p.name or f"{op_type}_{i}", names)
        attrs = explicit_defaults(op_type, opset, {a.name: attribute_value(a) for a in p.attribute})
        node = Node(name, op_type, tuple(p.input), tuple(p.output), attrs)
        legacy = opset < 13 and op_type in ("Softmax", "LogSoftmax")
        nodes.extend(legacy_softmax(node, tensors, constants) if legacy else [node])
    return nodes


def unique(name: str, taken: set[str]) -> str:
    """ONNX does not require distinct node names; npukit's reports do."""
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}_{n}"
    taken.add(candidate)
    return candidate


def constant_node(p: onnx.NodeProto) -> list[Tensor]:
    """A Constant node's output as a constant tensor."""
    out = p.output[0]
    (attr,) = p.attribute if len(p.attribute) == 1 else (None,)
    if attr is None or attr.name not in ("value", "value_float", "value_floats", "value_int", "value_ints"):
        raise NpukitError(f"node '{p.name or out}' (Constant): needs one of value, value_float(s), value_int(s)")
    if attr.name == "value":
        return [constant_tensor(attr.t, out)]
    values = attribute_value(attr)
    dtype = "float32" if attr.name.startswith("value_float") else "int64"
    if isinstance(values, list):
        return [Tensor(out, (len(values),), dtype, Values(tuple(values)))]
    return [Tensor(out, (), dtype, Values((values,)))]


def explicit_defaults(op_type: str, opset: int, attrs: dict[str, Any]) -> dict[str, Any]:
    """Attributes whose ONNX default at `opset` differs from npukit's (Softmax's axis before opset 13)."""
    op, spec = REGISTRY.get(op_type), schema(op_type, opset)
    if op is None or spec is None:
        return attrs
    for name, attr in spec.attributes.items():
        default, ours = schema_default(attr), op.defaults.get(name)
        settable = name not in attrs and default is not None and isinstance(ours, int | float | str)
        if settable and not same_value(default, ours):
            attrs[name] = default
    return attrs


def legacy_softmax(node: Node, tensors: Mapping[str, Tensor], constants: dict[str, Tensor]) -> list[Node]:
    """Before opset 13, (Log)Softmax normalizes over all axes from `axis` on, as one flattened axis.

    npukit's Softmax is opset 13's (one axis), so when more than one axis is involved the node
    becomes Flatten → (Log)Softmax over the last axis → Reshape back.
    """
    x = tensors.get(node.inputs[0])
    if x is None:
        raise NpukitError(f"node '{node.name}' ({node.op_type}): the rank of its input is unknown")
    axis = node.attrs["axis"] + len(x.shape) if node.attrs["axis"] < 0 else node.attrs["axis"]
    if math.prod(x.shape[axis + 1 :]) == 1:
        return [node]
    flat, normed, shape = (f"{node.name}/{s}" for s in ("flat", "2d", "shape"))
    constants[shape] = Tensor(shape, (len(x.shape),), "int64", Values(x.shape))
    return [
        Node(f"{node.name}/flatten", "Flatten", (node.inputs[0],), (flat,), {"axis": axis}),
        Node(node.name, node.op_type, (flat,), (normed,), {"axis": 1}),
        Node(f"{node.name}/reshape", "Reshape", (normed, shape), node.outputs),
    ]


def one_line(e: Exception) -> str:
    text = " ".join(str(e).split())
    return text[:200] or type(e).__name__
