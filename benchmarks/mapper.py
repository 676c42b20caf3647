"""npukit's mapper against ZigZag's: the same networks on the closest equivalent architectures.

    .venv/bin/python benchmarks/mapper.py [--zigzag-python /work/zigzag-venv/bin/python] [--only resnet18]

For each (network, ZigZag hardware example): ZigZag 3.9 (`get_hardware_performance_zigzag`,
energy objective, LOMA search) runs in its own venv (benchmarks/zigzag_side.py, which also says
how the two cost models differ); npukit maps the same network (its zoo model: the same layers
and MACs) onto the architecture translated from ZigZag's YAML (benchmarks/archs/), with ZigZag's
K × C spatial unrolling (benchmarks/dataflows/zigzag-kc.yaml) and everything else searched.
Prints time to result, energy and cycles of both, and the speed ratio. Without the ZigZag venv
it runs npukit's side and says how to install ZigZag.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from zigzag_side import DEFAULT_VENV_PYTHON, INSTALL, ZigzagUnavailable, run_zigzag, zoo_onnx  # noqa: E402

import npukit  # noqa: E402

CASES = (("resnet18", "tpu_like"), ("resnet50", "eyeriss_like"))


def run_npukit(network: str, example: str, evaluations: int) -> dict[str, float]:
    arch = npukit.arch(HERE / "archs" / f"zigzag_{example}.yaml")
    flow = npukit.dataflow(HERE / "dataflows" / "zigzag-kc.yaml")
    start = time.perf_counter()
    cost = npukit.map_network(network, arch, flow, "energy", max_evaluations=evaluations)
    seconds = time.perf_counter() - start
    mapped = [x for x in cost.layers if x.how == "mapped"]  # ZigZag costs CONV and FC layers only
    return {"seconds": seconds, "energy_pj": sum(x.energy_pj for x in mapped),
            "cycles": sum(x.cycles for x in mapped), "layers": len(mapped),
            "evaluated": cost.totals()["evaluated"]}


def zigzag_network(network: str, folder: Path) -> str:
    """ZigZag's bundled model where it has one (resnet18); else npukit's zoo model exported to ONNX in `folder`."""
    return network if network == "resnet18" else str(zoo_onnx(network, folder))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zigzag-python", default=DEFAULT_VENV_PYTHON)
    parser.add_argument("--only", choices=[n for n, _ in CASES])
    parser.add_argument("--evaluations", type=int, default=30_000, help="npukit: mappings per distinct layer")
    args = parser.parse_args()
    print(f"{'network':10} {'hardware':13} {'tool':7} {'layers':>6} {'seconds':>9} {'energy pJ':>16} "
          f"{'cycles':>13}  npukit speed-up")
    for network, example in CASES:
        if args.only and network != args.only:
            continue
        ours = run_npukit(network, example, args.evaluations)
        try:
            with tempfile.TemporaryDirectory(prefix="zoo-onnx-") as tmp:
                theirs = run_zigzag(zigzag_network(network, Path(tmp)), example, args.zigzag_python)
        except ZigzagUnavailable as e:
            print(f"ZigZag not run: {e} (install: {INSTALL})")
            theirs = None
        for tool, r in (("npukit", ours), ("ZigZag", theirs)):
            if r is not None:
                print(f"{network:10} {example:13} {tool:7} {r['layers']:6} {r['seconds']:9.1f} "
                      f"{r['energy_pj']:16,.0f} {r['cycles']:13,.0f}")
        if theirs is not None:
            print(f"{'':32} ratio: npukit {theirs['seconds'] / ours['seconds']:.0f}x faster; energy "
                  f"npukit/ZigZag {ours['energy_pj'] / theirs['energy_pj']:.2f}; "
                  f"npukit costed {ours['evaluated']:,} mappings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
