"""Systolic compute cycles: npukit's closed form beside SCALE-Sim, run in the same session.

    .venv/bin/python benchmarks/systolic.py [--scalesim-python PATH] [--rows 32 --cols 32]
    .venv/bin/python benchmarks/systolic.py --record tests/data/scalesim   # refresh the test data

SCALE-Sim lives in its own virtual environment (it pins nothing and wants numpy < 2.4):

    python3 -m venv /work/scalesim-venv && /work/scalesim-venv/bin/pip install scalesim 'numpy<2.4'

and is found through --scalesim-python, the SCALESIM_PYTHON variable, that default path, or the
running Python if it has scalesim. For each of AlexNet's five CONV layers and each dataflow (os,
ws, is) the script prints both cycle counts, SCALE-Sim's wall time per layer (inside its process:
`scalesim(...).run_scale()` with no traces written), npukit's (`systolic_cycles`, median of many
calls) and their ratio (about 15 minutes, nearly all of it SCALE-Sim's). Without
SCALE-Sim it prints npukit's side and how to install SCALE-Sim, and exits 0.

--record DIR runs SCALE-Sim on AlexNet's CONV layers and every distinct CONV shape of ResNet-50
plus its FC layer (as a 1×1 convolution) and writes what tests/hw/test_systolic.py reads:
the configs, the topology files and cycles.csv (see DIR/README.md).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import npukit
from npukit.hw.systolic import DATAFLOWS, systolic_cycles, topology_row
from npukit.hw.workload import Workload

DEFAULT_PYTHON = Path("/work/scalesim-venv/bin/python")
TOPOLOGY_HEADER = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,"
LAYOUT_HEADER = TOPOLOGY_HEADER.replace("Strides,", "Stride Height, Stride Width,")
# Runs inside SCALE-Sim's environment: each topology row alone, timed, cycles read from its report.
RUNNER = """
import csv, glob, json, os, sys, tempfile, time
from scalesim.scale_sim import scalesim
config, layout, header, rows = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
results = []
with tempfile.TemporaryDirectory() as tmp:
    for i, row in enumerate(rows):
        topology = os.path.join(tmp, f"layer{i}.csv")
        with open(topology, "w") as f:
            f.write(header + "\\n" + ", ".join(map(str, row)) + ",\\n")
        start = time.perf_counter()
        sim = scalesim(save_disk_space=True, verbose=False, config=config, topology=topology, layout=layout)
        sim.run_scale(top_path=os.path.join(tmp, f"out{i}"))
        seconds = time.perf_counter() - start
        (report,) = glob.glob(os.path.join(tmp, f"out{i}", "*", "COMPUTE_REPORT.csv"))
        with open(report) as f:
            (line,) = list(csv.DictReader(f, skipinitialspace=True))
        results.append([int(line["Total Cycles"]), int(line["Stall Cycles"]), seconds])
print(json.dumps(results))
"""


def scalesim_config(rows: int, cols: int, dataflow: str) -> str:
    """SCALE-Sim's example config (configs/scale.cfg), resized, with the sections v3.0.0 requires."""
    return f"""[general]
run_name = npukit_{rows}x{cols}_{dataflow}

[architecture_presets]
ArrayHeight:    {rows}
ArrayWidth:     {cols}
IfmapSramSzkB:   64
FilterSramSzkB:  64
OfmapSramSzkB:   64
IfmapOffset:    0
FilterOffset:   10000000
OfmapOffset:    20000000
Bandwidth : 10
Dataflow : {dataflow}
MemoryBanks:   1
ReadRequestBuffer: 512
WriteRequestBuffer: 512

[layout]
IfmapCustomLayout: False
IfmapSRAMBankBandwidth: 10
IfmapSRAMBankNum: 10
IfmapSRAMBankPort: 2
FilterCustomLayout: False
FilterSRAMBankBandwidth: 10
FilterSRAMBankNum: 10
FilterSRAMBankPort: 2

[sparsity]
SparsitySupport : false
SparseRep : ellpack_block
OptimizedMapping : false
BlockSize : 8
RandomNumberGeneratorSeed : 40

[run_presets]
InterfaceBandwidth: CALC
UseRamulatorTrace: False
"""


