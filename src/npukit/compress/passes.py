"""Graph passes that keep a network's outputs (within float rounding) and change its cost.

Each pass takes a Graph and returns a new one; `optimize` runs them in a sensible order.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from npukit.compress.graph_edit import consumers, rebuild
from npukit.ir import ArrayData, Graph, Node, Tensor
from npukit.runtime.kernels import KERNELS

Pass = Callable[[Graph], Graph]
INFERENCE_IDENTITIES = ("Identity", "Dropout")  # ops that pass their input through at inference


def fold_batch_norm(graph: Graph) -> Graph:
    """Fold each BatchNormalization that alone reads a Conv's output into that Conv:
    W' = W·s, b' = (b − mean)·s + β with s = γ / √(var + ε), per output channel."""
    readers, producer = consumers(graph), graph.producers()
    replaced: dict[str, Node] = {}  # conv name → folded conv
    dropped: set[str] = set()
    constants: dict[str, Tensor] = {}
    for bn in graph.nodes:
        conv = producer.get(bn.inputs[0]) if bn.op_type == "BatchNormalization" else None
        if conv is None or conv.op_type != "Conv" or len(readers[bn.inputs[0]]) != 1:
            continue
        params = [graph.tensors[name] for name in bn.inputs[1:5]]
        w = graph.tensors[conv.inputs[1]]
        if not w.is_constant or not all(p.is_constant for p in params) or bn.inputs[0] in graph.outputs:
            continue
        gamma, beta, mean, var = (p.value().astype(np.float64) for p in params)
        scale = gamma / np.sqrt(var + bn.attrs.get("epsilon", 1e-5))
        bias = graph.tensors[conv.inputs[2]].value() if len(conv.inputs) > 2 and conv.inputs[2] else 0.0
        new_w = (w.value() * scale.reshape(-1, *(1,) * (len(w.shape) - 1))).astype(w.dtype)
        new_b = ((bias - mean) * scale + beta).astype(w.dtype)
        names = (f"{conv.name}.weight_folded", f"{conv.name}.bias_folded")
        constants[names[0]] = Tensor(names[0], w.shape, w.dtype, ArrayData(new_w))
        constants[names[1]] = Tensor(names[1], (w.shape[0],), w.dtype, ArrayData(new_b))
        replaced[conv.name] = Node(conv.name, "Conv", (conv.inputs[0], *names), bn.outputs, conv.attrs)
        dropped.add(bn.name)
    nodes = [replaced.get(n.name, n) for n in graph.nodes if n.name not in dropped]
    return rebuild(graph, nodes, constants) if dropped else graph


def remove_identities(graph: Graph) -> Graph:
    """Drop Identity and inference-time Dropout nodes, wiring their readers to their input."""
    alias: dict[str, str] = {}
    kept = []
    for node in graph.nodes:
        passes_through = node.op_type in INFERENCE_IDENTITIES and len([o for o in node.outputs if o]) == 1
        if passes_through and node.outputs[0] not in graph.outputs:
            alias[node.outputs[0]] = alias.get(node.inputs[0], node.inputs[0])
        else:
            kept.append(node)
    if not alias:
        return graph
    nodes = [Node(n.name, n.op_type, tuple(alias.get(i, i) for i in n.inputs), n.outputs, n.attrs) for n in kept]
    return rebuild(graph, nodes)


def fold_constants(graph: Graph) -> Graph:
    """Evaluate, once, every node whose inputs are all constants (with npukit's kernels)."""
    values: dict[str, Tensor] = {}
    kept = []
    for node in graph.nodes:
        ins = [values.get(i) or graph.tensors.get(i) for i in node.inputs if i]
        foldable = node.op_type in KERNELS and ins and all(t is not None and t.is_constant for t in ins)
        if not foldable or any(o in graph.outputs for o in node.outputs):
            kept.append(node)
            continue
        args = [(values.get(i) or graph.tensors[i]).value() if i else None for i in node.inputs]
        result = KERNELS[node.op_type](*args, **node.attrs)
        for name, array in zip(node.outputs, result if isinstance(result, tuple) else (result,), strict=False):
            array = np.asarray(array)
            values[name] = Tensor(name, array.shape, str(array.dtype), ArrayData(array))
    return rebuild(graph, kept, values) if values else graph


def remove_dead_nodes(graph: Graph) -> Graph:
    """Drop nodes none of whose outputs reaches a graph output."""
    needed = set(graph.outputs)
    live = []
    for node in reversed(graph.nodes):
        if any(o in needed for o in node.outputs if o):
            live.append(node)
            needed.update(i for i in node.inputs if i)
    return graph if len(live) == len(graph.nodes) else rebuild(graph, reversed(live))


PASSES: list[Pass] = [remove_identities, fold_constants, fold_batch_norm, remove_dead_nodes]


def optimize(graph: Graph, passes: list[Pass] | None = None) -> Graph:
    """Run the passes in order (default: all of them)."""
    for p in passes or PASSES:
        graph = p(graph)
    return graph
