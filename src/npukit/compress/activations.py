"""Measured activation sparsity: the fraction of zeros in activations, on real inputs.

ReLU writes zeros that an accelerator can skip or compress (the survey, Section VII-B: Eyeriss
gates its MACs on zero inputs and run-length codes them; Cnvlutin skips them). How many depends
on the data, so it is measured: the graph runs in npukit's runtime with the tensors of interest
as extra outputs, and their zeros are counted. LeNet-5's sigmoid writes no zeros; ReLU networks
(digits-cnn, ResNets, MobileNets with ReLU6) do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from npukit.compress.prune import weight_inputs
from npukit.errors import NpukitError
from npukit.ir import Graph, Node
from npukit.runtime import run


def rectifiers(graph: Graph) -> list[Node]:
    """The nodes whose outputs hold ReLU zeros: Relu, and Clip with a lower bound of 0 (ReLU6)."""
    found = []
    for node in graph.nodes:
        low = node.inputs[1] if node.op_type == "Clip" and len(node.inputs) > 1 else ""
        if node.op_type == "Relu" or (low and graph.tensors[low].is_constant and graph.tensors[low].value() == 0):
            found.append(node)
    return found


def activation_sparsity(graph: Graph, inputs: np.ndarray | Mapping[str, np.ndarray]) -> dict[str, float]:
    """ReLU node name → fraction of zeros in its output, over every image of `inputs`.

    `inputs`: N examples for the graph's input (an array N×C×H×W, or input name → array), run in
    batches of the graph's batch size (N a multiple of it). Every image has the same size, so the
    fraction over all of them is the average of the per-image fractions.
    """
    tensors = {node.outputs[0]: node.name for node in rectifiers(graph)}
    return {tensors[t]: f for t, f in zero_fractions(graph, inputs, list(tensors)).items()}


def input_sparsity(graph: Graph, inputs: np.ndarray | Mapping[str, np.ndarray]) -> dict[str, float]:
    """CONV/FC layer name → fraction of zeros in its input activations (after pooling, flattening,
    ...): what a zero-skipping accelerator sees; 1 − this is the layer's Inputs density."""
    layers = {node.name: node.inputs[0] for node in weight_inputs(graph).values()}
    fractions = zero_fractions(graph, inputs, list(dict.fromkeys(layers.values())))
    return {name: fractions[t] for name, t in layers.items()}


def zero_fractions(graph: Graph, inputs: np.ndarray | Mapping[str, np.ndarray],
                   tensors: Sequence[str]) -> dict[str, float]:
    """Tensor name → fraction of its elements that are exactly zero, over all the batches of `inputs`."""
    feeds = dict(inputs) if isinstance(inputs, Mapping) else {graph.inputs[0]: np.asarray(inputs)}
    batch = graph.tensors[graph.inputs[0]].shape[0]
    count = len(next(iter(feeds.values())))
    if count == 0 or count % batch or any(len(a) != count for a in feeds.values()):
        raise NpukitError(f"{graph.name}: activation sparsity needs N examples per input, N a positive multiple "
                          f"of the graph's batch size {batch}, not {[len(a) for a in feeds.values()]}")
    if not tensors:
        return {}
    zeros = dict.fromkeys(tensors, 0)
    sizes = dict.fromkeys(tensors, 0)
    for start in range(0, count, batch):
        values = run(graph, {n: a[start : start + batch] for n, a in feeds.items()}, list(tensors))
        for name, value in values.items():
            zeros[name] += int(np.count_nonzero(value == 0))
            sizes[name] += value.size
    return {name: zeros[name] / sizes[name] for name in tensors}
