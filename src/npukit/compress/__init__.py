"""Compression: graph passes (batch-norm folding, constant folding, dead-node removal) and pruning."""

from npukit.compress.passes import fold_batch_norm, fold_constants, optimize, remove_dead_nodes, remove_identities
from npukit.compress.prune import prune_magnitude, prune_n_m, sparsity_report

__all__ = [
    "fold_batch_norm", "fold_constants", "optimize", "prune_magnitude", "prune_n_m", "remove_dead_nodes",
    "remove_identities", "sparsity_report",
]
