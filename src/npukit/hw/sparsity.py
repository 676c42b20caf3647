"""Zeros in the data: gated or skipped MACs, and run-length-coded DRAM traffic (Eyeriss).

A workload may carry densities (the fraction of nonzero values) of its Weights, Inputs and
Outputs, e.g. measured after ReLU. With zeros independent, a fraction `dW · dI` of the MACs has
two nonzero operands. The MAC array handles the rest as `ComputeSpec.zeros` says:

- ``none``: every MAC runs and costs energy;
- ``gating`` (Eyeriss's data gating): a MAC with a zero operand is not switched, so it costs no
  energy, but it still takes its cycle;
- ``skipping``: such MACs are skipped altogether, so they cost neither energy nor cycles (ideal
  load balance: compute cycles scale by `dW · dI`).
Operand reads and fills are counted as for dense data (conservative: Eyeriss also gates the
filter-scratchpad read of a zero input).

A DRAM level with ``compression: rlc`` stores activations (Inputs, Outputs) run-length coded as
Eyeriss does: a 64-bit word holds three (5-bit run of zeros, 16-bit value) pairs plus a flag bit,
and a run of more than 31 zeros needs an extra pair. For n values of density d that is about
n·(d + (1 − d)/32) pairs, at 64/3 bits each; the DRAM energy of the tensor scales by the coded
bits over the plain bits (never above 1: plain data is sent when coding would not pay).
"""

from __future__ import annotations

import numpy as np

from npukit.hw.workload import TENSORS, Workload

RLC_PAIRS_PER_64_BITS = 3
RLC_MAX_RUN = 31


def nonzero_mac_fraction(workload: Workload) -> float:
    """Fraction of MACs whose two operands are both nonzero (zeros independent)."""
    return workload.density("Weights") * workload.density("Inputs")


def rlc_ratio(density: float, word_bits: int) -> float:
    """Run-length-coded bits over plain bits for data of `density` (module docstring)."""
    pairs = density + (1.0 - density) / (RLC_MAX_RUN + 1)
    return min(1.0, pairs * (64 / RLC_PAIRS_PER_64_BITS) / word_bits)


def compression_scale(workload: Workload, word_bits: int) -> np.ndarray:
    """(3,) energy factor per tensor (TENSORS order) at an RLC-coded level: activations only."""
    return np.array([1.0 if t == "Weights" else rlc_ratio(workload.density(t), word_bits) for t in TENSORS])
