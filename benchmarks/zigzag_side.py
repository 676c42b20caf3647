"""ZigZag's side of the mapper benchmark: ZigZag on its bundled examples, run in a venv of its own.

    python3 -m venv /work/zigzag-venv && /work/zigzag-venv/bin/pip install zigzag-dse six
    .venv/bin/python benchmarks/zigzag_side.py [--venv-python /work/zigzag-venv/bin/python]

`run_zigzag(network, example, venv_python)` runs ZigZag's API (`get_hardware_performance_zigzag`,
opt="energy", LOMA temporal search, its defaults otherwise) in a subprocess of the scratch venv's
Python, so the project venv needs no ZigZag. `network` names an ONNX model bundled with ZigZag
(resnet18, mobilenetv2, alexnet) or is a path to one; `example` names one of its hardware files
(tpu_like, eyeriss_like). ZigZag 3.9.1 bundles no ResNet-50 and no mapping for eyeriss_like: the
`__main__` exports npukit's zoo ResNet-50 to ONNX, and `MAPPINGS` gives eyeriss_like the K × C
spatial unrolling of ZigZag's own tpu_like mapping (as its older alexnet_on_eyeriss_like did).
The bundled resnet18.onnx has the same 21 CONV/FC layers and 1.814 GMACs as npukit's zoo resnet18.
`six` is listed because zigzag-dse 3.9.1 imports it without declaring it.

How the two cost models differ
------------------------------
ZigZag (its `CostModelEvaluation`) and npukit (Timeloop's conventions, `docs/hw-model.md`) both
count, per memory level and operand, the data that moves as a loop nest runs, and weigh it with
per-access energies; they differ in what they count and in how a mapping is found.

- Mapping search. ZigZag takes the spatial unrolling from the mapping file (or generates a few),
  then LOMA enumerates loop orders of the layer's prime factors (lpf_limit=6) and allocates the
  loops to each operand's memories bottom-up, filling each as far as it fits; every candidate goes
  through the full cost model, so a network takes minutes. npukit evaluates a mapping in closed
  form (`npukit.hw.batch` vectorises it over many mappings) and its mapper searches that space.
- Hierarchy. ZigZag gives each operand its own chain of memories and its own cut points within
  one loop order; npukit has one chain of levels, each keeping some tensors and bypassing the rest,
  so a mapping's cut points are ordered across tensors.
- Energy. ZigZag charges r_cost/w_cost per access of a port's full bandwidth and counts accesses
  on data-bandwidth granularity: per transfer period, ceil(bits / bandwidth_min) chunks, each
  bandwidth_min / bandwidth_max of an access; precisions are per operand (8-bit W and I, 16-bit
  partial sums, 8-bit final outputs by default). The API also counts repeated reads of the same
  data from an innermost memory as one access when the data is narrower than its read port.
  npukit charges per block of words, rounding the run's total once, with one word size per level;
  reads skip the first (zero) partial sum, and multicast and spatial reduction are counted per
  distinct tile.
- Latency. ZigZag's cycles are the ideal temporal cycles plus stalls (a port that cannot move a
  memory's data within its update window; double buffering assumed when the tile fills at most
  half the memory), plus on-loading of the first tiles and off-loading of the last, plus the
  drain of systolic dimensions. npukit's cycles are the compute cycles, slowed by the most
  over-subscribed bandwidth; no fill or drain.
- Scope. ZigZag costs CONV and FC (Gemm/MatMul) layers only: it parses every other ONNX node (Add,
  pooling, batch norm, ReLU) as a dummy node that costs nothing.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DEFAULT_VENV_PYTHON = "/work/zigzag-venv/bin/python"
INSTALL = "python3 -m venv /work/zigzag-venv && /work/zigzag-venv/bin/pip install zigzag-dse six"
EXAMPLES = (("resnet18", "tpu_like"), ("resnet50", "eyeriss_like"))  # (network, ZigZag hardware example)
MEMORY_OPERAND_LINKS = {"O": "O", "W": "I2", "I": "I1"}  # ZigZag's convention: weights I2, inputs I1
# Mappings for hardware examples that ZigZag does not ship one for: (D1 unrolling, D2 unrolling).
MAPPINGS = {"eyeriss_like": ("K, 14", "C, 12")}


class ZigzagUnavailable(RuntimeError):
    """The scratch venv or ZigZag in it is missing, or ZigZag failed."""


def run_zigzag(network: str, example: str, venv_python: str = DEFAULT_VENV_PYTHON) -> dict[str, Any]:
    """Run ZigZag on `network` (a bundled ONNX name or a path) and hardware `example`, optimizing energy.

    Returns {"seconds": the API call's wall time, "cpu_seconds": its CPU time (LOMA runs in one
    process: a busy machine does not inflate it), "wall_seconds": the whole subprocess's (with
    interpreter, imports, ONNX parsing), "energy_pj", "cycles" (ZigZag's latency_total2), "layers":
    the number of layers costed, "per_layer": [{"name", "macs", "energy_pj", "cycles",
    "ideal_cycles"}], "version", "workload", "accelerator", "mapping"}.
    Raises ZigzagUnavailable with one line when ZigZag cannot run.
    """
    if not Path(venv_python).is_file():
        raise ZigzagUnavailable(f"no Python at {venv_python}; install ZigZag with: {INSTALL}")
    with tempfile.TemporaryDirectory(prefix="zigzag-") as dump:
        request = {"network": network, "example": example, "dump_folder": dump}
        start = time.perf_counter()
        proc = subprocess.run([venv_python, "-P", str(Path(__file__).resolve()), "--child", json.dumps(request)],
                              capture_output=True, text=True, check=False)
        wall_s = time.perf_counter() - start
    if proc.returncode == 3:
        raise ZigzagUnavailable(f"zigzag is not importable with {venv_python} ({last_line(proc.stdout)}); "
                                f"install it with: {INSTALL}")
    if proc.returncode:
        raise ZigzagUnavailable(f"ZigZag failed on {network} / {example}: {last_line(proc.stderr)}")
    return {**json.loads(last_line(proc.stdout)), "wall_seconds": wall_s}


def last_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[-1] if lines else "(no output)"


# ---- the child: runs inside the scratch venv, imports only the standard library and zigzag ----

def child(request: dict[str, str]) -> dict[str, Any]:
    """Locate the example's files inside the installed zigzag package, run the API, summarize."""
    import logging

    logging.basicConfig(level=logging.WARNING)  # before ZigZag's own basicConfig(INFO), which is then a no-op
    from importlib.metadata import version

    import zigzag
    from zigzag import api

    inputs = Path(zigzag.__file__).parent / "inputs"
    dump = Path(request["dump_folder"])
    workload = bundled_workload(inputs, request["network"])
    accelerator = existing(inputs / "hardware" / f"{request['example']}.yaml")
    mapping = mapping_file(inputs, request["example"], dump)
    start, start_cpu = time.perf_counter(), time.process_time()
    energy_pj, cycles, cmes = api.get_hardware_performance_zigzag(
        workload=str(workload), accelerator=str(accelerator), mapping=str(mapping), opt="energy",
        dump_folder=str(dump / "out"), loma_show_progress_bar=False)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - start_cpu
    per_layer = [layer_summary(cme) for cme, _ in cmes[0][1]]
    return {"seconds": seconds, "cpu_seconds": cpu_seconds, "energy_pj": float(energy_pj), "cycles": float(cycles),
            "layers": len(per_layer), "per_layer": per_layer, "version": version("zigzag-dse"),
            "workload": str(workload), "accelerator": str(accelerator),
            "mapping": str(mapping) if mapping.parent != dump else f"MAPPINGS[{request['example']!r}]"}


