"""npukit's NumPy reference runtime against ONNX Runtime on the same model, in the same run.

    .venv/bin/python benchmarks/runtime.py [MODEL] [--runs N] [--int8]

Exports the zoo model (default ResNet-50) to ONNX, runs it at batch 1 in npukit and in ONNX
Runtime single-threaded and with 2 threads (BLAS threads for npukit, intra-op threads for ONNX
Runtime), checks that the outputs agree, and prints the median times and their ratio. With
--int8 the model is first quantized by npukit (int8, calibrated on 4 random inputs) and both run
its integer graph; the outputs must then be identical.
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
    parser.add_argument("--int8", action="store_true", help="run npukit's int8 quantization of the model")
    args = parser.parse_args()

    graph = npukit.load(args.model)
    if args.int8:
        shape = graph.tensors[graph.inputs[0]].shape
        calibration = [{graph.inputs[0]: np.random.default_rng(s).standard_normal(shape).astype(np.float32)}
                       for s in range(4)]
        graph = npukit.quantize(graph, calibration)
    x = np.random.default_rng(0).standard_normal(graph.tensors[graph.inputs[0]].shape).astype(np.float32)
    feeds = {graph.inputs[0]: x}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.onnx"
        save(graph, path)
        # int8: ORT runs the integer graph as written (its fusions requantize in float, not bit-exact);
        # its optimized run is timed beside it
        sessions = {(threads, optimized): session(path, threads, optimized)
                    for threads in (1, 2) for optimized in ((False, True) if args.int8 else (True,))}

    ours = run(graph, feeds)[graph.outputs[0]]
    exact = sessions[1, not args.int8].run(None, feeds)[0]
    difference = np.abs(ours.astype(np.float64) - exact).max()
    if args.int8 and difference:
        raise SystemExit(f"int8 outputs differ by {difference}: not bit-exact")
    print(f"{args.model}{' int8' if args.int8 else ''}, batch 1: max |npukit - ONNX Runtime| = {difference:.2e}")
    if args.int8:
        fused = np.abs(ours.astype(np.float64) - sessions[1, True].run(None, feeds)[0]).max()
        print(f"(ONNX Runtime optimized: max difference {fused:.2e}; its fusions may requantize in float)")
    print(f"{'threads':>8} {'npukit ms':>10} {'ORT ms':>10} {'npukit / ORT':>13}"
          + (f" {'ORT optimized ms':>17}" if args.int8 else ""))
    for threads in (1, 2):
        with threadpool_limits(limits=threads):
            npukit_ms = median_ms(lambda: run(graph, feeds), args.runs)
        ort_ms = median_ms(lambda s=sessions[threads, not args.int8]: s.run(None, feeds), args.runs)
        line = f"{threads:>8} {npukit_ms:>10.1f} {ort_ms:>10.1f} {npukit_ms / ort_ms:>12.2f}x"
        if args.int8:
            line += f" {median_ms(lambda s=sessions[threads, True]: s.run(None, feeds), args.runs):>17.1f}"
        print(line)


def session(path: Path, threads: int, optimized: bool) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads, opts.inter_op_num_threads = threads, 1
    if not optimized:
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])

if __name__ == "__main__":
    main()
