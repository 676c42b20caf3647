"""Speed of npukit's accelerator model: one mapping at a time, and many mappings as arrays.

    .venv/bin/python benchmarks/model.py [--mappings N]

1. Single-mapping evaluation (`npukit.hw.evaluate`, validation included) of Timeloop's
   eyeriss_like reference design, median of repeated runs, with the counts checked against
   Timeloop's stats.txt first.
2. Batch evaluation (`npukit.hw.batch.evaluate_batch`) of N random mappings (valid or not) of the
   survey's reference layer on a 4-level architecture (DRAM, global buffer, 16×16 PE register
   files, per-PE weight registers), on one core (BLAS limited to one thread); checked against the
   single-mapping path on a sample first. Prints mappings per second.
3. The trace simulator on a small layer, for scale (it walks every element; it is the oracle).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from npukit.hw.arch import Architecture
from npukit.hw.batch import batch_slice, evaluate_batch
from npukit.hw.mapspace import random_mappings
from npukit.hw.model import evaluate
from npukit.hw.timeloop import load_design
from npukit.hw.timeloop_stats import read_stats
from npukit.hw.workload import Workload

DESIGN = Path(__file__).resolve().parents[1] / "tests" / "data" / "timeloop" / "eyeriss_like"
FOUR_LEVEL = Architecture.model_validate({
    "name": "four-level", "levels": [
        {"name": "DRAM", "kind": "dram"},
        {"name": "GlobalBuffer", "size_words": 65536, "block_size": 4},
        {"name": "RF", "size_words": 256, "mesh_x": 16, "mesh_y": 16, "kind": "regfile"},
        {"name": "WeightReg", "size_words": 1, "mesh_x": 16, "mesh_y": 16, "kind": "regfile", "keeps": ["Weights"]}],
    "compute": {"mesh_x": 16, "mesh_y": 16}})
LAYER = Workload({"M": 32, "C": 3, "R": 3, "S": 3, "E": 112, "F": 112}, (2, 2), name="reference CONV")


def single(runs: int) -> float:
    workload, arch, mapping = load_design(DESIGN)
    ev = evaluate(workload, arch, mapping)
    assert ev.cycles == read_stats(DESIGN / "timeloop-mapper.stats.txt")["cycles"]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        evaluate(workload, arch, mapping)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def batch(count: int) -> tuple[float, int]:
    mappings = random_mappings(LAYER, FOUR_LEVEL, count, seed=1)
    ev = evaluate_batch(LAYER, FOUR_LEVEL, batch_slice(mappings, slice(0, 2048)))  # warm-up + cross-check
    for b in np.flatnonzero(ev.valid)[:20]:
        one = evaluate(LAYER, FOUR_LEVEL, mappings.mapping(int(b), FOUR_LEVEL))
        assert one.cycles == ev.cycles[b] and np.isclose(one.energy_pj, ev.total_energy_pj[b])
    start = time.perf_counter()
    ev = evaluate_batch(LAYER, FOUR_LEVEL, mappings)
    return time.perf_counter() - start, int(ev.valid.sum())


def trace_rate() -> float | None:
    try:
        from npukit.hw.trace import simulate
    except ImportError:
        return None
    small = Workload({"M": 8, "C": 4, "R": 3, "S": 3, "E": 8, "F": 8}, name="small")
    mappings = random_mappings(small, FOUR_LEVEL, 256, seed=2)
    ok = np.flatnonzero(evaluate_batch(small, FOUR_LEVEL, mappings).valid)
    chosen = mappings.mapping(int(ok[0]), FOUR_LEVEL)
    start = time.perf_counter()
    simulate(small, FOUR_LEVEL, chosen)
    return small.macs / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mappings", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    with threadpool_limits(1):
        one = single(args.runs)
        seconds, valid = batch(args.mappings)
        rate = trace_rate()
    print(f"single mapping (eyeriss_like, validated): {one * 1e3:.2f} ms median of {args.runs}")
    print(f"batch, 4-level architecture, one core: {args.mappings:,} mappings in {seconds:.2f} s = "
          f"{args.mappings / seconds:,.0f} mappings/s ({valid:,} of them valid); "
          f"{one / (seconds / args.mappings):,.0f}× the single-mapping path per mapping")
    if rate is not None:
        print(f"trace simulator: {rate:,.0f} MACs/s on an {8 * 4 * 9 * 64:,}-MAC layer")


if __name__ == "__main__":
    main()
