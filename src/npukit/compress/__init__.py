"""Compression: graph passes (batch-norm folding, constant folding, dead-node removal), pruning
(magnitude, N:M, whole filters; fine-tuning with PyTorch), measured activation sparsity and
post-training quantization."""

from npukit.compress.activations import activation_sparsity, input_sparsity
from npukit.compress.finetune import finetune, prune_and_finetune
from npukit.compress.passes import fold_batch_norm, fold_constants, optimize, remove_dead_nodes, remove_identities
from npukit.compress.prune import prune_magnitude, prune_n_m, sparsity_report
from npukit.compress.ptq import layer_outputs, quantize
from npukit.compress.qdq import fuse_qdq
from npukit.compress.structured import prune_filters

__all__ = [
    "activation_sparsity", "finetune", "fold_batch_norm", "fold_constants", "fuse_qdq", "input_sparsity",
    "layer_outputs", "optimize", "prune_and_finetune", "prune_filters", "prune_magnitude", "prune_n_m", "quantize",
    "remove_dead_nodes", "remove_identities", "sparsity_report",
]
