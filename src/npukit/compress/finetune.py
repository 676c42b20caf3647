"""Pruning that keeps accuracy: deep compression's recipe (Han et al. 2016) — prune by magnitude,
then train the surviving weights with the pruning mask fixed.

Pruning alone (`prune.prune_magnitude`) stays pure NumPy and never trains: accuracy measured after
it is the accuracy of pruning without fine-tuning. Fine-tuning is this separate, explicit step
because it needs PyTorch (an optional extra) and a training set, and its result depends on both.
PyTorch is imported inside the functions, so that the rest of npukit works without it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from types import MappingProxyType, ModuleType

from npukit.compress.prune import prune_magnitude, with_weights
from npukit.data import Dataset
from npukit.errors import NpukitError
from npukit.ir import Graph

PYTORCH = "2.13.0"  # the version npukit's fine-tuning figures were measured with


def require_torch() -> ModuleType:
    try:
        import torch
    except ImportError:
        raise NpukitError(f"fine-tuning needs PyTorch: pip install torch=={PYTORCH}") from None
    return torch


@contextmanager
def deterministic(torch: ModuleType, threads: int) -> Iterator[None]:
    """Deterministic algorithms on `threads` threads for the duration, then PyTorch's settings back."""
    before = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.set_num_threads(before[0])
        torch.use_deterministic_algorithms(before[1])


def finetune(graph: Graph, data: Dataset, epochs: int = 3, lr: float = 1e-3, shift: int = 0, seed: int = 0,
             batch_size: int = 64, threads: int = 1) -> Graph:
    """`graph` with its CONV/FC weights and biases trained further on `data`; every weight that is
    zero stays zero (the pruning mask is fixed), so shapes, names and sparsity are unchanged.

    Adam (learning rate `lr`, cosine schedule) over `epochs` passes of `data` (images N×C×H×W
    float32 in the graph's input layout, integer labels), cross-entropy on the graph's first output;
    `shift` pixels of random translation as augmentation (0: none). Batch norm keeps its statistics.
    Seeded and deterministic: the same arguments give the same weights on the same `threads`.
    """
    if epochs < 0 or batch_size < 1 or lr <= 0:
        raise NpukitError(f"fine-tuning needs epochs ≥ 0, batch_size ≥ 1 and lr > 0, not {epochs}, {batch_size}, {lr}")
    if data.images.ndim != 4 or len(data.images) != len(data.labels):
        raise NpukitError(f"{data.name}: fine-tuning needs N×C×H×W images and N labels")
    torch = require_torch()
    from npukit.compress.torch_train import GraphModule, train

    with deterministic(torch, threads):
        torch.manual_seed(seed)
        model = GraphModule(graph)
        train(model, data, epochs, lr=lr, shift=shift, seed=seed, batch_size=batch_size, masks=model.zero_masks())
        return with_weights(graph, model.weights())


def prune_and_finetune(graph: Graph, sparsity: float, data: Dataset, scope: str = "layer", epochs: int = 3,
                       seed: int = 0, lr: float = 1e-3, shift: int = 0, batch_size: int = 64, threads: int = 1
                       ) -> Graph:
    """Magnitude pruning (`prune_magnitude(graph, sparsity, scope)`), then `finetune` on `data`
    (training images: never the ones accuracy is reported on) with the other arguments.
    metadata["pruning"] records what was done."""
    pruned = prune_magnitude(graph, sparsity, scope)
    pruned = finetune(pruned, data, epochs, lr=lr, shift=shift, seed=seed, batch_size=batch_size, threads=threads)
    note = {"method": "magnitude", "scope": scope, "sparsity": sparsity, "finetune_epochs": epochs,
            "finetune_data": data.name, "seed": seed}
    return dataclasses.replace(pruned, metadata=MappingProxyType({**pruned.metadata, "pruning": note}))
