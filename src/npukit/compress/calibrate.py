"""Calibration: run the float graph on sample inputs and choose each activation's range.

Observers: "minmax" (the range seen), "percentile" (the central p% of the values seen, from a
2,048-bin histogram), "mse" (the range, shrunk from the one seen, whose quantization gives the
least mean squared error over the histogram). Ranges always hold 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from npukit.compress.qparams import QuantType, activation_params
from npukit.errors import NpukitError
from npukit.ir import Graph
from npukit.runtime import run

BINS = 2048
MSE_STEPS = np.linspace(0.2, 1.0, 81)  # fractions of the seen range that the mse observer tries

Feeds = Mapping[str, np.ndarray]
Ranges = dict[str, tuple[float, float]]


def batches(graph: Graph, data: np.ndarray | Feeds | Sequence[Feeds]) -> list[dict[str, np.ndarray]]:
    """Calibration data as a list of feeds: one feed, a list of feeds, or (one-input graphs) an array
    of samples whose first axis is a multiple of the graph's batch."""
    if isinstance(data, Mapping):
        return [dict(data)]
    if not isinstance(data, np.ndarray):
        return [dict(f) for f in data]
    if len(graph.inputs) != 1:
        raise NpukitError(f"{graph.name}: calibration data for {len(graph.inputs)} inputs must be feeds (name → array)")
    shape = graph.tensor(graph.inputs[0]).shape
    if data.shape[1:] != shape[1:] or len(data) % shape[0]:
        raise NpukitError(f"{graph.name}: calibration samples {data.shape} do not fit the input {shape}")
    return [{graph.inputs[0]: data[i : i + shape[0]].astype(np.float32)} for i in range(0, len(data), shape[0])]


def activations(graph: Graph) -> list[str]:
    """The float tensors that calibration observes: graph inputs and node outputs."""
    return [t.name for t in graph.tensors.values() if not t.is_constant and t.dtype.startswith("float")]


def calibrate(graph: Graph, feeds: list[dict[str, np.ndarray]], observer: str, qtype: QuantType,
              symmetric: bool = False, percentile: float = 99.99) -> Ranges:
    """Tensor name → (lo, hi) chosen by `observer` over every feed (lo ≤ 0 ≤ hi)."""
    if not feeds:
        raise NpukitError(f"{graph.name}: calibration needs at least one input")
    names = activations(graph)
    seen = {n: (0.0, 0.0) for n in names}
    for feed in feeds:
        for n, v in run(graph, feed, names).items():
            seen[n] = (min(seen[n][0], float(v.min(initial=0.0))), max(seen[n][1], float(v.max(initial=0.0))))
    if observer == "minmax":
        return seen
    counts = {n: np.zeros(BINS, np.int64) for n in names}
    for feed in feeds:
        for n, v in run(graph, feed, names).items():
            counts[n] += np.histogram(v, BINS, range=seen[n])[0] if seen[n][1] > seen[n][0] else 0
    if observer == "percentile":
        return {n: percentile_range(counts[n], seen[n], percentile) for n in names}
    return {n: mse_range(counts[n], seen[n], qtype, symmetric) for n in names}


def edges(span: tuple[float, float]) -> np.ndarray:
    return np.linspace(span[0], span[1], BINS + 1)


def percentile_range(counts: np.ndarray, span: tuple[float, float], p: float) -> tuple[float, float]:
    """The bin edges below which (100 − p)% and p% of the values lie."""
    total = counts.sum()
    if total == 0 or span[1] <= span[0]:
        return span
    cdf, e = np.cumsum(counts) / total, edges(span)
    lo = e[np.searchsorted(cdf, (100.0 - p) / 100.0, side="left")]
    hi = e[min(np.searchsorted(cdf, p / 100.0, side="left") + 1, BINS)]
    return min(float(lo), 0.0), max(float(hi), 0.0)


def mse_range(counts: np.ndarray, span: tuple[float, float], qtype: QuantType,
              symmetric: bool) -> tuple[float, float]:
    """The shrunk range whose quantization error, summed over the histogram's bin centres, is least."""
    if counts.sum() == 0 or span[1] <= span[0]:
        return span
    e = edges(span)
    centres = (e[:-1] + e[1:]) / 2
    best, best_error = span, np.inf
    for step in MSE_STEPS:
        lo, hi = span[0] * step, span[1] * step
        p = activation_params(lo, hi, qtype, symmetric)
        scale, zero = float(p.scale), int(p.zero_point)
        q = np.clip(np.rint(centres / scale) + zero, qtype.qmin, qtype.qmax)
        error = float(np.sum(counts * (centres - (q - zero) * scale) ** 2))
        if error < best_error:
            best, best_error = (lo, hi), error
    return best
