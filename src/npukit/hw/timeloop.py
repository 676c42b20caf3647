"""Timeloop interchange: read Timeloop's processed input, mapping, ERT and stats.txt.

Timeloop names the dimensions C M R S N P Q (npukit: C M R S N E F) and pairs P with R and
Wstride, Q with S and Hstride; its permutations list loops innermost first.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from npukit.errors import NpukitError
from npukit.hw.arch import Architecture
from npukit.hw.dataflows import Dataflow
from npukit.hw.mapping import LevelMapping, Mapping
from npukit.hw.workload import DIMS, TENSORS, Workload
from npukit.hw.yamlio import read_yaml, validate

DIM_NAMES = {"G": "G", "C": "C", "M": "M", "K": "M", "R": "R", "S": "S", "N": "N", "P": "E", "Q": "F"}
INPUT = "parsed-processed-input.yaml"
MAP = "timeloop-mapper.map.yaml"
ERT = "timeloop-mapper.ERT.yaml"
STATS = "timeloop-mapper.stats.txt"


def base_name(name: str) -> str:
    return name.split("[")[0]


def components(node: dict[str, Any]) -> list[dict[str, Any]]:
    """The components of a v0.4 architecture tree, outermost first."""
    out = list(node.get("local") or [])
    for child in node.get("subtree") or []:
        out += components(child)
    return out


def read_workload(problem: dict[str, Any], source: str) -> Workload:
    inst = problem.get("instance") if isinstance(problem, dict) else None
    if not isinstance(inst, dict):
        raise NpukitError(f"{source}: problem.instance is missing")
    bounds = {DIM_NAMES[d]: int(v) for d, v in inst.items() if d in DIM_NAMES}
    stride = (int(inst.get("Wstride", 1)), int(inst.get("Hstride", 1)))
    dilation = (int(inst.get("Wdilation", 1)), int(inst.get("Hdilation", 1)))
    return Workload(bounds, stride, dilation, name=problem.get("shape", {}).get("name", "layer"))


def level_spec(comp: dict[str, Any], energies: dict[str, dict[str, float]]) -> dict[str, Any]:
    attrs = comp.get("attributes") or {}
    name, cls = base_name(comp["name"]), str(comp.get("class", ""))
    word_bits = int(attrs.get("datawidth") or attrs.get("word_bits") or 16)
    width = int(attrs.get("width") or word_bits)
    dummy = cls == "dummy_storage"
    kind = "dram" if cls == "DRAM" else "network" if dummy else "regfile" if "reg" in (
        str(comp.get("subclass", "")) + cls).lower() else "sram"
    cluster = int(attrs.get("cluster_size") or 1)
    spec: dict[str, Any] = {
        "name": name, "kind": kind, "word_bits": max(word_bits, 1), "cluster_size": cluster,
        "block_size": max(width // max(word_bits, 1) // cluster, 1) if not dummy else 1,
        "size_words": None if kind in ("dram", "network") else int(attrs.get("depth", 1)) * max(width // word_bits, 1),
        "mesh_x": int(attrs.get("meshX", 1)), "mesh_y": int(attrs.get("meshY", 1)),
        "keeps": [] if dummy else list(TENSORS)}
    for key in ("read_bandwidth", "write_bandwidth", "shared_bandwidth"):
        if attrs.get(key) is not None:
            spec[key] = float(attrs[key])
    e = energies.get(name, {})
    if e:
        spec.update(read_pj=e.get("read", 0.0), write_pj=e.get("write", 0.0), update_pj=e.get("update", 0.0),
                    leak_pj_per_cycle=e.get("leak", 0.0))
    return spec


def read_architecture(arch: dict[str, Any], source: str, energies: dict[str, dict[str, float]]) -> Architecture:
    comps = [c for c in components(arch) if isinstance(c, dict) and "name" in c]
    macs = [c for c in comps if "mac" in str(c.get("class", "")).lower() or c.get("required_actions") == ["compute"]]
    if not macs:
        raise NpukitError(f"{source}: architecture has no compute component")
    levels = [level_spec(c, energies) for c in comps if c is not macs[-1]]
    attrs = macs[-1].get("attributes") or {}
    mac_name = base_name(macs[-1]["name"])
    compute = {"name": mac_name, "mesh_x": int(attrs.get("meshX", 1)), "mesh_y": int(attrs.get("meshY", 1)),
               "word_bits": int(attrs.get("adder_width", attrs.get("datawidth", 16)))}
    if mac_name in energies:
        compute["energy_pj"] = energies[mac_name].get("compute", 0.0)
    top = (arch.get("subtree") or [{}])[0].get("attributes") or {}
    clock = 1.0 / float(top.get("global_cycle_seconds", 1e-9))
    data = {"name": Path(source).parent.name or "timeloop", "clock_hz": clock, "levels": levels, "compute": compute}
    return validate(Architecture, data, source)


def read_ert(path: Path) -> dict[str, dict[str, float]]:
    """Energy per action per component: {level name: {read, write, update, leak, compute}} in pJ."""
    data = read_yaml(path)
    out: dict[str, dict[str, float]] = {}
    for table in (data or {}).get("ERT", {}).get("tables", []):
        name = base_name(str(table.get("name", ""))).split(".")[-1]
        out[name] = {a["name"]: float(a.get("energy", 0.0)) for a in table.get("actions", [])}
    return out


def factors(text: str, where: str) -> dict[str, int]:
    out = {}
    for token in str(text).replace(",", " ").split():
        m = re.fullmatch(r"([A-Z])=?(\d+)", token)
        if not m or m.group(1) not in DIM_NAMES:
            raise NpukitError(f"{where}: cannot read factor {token!r}")
        out[DIM_NAMES[m.group(1)]] = int(m.group(2))
    return out


def read_mapping(entries: Any, arch: Architecture, source: str) -> Mapping:
    if isinstance(entries, dict):
        entries = entries.get("mapping")
    if not isinstance(entries, list):
        raise NpukitError(f"{source}: expected a list under 'mapping'")
    per: dict[str, dict[str, Any]] = {n: {} for n in arch.names}
    for k, e in enumerate(entries):
        where = f"{source}: mapping[{k}]"
        target = e.get("target")
        if target not in per:
            raise NpukitError(f"{where}: unknown target {target!r}")
        if e.get("type") in ("datatype", "bypass"):
            per[target]["keep"] = frozenset(e.get("keep") or [])
            continue
        f = factors(e.get("factors", ""), where)
        order = [DIM_NAMES[c] for c in str(e.get("permutation", "")) if c in DIM_NAMES]
        order += [d for d in f if d not in order]
        if e.get("type") == "temporal":
            per[target]["temporal"] = tuple((d, f.get(d, 1)) for d in reversed(order))  # outermost first
        elif e.get("type") == "spatial":
            split = int(e.get("split", len(order)))
            per[target]["spatial_x"] = tuple((d, f.get(d, 1)) for d in reversed(order[:split]))
            per[target]["spatial_y"] = tuple((d, f.get(d, 1)) for d in reversed(order[split:]))
    return Mapping(tuple(LevelMapping(n, **per[n]) for n in arch.names), source)


def read_constraints(data: Any, arch: Architecture, source: str) -> Dataflow:
    """Timeloop's `architecture_constraints` (and `mapspace_constraints`) as an npukit `Dataflow`."""
    targets = []
    for key in ("architecture_constraints", "mapspace_constraints", "mapspace"):
        part = data.get(key) if isinstance(data.get(key), dict) else {}
        targets += part.get("targets") or []
    out = []
    for k, e in enumerate(targets):
        where = f"{source}: constraint {k}"
        target, kind = base_name(str(e.get("target", ""))), e.get("type")
        if target not in arch.names:
            raise NpukitError(f"{where}: unknown target {target!r}")
        f = factors(e.get("factors", ""), where)
        order = [DIM_NAMES[c] for c in str(e.get("permutation", "")) if c in DIM_NAMES]
        if kind in ("datatype", "bypass"):
            out.append({"target": target, "type": "bypass", "keep": e.get("keep") or []})
        elif kind == "temporal":
            out.append({"target": target, "type": "temporal", "permutation": order,
                        "dims": [d for d in DIMS if f.get(d) != 1], "factors": {d: v for d, v in f.items() if v != 1}})
        elif kind == "spatial":
            split = int(e.get("split", len(order)))
            free = [d for d in (order or DIMS) if f.get(d, 0) != 1]
            out.append({"target": target, "type": "spatial",
                        "x": [d for d in free if d not in order[split:]] if order else free,
                        "y": [d for d in free if d not in order[:split]] if order else free})
    return validate(Dataflow, {"name": "timeloop-constraints", "constraints": out}, source)


