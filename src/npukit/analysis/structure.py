"""Structural facts about a network's CONV layers: depth, filter sizes, channel ranges, strides."""

from __future__ import annotations

from npukit.ir import Graph, LoopNest, node_cost


def conv_nests(graph: Graph) -> list[LoopNest]:
    nests = []
    for node in graph.nodes:
        nest = node_cost(node, graph.node_inputs(node), graph.node_outputs(node)).loopnest
        if nest is not None and nest.kind == "CONV":
            nests.append(nest)
    return nests


def conv_depth(graph: Graph) -> int:
    """The most CONV layers on any path from input to output (shortcuts add no depth)."""
    depth: dict[str, int] = {name: 0 for name in graph.tensors}
    for node in graph.nodes:
        d = max((depth[i] for i in node.inputs if i), default=0) + (node.op_type == "Conv")
        for out in node.outputs:
            if out:
                depth[out] = d
    return max(depth[o] for o in graph.outputs)


def conv_structure(graph: Graph) -> dict[str, set[int]]:
    """The survey's descriptive rows as value sets: filter sizes, CONV channels (per group),
    CONV filters and strides."""
    nests = conv_nests(graph)
    return {
        "filter sizes": {n.R for n in nests} | {n.S for n in nests},
        "CONV channels": {n.C_per_group for n in nests},
        "CONV filters": {n.M for n in nests},
        "stride": {s for n in nests for s in n.stride},
    }
