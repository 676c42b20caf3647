"""How fast npukit counts a network, against PyTorch's own FLOP counter in the same run.

    .venv/bin/python benchmarks/counting.py

Times (median of several runs): `npukit --help` and `npukit analyze resnet152 --json` as
commands (a user's wait), npukit's in-process analysis of ResNet-152 v1.5, and
torch.utils.flop_counter.FlopCounterMode on the same network built in plain PyTorch (which
must run the model). Also checks that both count the same MACs.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

BIN = Path(sys.executable).parent


def median_s(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def command(*args: str) -> Callable[[], object]:
    return lambda: subprocess.run([str(BIN / "npukit"), *args], check=True, capture_output=True)


def torch_count(depth: int) -> int:
    """Build the plain-PyTorch ResNet and count it with FlopCounterMode (which runs it)."""
    sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
    import torch_models

    return torch_models.macs(torch_models.resnet(depth))


def main() -> None:
    import npukit

    rows = [
        ("python -c pass (interpreter start)", median_s(lambda: subprocess.run([sys.executable, "-c", "pass"]), 7)),
        ("npukit --help", median_s(command("--help"), 7)),
        ("npukit analyze resnet152 --json", median_s(command("analyze", "resnet152", "--json"), 7)),
    ]
    ours = median_s(lambda: npukit.analyze("resnet152-v1.5").total("macs"), 7)
    rows.append(("npukit.analyze('resnet152-v1.5') in process", ours))
    try:
        import torch

        torch.set_num_threads(int(os.environ.get("THREADS", "2")))
        peer = median_s(lambda: torch_count(152), 3)
        rows.append(("torch FlopCounterMode, ResNet-152 v1.5 (peer)", peer))
        same = torch_count(152) == npukit.analyze("resnet152-v1.5").total("macs")
        print(f"MACs agree with PyTorch's FlopCounterMode: {same}")
        rows.append(("ratio peer / npukit (in process)", peer / ours))
    except ImportError:
        print("PyTorch is not installed: the peer is skipped")
    for name, value in rows:
        unit = "x" if name.startswith("ratio") else "s"
        print(f"{name:50s} {value:10.4f} {unit}")


if __name__ == "__main__":
    main()