def bundled_workload(inputs: Path, network: str) -> Path:
    if network.endswith(".onnx"):
        return existing(Path(network))
    return existing(inputs / "workload" / f"{network}.onnx")


def mapping_file(inputs: Path, example: str, dump: Path) -> Path:
    """ZigZag's own mapping for the example, or one written from MAPPINGS into `dump`."""
    shipped = inputs / "mapping" / f"{example}.yaml"
    if shipped.is_file():
        return shipped
    if example not in MAPPINGS:
        raise FileNotFoundError(f"ZigZag ships no mapping {shipped.name} and MAPPINGS has none for {example}")
    d1, d2 = MAPPINGS[example]
    links = ", ".join(f"{k}: {v}" for k, v in MEMORY_OPERAND_LINKS.items())
    path = dump / f"{example}_mapping.yaml"
    path.write_text(f"- name: default\n  spatial_mapping:\n    D1:\n      - {d1}\n    D2:\n      - {d2}\n"
                    f"  memory_operand_links: {{{links}}}\n")
    return path


def existing(path: Path) -> Path:
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in path.parent.glob("*")))
        raise FileNotFoundError(f"{path}: no such file (available: {known})")
    return path


def layer_summary(cme: Any) -> dict[str, Any]:
    return {"name": cme.layer.name, "macs": int(cme.layer.total_mac_count), "energy_pj": float(cme.energy_total),
            "cycles": float(cme.latency_total2), "ideal_cycles": float(cme.ideal_temporal_cycle)}


def child_main(request_json: str) -> int:
    try:
        from zigzag import api  # noqa: F401  (zigzag-dse 3.9.1's api imports `six`, which it does not declare)
    except ImportError as e:
        print(e)
        return 3
    print(json.dumps(child(json.loads(request_json))))
    return 0


# ---- the parent's command line: both examples, one table ----

def zoo_onnx(name: str, folder: Path) -> Path:
    """npukit's zoo model `name` exported to ONNX in `folder` (for networks ZigZag does not ship)."""
    from npukit import zoo
    from npukit.frontends import onnx_export

    path = folder / f"{name}.onnx"
    onnx_export.save(zoo.get(name), path)
    return path


def run_examples(venv_python: str) -> list[tuple[str, str, dict[str, Any]]]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="zoo-onnx-") as tmp:
        for network, example in EXAMPLES:
            source = network if network == "resnet18" else str(zoo_onnx(network, Path(tmp)))
            rows.append((network, example, run_zigzag(source, example, venv_python)))
    return rows


def print_table(rows: list[tuple[str, str, dict[str, Any]]]) -> None:
    print(f"{'network':<10} {'hardware':<13} {'layers':>6} {'API s':>8} {'CPU s':>8} {'wall s':>8} {'energy pJ':>12} "
          f"{'cycles':>12}  ZigZag")
    for network, example, r in rows:
        print(f"{network:<10} {example:<13} {r['layers']:>6} {r['seconds']:>8.1f} {r['cpu_seconds']:>8.1f} "
              f"{r['wall_seconds']:>8.1f} {r['energy_pj']:>12.4e} {r['cycles']:>12.4e}  {r['version']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--venv-python", default=DEFAULT_VENV_PYTHON, help="Python of the venv with zigzag-dse")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="print the full results as JSON")
    args = parser.parse_args()
    if args.child:
        return child_main(args.child)
    try:
        rows = run_examples(args.venv_python)
    except ZigzagUnavailable as e:
        print(f"zigzag_side: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps([{"network": n, "example": x, **r} for n, x, r in rows], indent=1))
    else:
        print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