def layers(model: str, distinct: bool = False, fc: bool = False) -> list[Workload]:
    """The model's CONV (and, with `fc`, FC) layers; with `distinct`, the first of each shape."""
    chosen: dict[object, Workload] = {}
    for layer in npukit.analyze(model).layers:
        nest = layer.loopnest
        if nest is None or nest.kind not in (("CONV", "FC") if fc else ("CONV",)):
            continue
        workload = Workload.from_loopnest(nest, name=layer.name)
        key = (tuple(workload.bounds.items()), workload.stride) if distinct else layer.name
        chosen.setdefault(key, workload)
    return list(chosen.values())


def topology_rows(workload: Workload) -> list[list[object]]:
    """SCALE-Sim topology rows of a layer: one per group (SCALE-Sim has no groups)."""
    groups = workload.bounds["G"]
    suffix = [f".g{g}" for g in range(groups)] if groups > 1 else [""]
    return [[workload.name + s, *topology_row(workload)] for s in suffix]


def run_scalesim(python: Path, rows: int, cols: int, dataflow: str, topology: list[list[object]],
                 workdir: Path) -> list[tuple[int, int, float]]:
    """(Total Cycles, Stall Cycles, seconds) per topology row, from SCALE-Sim in its own environment."""
    config, layout = workdir / f"scale_{rows}x{cols}_{dataflow}.cfg", workdir / "layout.csv"
    config.write_text(scalesim_config(rows, cols, dataflow))
    if not layout.exists():  # custom layouts are off: SCALE-Sim only opens the file
        layout.write_text(LAYOUT_HEADER + "\n")
    done = subprocess.run([str(python), "-W", "ignore", "-c", RUNNER, str(config), str(layout), TOPOLOGY_HEADER,
                           json.dumps(topology)], check=True, capture_output=True, text=True)
    return [tuple(r) for r in json.loads(done.stdout.strip().splitlines()[-1])]


def npukit_seconds(workload: Workload, rows: int, cols: int, dataflow: str, runs: int = 2000) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        systolic_cycles(workload, rows, cols, dataflow)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def find_python(arg: str | None) -> Path | None:
    """--scalesim-python if given, else the first of $SCALESIM_PYTHON, the default venv, this Python with scalesim."""
    candidates = [arg] if arg else [os.environ.get("SCALESIM_PYTHON"), str(DEFAULT_PYTHON), sys.executable]
    for candidate in filter(None, candidates):
        if Path(candidate).exists() and subprocess.run([candidate, "-c", "import scalesim.scale_sim"],
                                                       capture_output=True).returncode == 0:
            return Path(candidate)
    return None


def side_by_side(python: Path | None, rows: int, cols: int) -> None:
    print(f"AlexNet CONV layers on a {rows}×{cols} array: compute cycles, wall time per layer")
    print(f"{'layer':8} {'df':3} {'npukit':>10} {'SCALE-Sim':>10} {'equal':6} {'npukit µs':>10} "
          f"{'SCALE-Sim s':>12} {'ratio':>10}")
    workloads = layers("alexnet")
    per_layer = [topology_rows(w) for w in workloads]
    with tempfile.TemporaryDirectory() as tmp:
        for dataflow in DATAFLOWS:
            flat = [row for rows_of_layer in per_layer for row in rows_of_layer]
            peer = iter(run_scalesim(python, rows, cols, dataflow, flat, Path(tmp)) if python else [])
            for w, rows_of_layer in zip(workloads, per_layer, strict=True):
                ours, ours_s = systolic_cycles(w, rows, cols, dataflow), npukit_seconds(w, rows, cols, dataflow)
                line = f"{w.name:8} {dataflow:3} {ours:>10,}"
                if python is None:
                    print(f"{line} {'-':>10} {'-':6} {ours_s * 1e6:>10.1f}")
                    continue
                groups = [next(peer) for _ in rows_of_layer]  # one SCALE-Sim layer per group
                theirs, stalls, theirs_s = (sum(g[i] for g in groups) for i in range(3))
                print(f"{line} {theirs:>10,} {ours == theirs and not stalls!s:6} "
                      f"{ours_s * 1e6:>10.1f} {theirs_s:>12.2f} {theirs_s / ours_s:>9,.0f}×")


