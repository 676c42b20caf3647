"""What one layer costs: the counts the survey reasons with, per node."""

from __future__ import annotations

from dataclasses import dataclass

from npukit.ir.loopnest import LoopNest


@dataclass(frozen=True)
class Cost:
    """Exact integer counts for one node at the graph's batch size.

    `weights` are filter coefficients as the survey counts them; `params` every trainable
    parameter as PyTorch counts them (biases, batch-norm scale and shift). `other_ops` are the
    arithmetic operations that are not MACs: bias additions, pooling, elementwise and
    normalization arithmetic. `modeled` is False for an op npukit does not know: then every
    count is unknown, not zero.
    """

    macs: int = 0
    weights: int = 0
    params: int = 0
    other_ops: int = 0
    activations_in: int = 0
    activations_out: int = 0
    loopnest: LoopNest | None = None
    modeled: bool = True
