"""npukit's NumPy reference runtime against ONNX Runtime on the same model, in the same run.

    .venv/bin/python benchmarks/runtime.py [MODEL] [--runs N]

Exports the zoo model (default ResNet-50) to ONNX, runs it at batch 1 in npukit and in ONNX
Runtime single-threaded and with 2 threads (BLAS threads for npukit, intra-op threads for ONNX
Runtime), checks that the outputs agree, and prints the median times and their ratio.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnxruntime as ort
from threadpoolctl import threadpool_limits

import npukit
from npukit.frontends.onnx import save
from npukit.runtime import run


def median_ms(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm-up: constants materialized, caches filled
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", nargs="?", default="resnet50")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()

    graph = npukit.load(args.model)
    x = np.random.default_rng(0).standard_normal(graph.tensors[graph.inputs[0]].shape).astype(np.float32)
    feeds = {graph.inputs[0]: x}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.onnx"
        save(graph, path)
        sessions = {}
        for threads in (1, 2):
            opts = ort.SessionOptions()
            opts.intra_op_num_threads, opts.inter_op_num_threads = threads, 1
            sessions[threads] = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])

    ours = run(graph, feeds)[graph.outputs[0]]
    theirs = sessions[1].run(None, feeds)[0]
    print(f"{args.model}, batch 1: max |npukit - ONNX Runtime| = {np.abs(ours - theirs).max():.2e}")
    print(f"{'threads':>8} {'npukit ms':>10} {'ORT ms':>10} {'npukit / ORT':>13}")
    for threads, session in sessions.items():
        with threadpool_limits(limits=threads):
            npukit_ms = median_ms(lambda: run(graph, feeds), args.runs)
        ort_ms = median_ms(lambda s=session: s.run(None, feeds), args.runs)
        print(f"{threads:>8} {npukit_ms:>10.1f} {ort_ms:>10.1f} {npukit_ms / ort_ms:>12.2f}x")


if __name__ == "__main__":
    main()
