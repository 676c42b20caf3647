"""One entry for every pruning method (`npukit prune`): magnitude per layer or global, N:M, or
whole filters; optionally fine-tuned on a dataset's training split."""

from __future__ import annotations

from npukit.errors import NpukitError
from npukit.ir import Graph

METHODS = ("layer", "global", "2:4", "filters")


def prune(graph: Graph, sparsity: float, method: str = "layer", finetune_on: str | None = None,
          data_dir: str | None = None, seed: int = 0) -> tuple[Graph, list[str]]:
    """`graph` pruned by `method` (METHODS; "2:4" ignores `sparsity`); with `finetune_on` (mnist or
    digits) the kept weights are then fine-tuned on that dataset's training split. Returns the graph
    and, for "filters", the layers left whole because their channels cannot be removed alone."""
    from npukit.compress import prune as magnitude
    from npukit.compress.structured import prune_filters

    if method not in METHODS:
        raise NpukitError(f"unknown pruning method {method!r}; methods: {', '.join(METHODS)}")
    kept: list[str] = []
    if method in ("layer", "global"):
        graph = magnitude.prune_magnitude(graph, sparsity, method)
    elif method == "2:4":
        graph = magnitude.prune_n_m(graph, 2, 4)
    else:
        for node in [n for n in graph.nodes if n.op_type == "Conv"]:
            try:
                graph = prune_filters(graph, node.name, sparsity)
            except NpukitError:
                kept.append(node.name)
    if finetune_on:
        from npukit.compress.accuracy import dataset_split
        from npukit.compress.finetune import finetune

        graph = finetune(graph, dataset_split(finetune_on, data_dir)[0], seed=seed)
    return graph, kept
