"""Small helpers to rebuild a Graph after a pass has changed its nodes or constants."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from npukit.ir import Graph, Node, Tensor


def consumers(graph: Graph) -> dict[str, list[Node]]:
    """Tensor name → the nodes that read it."""
    readers: dict[str, list[Node]] = {}
    for node in graph.nodes:
        for name in set(node.inputs):
            if name:
                readers.setdefault(name, []).append(node)
    return readers


def rebuild(graph: Graph, nodes: Iterable[Node], new_constants: Mapping[str, Tensor] | None = None) -> Graph:
    """A new Graph with `nodes`, the constants they still read (old or new), shapes re-inferred."""
    nodes = list(nodes)
    constants = {n: t for n, t in graph.tensors.items() if t.is_constant}
    constants.update(new_constants or {})
    read = {i for node in nodes for i in node.inputs} | set(graph.outputs)
    used = [t for name, t in constants.items() if name in read]
    inputs = [graph.tensors[name] for name in graph.inputs]
    return Graph.build(graph.name, inputs, used, nodes, graph.outputs, graph.metadata)
