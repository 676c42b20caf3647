"""The IR: an immutable graph of nodes over named tensors, with shape inference on build."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from npukit.errors import NpukitError
from npukit.ir.tensor import Tensor


@dataclass(frozen=True)
class Node:
    """One operation. Attribute names and meanings are ONNX's; an input "" is an absent optional."""

    name: str
    op_type: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    attrs: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "inputs", tuple(self.inputs))
        object.__setattr__(self, "outputs", tuple(self.outputs))
        object.__setattr__(self, "attrs", MappingProxyType(dict(self.attrs)))


@dataclass(frozen=True, eq=False)
class Graph:
    """Nodes in topological order, every tensor with its shape, the graph inputs and outputs.

    Build one with `Graph.build`, which sorts the nodes and infers every shape.
    `metadata` carries facts about the model (such as layers the survey leaves out).
    """

    name: str
    nodes: tuple[Node, ...]
    tensors: Mapping[str, Tensor]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        name: str,
        inputs: Sequence[Tensor],
        constants: Sequence[Tensor],
        nodes: Iterable[Node],
        outputs: Sequence[str],
        metadata: Mapping[str, Any] | None = None,
        known: Mapping[str, Tensor] | None = None,
    ) -> Graph:
        """Sort `nodes`, infer every tensor's shape and check that `outputs` exist.

        `known` gives shapes found elsewhere (ONNX shape inference) for ops npukit cannot infer.
        """
        from npukit.ir.ops import infer_node

        tensors: dict[str, Tensor] = {t.name: t for t in (*inputs, *constants)}
        ordered = topological_order(list(nodes), set(tensors), name)
        for node in ordered:
            for out in infer_node(node, tensors, known or {}):
                tensors[out.name] = out
        for out in outputs:
            if out not in tensors:
                raise NpukitError(f"{name}: graph output '{out}' is produced by no node")
        return cls(
            name=name,
            nodes=tuple(ordered),
            tensors=MappingProxyType(tensors),
            inputs=tuple(t.name for t in inputs),
            outputs=tuple(outputs),
            metadata=MappingProxyType(dict(metadata or {})),
        )

    def tensor(self, name: str) -> Tensor:
        try:
            return self.tensors[name]
        except KeyError:
            raise NpukitError(f"{self.name}: no tensor named '{name}'") from None

    def node_inputs(self, node: Node) -> list[Tensor | None]:
        """The node's input tensors, None for an absent optional input."""
        return [self.tensors[n] if n else None for n in node.inputs]

    def node_outputs(self, node: Node) -> list[Tensor]:
        return [self.tensors[n] for n in node.outputs if n]

    def producers(self) -> dict[str, Node]:
        """Tensor name → the node that writes it."""
        return {out: node for node in self.nodes for out in node.outputs if out}


def topological_order(nodes: list[Node], available: set[str], graph: str) -> list[Node]:
    """Kahn's algorithm; an input no one produces, or a cycle, is a one-line error."""
    producer = {out: n for n in nodes for out in n.outputs if out}
    for node in nodes:
        for inp in node.inputs:
            if inp and inp not in available and inp not in producer:
                raise NpukitError(
                    f"{graph}: node '{node.name}' ({node.op_type}) reads tensor '{inp}', "
                    "which is neither a graph input, an initializer nor any node's output"
                )
    waiting = {id(n): sum(1 for i in n.inputs if i in producer) for n in nodes}
    readers: dict[str, list[Node]] = {}
    for n in nodes:
        for i in set(n.inputs):
            if i in producer:
                readers.setdefault(i, []).append(n)
    ready = [n for n in nodes if waiting[id(n)] == 0]
    ordered: list[Node] = []
    while ready:
        node = ready.pop(0)
        ordered.append(node)
        for out in node.outputs:
            for reader in readers.get(out, ()):
                waiting[id(reader)] -= sum(1 for i in reader.inputs if i == out)
                if waiting[id(reader)] == 0:
                    ready.append(reader)
    if len(ordered) < len(nodes):
        stuck = [n.name for n in nodes if waiting[id(n)] > 0]
        raise NpukitError(f"{graph}: the graph has a cycle through node(s) {', '.join(stuck[:5])}")
    return ordered