def record_cases() -> list[tuple[str, int, int, list[list[object]]]]:
    """(case, array rows, cols, topology rows) that tests/hw/test_systolic.py checks."""
    def rows_of(workloads: list[Workload]) -> list[list[object]]:
        return [row for w in workloads for row in topology_rows(w)]

    hand = Workload({"M": 3, "C": 1, "R": 2, "S": 2, "E": 2, "F": 2}, name="hand")  # the test's hand-worked layer
    small = Workload({"M": 20, "C": 3, "R": 3, "S": 3, "E": 6, "F": 6}, name="small")
    # ResNet-50's conv1 given as its padded input (230 = 224 + 2·3): SCALE-Sim sizes the output 113×113
    padded = [["conv1-padded-230", 230, 230, 7, 7, 3, 64, 2]]
    return [("alexnet", 32, 32, rows_of(layers("alexnet"))),
            ("resnet50", 32, 32, rows_of(layers("resnet50", distinct=True, fc=True))),
            ("padded", 32, 32, padded),
            ("hand", 2, 2, rows_of([hand])),
            ("small", 4, 8, rows_of([small])),
            ("small", 8, 4, rows_of([small]))]


def record(python: Path, directory: Path, jobs: int) -> None:
    """Run SCALE-Sim on `record_cases()`; write topologies/, configs/ and cycles.csv into `directory`."""
    (directory / "topologies").mkdir(parents=True, exist_ok=True)
    (directory / "configs").mkdir(exist_ok=True)
    (directory / "configs" / "layout.csv").write_text(LAYOUT_HEADER + "\n")  # before the jobs share it
    work = []
    for case, rows, cols, topology in record_cases():
        (directory / "topologies" / f"{case}.csv").write_text(
            "\n".join([TOPOLOGY_HEADER] + [", ".join(map(str, row)) + "," for row in topology]) + "\n")
        work += [(case, rows, cols, dataflow, topology) for dataflow in DATAFLOWS]

    def run(job: tuple[str, int, int, str, list[list[object]]]) -> list[list[object]]:
        case, rows, cols, dataflow, topology = job
        start = time.perf_counter()
        results = run_scalesim(python, rows, cols, dataflow, topology, directory / "configs")
        print(f"{case} {rows}x{cols} {dataflow}: {len(topology)} layers in {time.perf_counter() - start:.0f} s",
              flush=True)
        return [[case, *row, dataflow, rows, cols, total, stalls, f"{seconds:.2f}"]
                for row, (total, stalls, seconds) in zip(topology, results, strict=True)]

    with ThreadPoolExecutor(jobs) as pool:  # each job is a SCALE-Sim process
        found = [line for lines in pool.map(run, work) for line in lines]
    header = ["case", "layer", "ifmap_h", "ifmap_w", "filter_h", "filter_w", "channels", "filters", "stride",
              "dataflow", "rows", "cols", "total_cycles", "stall_cycles", "seconds"]
    with open(directory / "cycles.csv", "w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows([header, *found])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scalesim-python", help=f"Python with scalesim installed (default {DEFAULT_PYTHON})")
    parser.add_argument("--rows", type=int, default=32)
    parser.add_argument("--cols", type=int, default=32)
    parser.add_argument("--record", type=Path, metavar="DIR", help="run the test layers and write them to DIR")
    parser.add_argument("--jobs", type=int, default=2, help="SCALE-Sim processes at once with --record")
    args = parser.parse_args()
    python = find_python(args.scalesim_python)
    if python is None:
        print(f"SCALE-Sim not found (--scalesim-python, $SCALESIM_PYTHON, {DEFAULT_PYTHON}, this Python); install it:\n"
              f"  python3 -m venv {DEFAULT_PYTHON.parents[1]} && {DEFAULT_PYTHON.parent}/pip install scalesim "
              f"'numpy<2.4'\nthen run again (or pass --scalesim-python). npukit's side alone:\n")
        if args.record:
            sys.exit("--record needs SCALE-Sim")
    if args.record and python:
        record(python, args.record, args.jobs)
        return
    side_by_side(python, args.rows, args.cols)


if __name__ == "__main__":
    main()
