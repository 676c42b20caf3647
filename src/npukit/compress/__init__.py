"""Compression: graph passes (batch-norm folding, constant folding, dead-node removal)."""

from npukit.compress.passes import fold_batch_norm, fold_constants, optimize, remove_dead_nodes, remove_identities

__all__ = ["fold_batch_norm", "fold_constants", "optimize", "remove_dead_nodes", "remove_identities"]
