"""Structured pruning: remove whole filters (output channels) of a CONV layer and shrink the graph.

The filters with the smallest L1 norms go (Li et al., "Pruning Filters for Efficient ConvNets",
2017). Unlike magnitude pruning, shapes change and MACs drop on any hardware: the layer's M, then
every place downstream that reads those channels — batch-norm entries, a depthwise CONV's channels
(and what it feeds in turn), the next CONV's input channels C, an FC layer's inputs after a flatten.
A path through an op that mixes channels in another way (Add, Concat, Reshape, LRN) is refused
with the node's name rather than guessed: a residual Add would need the same filters removed from
the other branch too.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from npukit.compress.graph_edit import consumers, rebuild
from npukit.errors import NpukitError
from npukit.ir import ArrayData, Graph, Node, Tensor

# ops that act on each channel alone: removed channels are simply absent from their outputs
CHANNELWISE = {"Relu", "Sigmoid", "Tanh", "Clip", "LeakyRelu", "MaxPool", "AveragePool", "GlobalAveragePool",
               "GlobalMaxPool", "Dropout", "Identity"}


def conv_node(graph: Graph, layer: str) -> Node:
    for node in graph.nodes:
        if node.name == layer and node.op_type == "Conv":
            if not graph.tensors[node.inputs[1]].is_constant:
                raise NpukitError(f"node '{layer}' (Conv): its filters are not constant weights")
            return node
    names = [n.name for n in graph.nodes if n.op_type == "Conv"]
    raise NpukitError(f"{graph.name}: no CONV layer named '{layer}' (CONV layers: {', '.join(names[:8])}"
                      f"{', ...' if len(names) > 8 else ''})")


def filter_norms(graph: Graph, layer: str) -> np.ndarray:
    """The L1 norm of each of CONV `layer`'s M filters (Σ |W[m, c, r, s]| over c, r, s)."""
    w = graph.tensors[conv_node(graph, layer).inputs[1]].value()
    return np.abs(w).reshape(w.shape[0], -1).sum(axis=1)


def prune_filters(graph: Graph, layer: str, fraction: float) -> Graph:
    """Remove round(fraction · M) filters of CONV `layer`, those with the smallest L1 norms (ties:
    the lower index goes first), and shrink the graph downstream (see `remove_filters`)."""
    if not 0.0 <= fraction < 1.0:
        raise NpukitError(f"the fraction of filters to remove must be in [0, 1), not {fraction}")
    norms = filter_norms(graph, layer)
    return remove_filters(graph, layer, np.argsort(norms, kind="stable")[: round(fraction * norms.size)])


def remove_filters(graph: Graph, layer: str, filters: Iterable[int]) -> Graph:
    """The graph without filters `filters` (output channels) of CONV `layer`: its weights and bias
    rows go, and so do the channels downstream. Its outputs equal the original graph's with those
    filters' outputs cut off from every later layer. metadata["filters_removed"] lists them."""
    node = conv_node(graph, layer)
    if int(node.attrs.get("group", 1)) != 1:
        raise NpukitError(f"node '{layer}' (Conv): filters of a grouped CONV cannot be removed on their own")
    m = graph.tensors[node.inputs[1]].shape[0]
    drop = sorted({int(f) for f in filters})
    if any(not 0 <= f < m for f in drop) or len(drop) >= m:
        raise NpukitError(f"node '{layer}' (Conv): cannot remove filters {drop} of {m} (keep at least one)")
    edit = Shrink(graph, consumers(graph))
    keep = np.setdiff1d(np.arange(m), drop)
    edit.take(node, node.inputs[1:], keep, axis=0)
    edit.follow(node.outputs[0], keep)
    removed = {**graph.metadata.get("filters_removed", {}), layer: drop}
    return edit.apply({**graph.metadata, "filters_removed": removed})


@dataclass
class Shrink:
    """The constants and attributes that removing channels changes, gathered before one rebuild."""

    graph: Graph
    readers: dict[str, list[Node]]
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    attrs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def take(self, node: Node, names: Iterable[str], keep: np.ndarray, axis: int) -> None:
        """Keep only entries `keep` along `axis` of node's constant inputs `names` (absent: skipped)."""
        for name in names:
            if not name:
                continue
            tensor = self.graph.tensors[name]
            if not tensor.is_constant or name in self.arrays or len(self.readers.get(name, ())) > 1:
                raise NpukitError(f"node '{node.name}' ({node.op_type}): input '{name}' is not a constant "
                                  "of its own, so its channels cannot be removed")
            self.arrays[name] = np.take(tensor.value(), keep, axis=axis)

    def follow(self, tensor: str, keep: np.ndarray) -> None:
        """Shrink every reader of `tensor`, whose axis 1 now holds only entries `keep`."""
        if tensor in self.graph.outputs:
            raise NpukitError(f"{self.graph.name}: '{tensor}' is a graph output; removing its channels would "
                              "change the graph's outputs")
        for reader in self.readers.get(tensor, ()):
            if reader.inputs.index(tensor) != 0 or reader.inputs.count(tensor) > 1:
                raise NpukitError(f"node '{reader.name}' ({reader.op_type}) reads '{tensor}' other than as its "
                                  "data input; cannot shrink it")
            self.shrink(reader, keep)

    def shrink(self, node: Node, keep: np.ndarray) -> None:
        op = node.op_type
        if op in CHANNELWISE:
            self.follow(node.outputs[0], keep)
        elif op == "BatchNormalization":
            self.take(node, node.inputs[1:5], keep, axis=0)
            self.follow(node.outputs[0], keep)
        elif op == "Conv" and depthwise(self.graph, node):
            self.take(node, node.inputs[1:], keep, axis=0)
            self.attrs[node.name] = {"group": int(keep.size)}
            self.follow(node.outputs[0], keep)
        elif op == "Conv" and int(node.attrs.get("group", 1)) == 1:
            self.take(node, node.inputs[1:2], keep, axis=1)
        elif op == "Flatten" and node.attrs.get("axis", 1) == 1:
            spatial = math.prod(self.graph.tensors[node.inputs[0]].shape[2:])
            self.follow(node.outputs[0], (keep[:, None] * spatial + np.arange(spatial)).ravel())
        elif op == "Gemm" and not node.attrs.get("transA", 0):
            self.take(node, node.inputs[1:2], keep, axis=1 if node.attrs.get("transB", 0) else 0)
        else:
            raise NpukitError(f"node '{node.name}' ({op}) reads the pruned channels and cannot be shrunk "
                              "(structured pruning follows channel-wise ops, batch norm, CONV, Flatten and FC)")

    def apply(self, metadata: dict[str, Any]) -> Graph:
        nodes = [Node(n.name, n.op_type, n.inputs, n.outputs, {**n.attrs, **self.attrs.get(n.name, {})})
                 for n in self.graph.nodes]
        constants = {name: Tensor(name, a.shape, self.graph.tensors[name].dtype, ArrayData(a))
                     for name, a in self.arrays.items()}
        return dataclasses.replace(rebuild(self.graph, nodes, constants), metadata=MappingProxyType(metadata))


def depthwise(graph: Graph, node: Node) -> bool:
    """A CONV with one filter per input channel (G = C = M)."""
    channels = graph.tensors[node.inputs[0]].shape[1]
    w = graph.tensors[node.inputs[1]].shape
    return int(node.attrs.get("group", 1)) == channels == w[0] and w[1] == 1 and channels > 1
