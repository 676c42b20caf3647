"""Hypothesis strategies for small hardware problems: (workload, architecture, mapping).

Small enough for the trace simulator (MACs ≤ ~3000), varied enough to reach every counting rule:
strides and dilations (holes in input tiles), groups and batch, fan-outs of 1–4 on X and Y at
every level, random keep/bypass and random loop orders. Capacities are unbounded, so every
mapping drawn is valid.
"""

from __future__ import annotations

from math import prod

from hypothesis import assume
from hypothesis import strategies as st

from npukit.hw.arch import Architecture, ComputeSpec, StorageLevel
from npukit.hw.mapping import LevelMapping, Mapping
from npukit.hw.workload import DIMS, TENSORS, Workload


def _primes(n: int) -> list[int]:
    out, p = [], 2
    while n > 1:
        while n % p == 0:
            out.append(p)
            n //= p
        p += 1
    return out


@st.composite
def workloads(draw: st.DrawFn, max_macs: int = 3000, max_bound: int = 4) -> Workload:
    """A layer with N, G ≤ 2, the other dimensions ≤ `max_bound`, strides and dilations 1–2."""
    bounds = {"N": draw(st.integers(1, 2)), "G": draw(st.integers(1, 2))}
    bounds |= {d: draw(st.integers(1, max_bound)) for d in "MCEFRS"}
    assume(prod(bounds.values()) <= max_macs)
    pair = st.tuples(st.integers(1, 2), st.integers(1, 2))
    return Workload(bounds, draw(pair), draw(pair), name="random")


@st.composite
def architectures(draw: st.DrawFn, levels: st.SearchStrategy[int] | None = None) -> Architecture:
    """DRAM (keeps all) then 2–3 inner levels with random fan-outs (1–4 per axis) and keeps."""
    n = draw(levels if levels is not None else st.sampled_from([3, 4]))
    meshes = [(1, 1)]
    for _ in range(n):
        fx, fy = draw(st.integers(1, 4)), draw(st.integers(1, 4))
        meshes.append((meshes[-1][0] * fx, meshes[-1][1] * fy))
    storage = [StorageLevel(name="DRAM", kind="dram")]
    for i in range(1, n):
        keeps = draw(st.sets(st.sampled_from(TENSORS)))
        storage.append(StorageLevel(name=f"L{i}", mesh_x=meshes[i][0], mesh_y=meshes[i][1],
                                    keeps=tuple(t for t in TENSORS if t in keeps)))
    compute = ComputeSpec(mesh_x=meshes[n][0], mesh_y=meshes[n][1])
    return Architecture(name="random", levels=tuple(storage), compute=compute)


@st.composite
def mappings(draw: st.DrawFn, workload: Workload, arch: Architecture) -> Mapping:
    """A valid mapping: every prime factor of every bound goes to a random level's temporal,
    spatial X or spatial Y loops (spatial only while it fits the fan-out), growing the loop of its
    dimension there (one loop per dimension per level, as Timeloop's mappings have); random
    loop orders; random keep subsets of what each inner level may keep."""
    n = len(arch.levels)
    factors: list[dict[str, list[tuple[str, int]]]] = [{"T": [], "X": [], "Y": []} for _ in range(n)]
    for d in DIMS:
        for p in _primes(workload.bounds[d]):
            i, kind = draw(st.integers(0, n - 1)), draw(st.sampled_from("TXY"))
            if kind != "T" and prod(f for _, f in factors[i][kind]) * p > arch.fanout(i)["XY".index(kind)]:
                kind = "T"
            loops = factors[i][kind]
            same = [k for k, (d2, _) in enumerate(loops) if d2 == d]
            if same:
                loops[same[0]] = (d, loops[same[0]][1] * p)
            else:
                loops.append((d, p))
    levels = []
    for i, lm in enumerate(factors):
        loops = {kind: tuple(draw(st.permutations(lm[kind]))) for kind in "TXY"}
        keep = None
        if i > 0 and draw(st.booleans()):
            keep = frozenset(draw(st.sets(st.sampled_from(arch.levels[i].keeps)))) if arch.levels[i].keeps \
                else frozenset()
        levels.append(LevelMapping(arch.levels[i].name, loops["T"], loops["X"], loops["Y"], keep))
    return Mapping(tuple(levels), source="random")


@st.composite
def problems(draw: st.DrawFn, max_macs: int = 3000) -> tuple[Workload, Architecture, Mapping]:
    """A random (workload, architecture, mapping) triple; the mapping is valid for both."""
    workload = draw(workloads(max_macs=max_macs))
    arch = draw(architectures())
    return workload, arch, draw(mappings(workload, arch))
