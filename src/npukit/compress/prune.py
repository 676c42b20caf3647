"""Weight pruning: magnitude (per layer or global) and N:M (2:4), plus a sparsity report.

Only filter weights are pruned (the constant weight input of CONV and FC layers); biases and
batch-norm parameters stay. Pruned weights are zeros in a new constant; shapes do not change.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from npukit.compress.graph_edit import rebuild
from npukit.errors import NpukitError
from npukit.ir import ArrayData, Graph, Node, Tensor, node_cost


def weight_inputs(graph: Graph) -> dict[str, Node]:
    """Name of each CONV/FC layer's constant weight tensor → its node."""
    found = {}
    for node in graph.nodes:
        nest = node_cost(node, graph.node_inputs(node), graph.node_outputs(node)).loopnest
        if nest is not None and nest.kind in ("CONV", "FC") and len(node.inputs) > 1:
            name = node.inputs[1]
            if graph.tensors[name].is_constant:
                found[name] = node
    return found


def with_weights(graph: Graph, new: dict[str, np.ndarray]) -> Graph:
    """The graph with the named weight tensors' data replaced (same names, same shapes)."""
    constants = {n: Tensor(n, graph.tensors[n].shape, graph.tensors[n].dtype, ArrayData(a)) for n, a in new.items()}
    return rebuild(graph, graph.nodes, constants)


def check_sparsity(sparsity: float) -> None:
    if not 0.0 <= sparsity < 1.0:
        raise NpukitError(f"sparsity must be in [0, 1), not {sparsity}")


def prune_magnitude(graph: Graph, sparsity: float, scope: str = "layer") -> Graph:
    """Zero the smallest-magnitude weights: `sparsity` of each layer ("layer"), or of all
    weights together with one threshold ("global"). Ties at the threshold are kept."""
    check_sparsity(sparsity)
    if scope not in ("layer", "global"):
        raise NpukitError(f"pruning scope must be 'layer' or 'global', not {scope!r}")
    weights = {name: graph.tensors[name].value() for name in weight_inputs(graph)}
    if scope == "global":
        everything = np.concatenate([np.abs(w).ravel() for w in weights.values()])
        threshold = kth_smallest(everything, sparsity)
        return with_weights(graph, {n: np.where(np.abs(w) > threshold, w, 0).astype(w.dtype)
                                    for n, w in weights.items()})
    return with_weights(graph, {n: prune_array(w, sparsity) for n, w in weights.items()})


def kth_smallest(magnitudes: np.ndarray, sparsity: float) -> float:
    """The magnitude at or below which round(sparsity · count) values lie (−1 for none)."""
    k = round(sparsity * magnitudes.size)
    return float(np.partition(magnitudes, k - 1)[k - 1]) if k else -1.0


def prune_array(w: np.ndarray, sparsity: float) -> np.ndarray:
    """Exactly round(sparsity · size) zeros: the smallest magnitudes (ties broken by position)."""
    k = round(sparsity * w.size)
    flat = w.ravel().copy()
    if k:
        flat[np.argpartition(np.abs(flat), k - 1)[:k]] = 0
    return flat.reshape(w.shape)


def prune_n_m(graph: Graph, n: int = 2, m: int = 4, strict: bool = False) -> Graph:
    """Keep the `n` largest of every `m` consecutive weights along the reduction axis (the input
    channels × filter taps of a filter, or the inputs of an FC row): N:M structured sparsity.

    A layer whose filters do not split into groups of `m` (a first CONV with 3·7·7 weights) stays
    dense, as N:M hardware runs it; `sparsity_report` shows it so. `strict` makes it an error."""
    if not 0 < n < m:
        raise NpukitError(f"N:M sparsity needs 0 < N < M, not {n}:{m}")
    new = {}
    for name, node in weight_inputs(graph).items():
        w = graph.tensors[name].value()
        rows = w.reshape(w.shape[0], -1) if node.op_type != "Gemm" or node.attrs.get("transB") else w.T
        if rows.shape[1] % m:
            if strict:
                raise NpukitError(f"node '{node.name}': {rows.shape[1]} weights per filter is not a multiple of M={m}")
            continue
        groups = rows.reshape(rows.shape[0], -1, m).copy()
        drop = np.argsort(np.abs(groups), axis=-1, kind="stable")[..., : m - n]
        np.put_along_axis(groups, drop, 0, axis=-1)
        pruned = groups.reshape(rows.shape)
        new[name] = (pruned if rows is not w.T else pruned.T).reshape(w.shape).astype(w.dtype)
    return with_weights(graph, new)


@dataclass(frozen=True)
class LayerSparsity:
    layer: str
    op: str
    weights: int
    zeros: int

    @property
    def density(self) -> float:
        return 1 - self.zeros / self.weights if self.weights else 1.0


def sparsity_report(graph: Graph) -> list[LayerSparsity]:
    """Per CONV/FC layer: weights, zeros among them and density (makes the weights' data)."""
    rows = []
    for name, node in weight_inputs(graph).items():
        w = graph.tensors[name].value()
        rows.append(LayerSparsity(node.name, node.op_type, int(w.size), int(np.count_nonzero(w == 0))))
    return rows
