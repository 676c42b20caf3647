"""Compression: graph passes (batch-norm folding, constant folding, dead-node removal), pruning and
post-training quantization."""

from npukit.compress.passes import fold_batch_norm, fold_constants, optimize, remove_dead_nodes, remove_identities
from npukit.compress.prune import prune_magnitude, prune_n_m, sparsity_report
from npukit.compress.ptq import layer_outputs, quantize

__all__ = [
    "fold_batch_norm", "fold_constants", "layer_outputs", "optimize", "prune_magnitude", "prune_n_m", "quantize",
    "remove_dead_nodes", "remove_identities", "sparsity_report",
]