def load_design(directory: str | Path) -> tuple[Workload, Architecture, Mapping]:
    """A Timeloop run directory → (workload, architecture, mapping); energies from its ERT if present."""
    d = Path(directory)
    if not d.is_dir():
        raise NpukitError(f"{d}: not a directory")
    src = d / INPUT
    data = read_yaml(src)
    if not isinstance(data, dict) or "architecture" not in data or "problem" not in data:
        raise NpukitError(f"{src}: expected Timeloop's processed input with 'architecture' and 'problem'")
    energies = read_ert(d / ERT) if (d / ERT).exists() else {}
    workload = read_workload(data["problem"], str(src))
    arch = read_architecture(data["architecture"], str(src), energies)
    map_path = d / MAP
    mapping = read_mapping(read_yaml(map_path) if map_path.exists() else data.get("mapping"), arch, str(map_path))
    return workload, arch, mapping



def evaluate_design(directory: str | Path, convention: str = "timeloop") -> tuple[Any, dict[str, Any] | None]:
    """Evaluate a Timeloop run directory: (npukit's Evaluation, Timeloop's stats.txt figures or None)."""
    from npukit.hw.model import evaluate
    from npukit.hw.timeloop_stats import read_stats

    workload, arch, mapping = load_design(directory)
    ev = evaluate(workload, arch, mapping, convention=convention)  # type: ignore[arg-type]
    stats = Path(directory) / STATS
    return ev, (read_stats(stats) if stats.exists() else None)
