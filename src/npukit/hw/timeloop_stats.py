"""Read Timeloop's `timeloop-mapper.stats.txt` into the same shape as `Evaluation.as_dict()`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from npukit.errors import NpukitError
from npukit.hw.timeloop import base_name

FIELDS = {"Scalar reads (per-instance)": "reads", "Scalar fills (per-instance)": "fills",
          "Scalar updates (per-instance)": "updates", "Utilized instances (max)": "instances",
          "Utilized capacity": "capacity", "Partition size": "partition", "Energy (total)": "energy_pj"}
NUMBER = r"([-+]?[0-9][0-9.eE+-]*)"


def read_stats(path: str | Path) -> dict[str, Any]:
    """{computes, cycles, utilization, energy_pj, mac: {...}, levels: {LEVEL: {cycles, energy_pj,
    TENSOR: {reads, fills, updates, instances, capacity, partition, energy_pj}}}}."""
    path = Path(path)
    try:
        lines = path.read_text().splitlines()
    except OSError as e:
        raise NpukitError(f"{path}: cannot read ({e.strerror})") from None
    out: dict[str, Any] = {"levels": {}}
    level: dict[str, Any] | None = None
    tensor: dict[str, Any] | None = None
    is_mac = False
    for line in lines:
        text = line.strip()
        if m := re.fullmatch(r"=== (\S+) ===", text):
            if out.get("_summary"):
                level = tensor = None  # the per-level listing of the summary section
                continue
            name = base_name(m.group(1))
            is_mac = not out["levels"] and "mac" not in out
            level, tensor = ({} if is_mac else out["levels"].setdefault(name, {})), None
            if is_mac:
                out["mac"] = level
            continue
        if text.startswith(("Networks", "Operational Intensity Stats")):
            out["_summary"] = True
            level = tensor = None
            continue
        if m := re.fullmatch(r"(Weights|Inputs|Outputs):", text):
            if level is not None:
                tensor = level.setdefault(m.group(1), {})
            continue
        if ":" not in text:
            continue
        key, _, value = (part.strip() for part in text.partition(":"))
        summary_value(out, key, value)
        if level is None:
            continue
        number = re.match(NUMBER, value)
        if number is None:
            continue
        val = float(number.group(1))
        if tensor is not None and key in FIELDS:
            tensor[FIELDS[key]] = val if FIELDS[key] == "energy_pj" else int(val)
        elif key == "Cycles" and tensor is None:
            level["cycles"] = int(val)
        elif key == "Leakage energy (total)":
            level["leak_pj"] = val
        elif is_mac and key in ("Computes (total)", "Utilized instances", "Energy (total)"):
            level[{"Computes (total)": "computes", "Utilized instances": "instances",
                   "Energy (total)": "energy_pj"}[key]] = val
    out.pop("_summary", None)
    for lv in out["levels"].values():
        lv["energy_pj"] = lv.get("leak_pj", 0.0) + sum(t.get("energy_pj", 0.0) for t in lv.values()
                                                       if isinstance(t, dict))
    if "cycles" not in out or "mac" not in out:
        raise NpukitError(f"{path}: not a Timeloop stats file (no summary or no arithmetic level)")
    out["computes"] = int(out["mac"].get("computes", 0))
    return out


def summary_value(out: dict[str, Any], key: str, value: str) -> None:
    if not out.get("_summary"):
        return
    if key == "Cycles":
        out["cycles"] = int(value)
    elif key == "Utilization":
        out["utilization"] = float(value.rstrip("%")) / 100
    elif key == "Energy":
        number, unit = value.split()
        out["energy_pj"] = float(number) * {"pJ": 1, "nJ": 1e3, "uJ": 1e6, "mJ": 1e9}[unit]
