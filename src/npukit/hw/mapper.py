"""The mapper: the best mapping of one layer that a dataflow allows, for energy, latency or EDP.

Small spaces are searched exhaustively. Larger ones by a seeded evolutionary search on genomes
(see `mapspace`): random samples plus the all-outermost mapping seed a population; each
generation of 256 mutates the best mappings, drawn with a bias toward the very best (a prime
factor moved to another level or axis, a level's loops reordered), mixes in fresh samples, and
keeps the 32 best, until the evaluation or time budget is spent or the best has not improved for
`patience` generations. Every candidate is
costed by `evaluate_batch`, thousands at a time; the winner is re-checked by `evaluate`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from npukit.errors import NpukitError
from npukit.hw.arch import Architecture
from npukit.hw.batch import CHUNK, ND, BatchEvaluation, evaluate_batch
from npukit.hw.dataflows import Dataflow, resolve, unconstrained
from npukit.hw.mapping import Mapping
from npukit.hw.mapspace import Genomes, MapSpace
from npukit.hw.model import Evaluation, evaluate
from npukit.hw.workload import Workload

Objective = Literal["energy", "latency", "edp"]
OBJECTIVES = ("energy", "latency", "edp")
GENERATION = 256  # candidates per generation: small generations converge in fewer evaluations
ELITES = 32  # the best distinct mappings kept
BIAS = 2.0  # parents drawn at rank ⌊ELITES·u^BIAS⌋: the best more often


@dataclass(frozen=True)
class SearchResult:
    """The best mapping found, its evaluation, and how the search went."""

    mapping: Mapping
    evaluation: Evaluation
    objective: str
    evaluated: int  # mappings costed
    valid: int  # of which fit the fan-outs and buffers
    seconds: float
    exhaustive: bool  # True: the whole space was costed, so no better mapping exists

    @property
    def mappings_per_s(self) -> float:
        return self.evaluated / self.seconds if self.seconds else float("inf")

    def as_dict(self) -> dict[str, Any]:
        return {"objective": self.objective, "evaluated": self.evaluated, "valid": self.valid,
                "seconds": round(self.seconds, 4), "exhaustive": self.exhaustive,
                "mapping": self.mapping.as_dict()["mapping"], "evaluation": self.evaluation.as_dict()}


def scores(ev: BatchEvaluation, objective: str) -> np.ndarray:
    """Objective per mapping (lower is better); invalid mappings score infinity."""
    energy, cycles = ev.total_energy_pj, ev.cycles.astype(float)
    value = {"energy": energy + cycles * 1e-9, "latency": cycles + energy * 1e-15, "edp": energy * cycles}[objective]
    return np.where(ev.valid, value, np.inf)


class Search:
    """State of one search: the space, the best genomes so far and the counts."""

    def __init__(self, space: MapSpace, objective: str, seed: int) -> None:
        self.space, self.objective = space, objective
        self.rng = np.random.default_rng(seed)
        self.best = Genomes(np.zeros((0, len(space.primes)), np.int64), np.zeros((0, space.n_levels, ND)))
        self.best_scores = np.zeros(0)
        self.evaluated = self.valid = 0

    def cost(self, genomes: Genomes) -> np.ndarray:
        ev = evaluate_batch(self.space.workload, self.space.arch, self.space.decode(genomes))
        s = scores(ev, self.objective)
        self.evaluated += len(genomes)
        self.valid += int(np.isfinite(s).sum())
        return s

    def offer(self, genomes: Genomes, keep: int) -> None:
        """Merge costed candidates into the elite set: the `keep` best distinct scores."""
        s = self.cost(genomes)
        pool, pool_s = Genomes.join([self.best, genomes]), np.concatenate([self.best_scores, s])
        finite = np.flatnonzero(np.isfinite(pool_s))
        _, first = np.unique(pool_s[finite], return_index=True)  # one genome per distinct score
        chosen = finite[first][:keep]
        self.best, self.best_scores = pool.take(chosen), pool_s[chosen]


def search(workload: Workload, arch: Architecture, dataflow: Dataflow | None = None, objective: Objective = "energy",
           max_evaluations: int = 20_000, max_seconds: float | None = None, seed: int = 0,
           exhaustive_limit: int = 20_000, patience: int = 20,
           progress: Callable[[int, int], None] | None = None) -> SearchResult:
    """Search the mappings `dataflow` allows (all mappings if None) for the lowest `objective`.

    Exhaustive when the space has at most `exhaustive_limit` mappings; else evolutionary, bounded
    by `max_evaluations` and `max_seconds`. `progress(evaluated, max_evaluations)` is called per
    generation. Raises `NpukitError` (one line) if no valid mapping is found.
    """
    if objective not in OBJECTIVES:
        raise NpukitError(f"unknown objective {objective!r}; choose from {', '.join(OBJECTIVES)}")
    label = f"layer {workload.name}"
    rules = resolve(dataflow, arch) if dataflow is not None else unconstrained(arch)
    space = MapSpace(workload, arch, rules, label)
    start = time.perf_counter()
    state = Search(space, objective, seed)
    every = space.enumerate(exhaustive_limit)
    if every is not None:
        for part in range(0, len(every), CHUNK):
            state.offer(every.take(np.arange(part, min(part + CHUNK, len(every)))), 1)
    else:
        evolve(state, max_evaluations, max_seconds, patience, start, progress)
    if not len(state.best):
        raise NpukitError(f"{label} ({workload.describe()}): no mapping fits {arch.name}"
                          + (f" under {dataflow.name}" if dataflow else "")
                          + f" ({state.evaluated:,} tried: tiles overflow the buffers or spatial loops the fan-outs)")
    best = space.decode(state.best.take(np.array([0]))).mapping(0, arch)
    mapping = Mapping(best.levels, source=label)
    return SearchResult(mapping, evaluate(workload, arch, mapping), objective, state.evaluated, state.valid,
                        time.perf_counter() - start, every is not None)


def evolve(state: Search, max_evaluations: int, max_seconds: float | None, patience: int, start: float,
           progress: Callable[[int, int], None] | None) -> None:
    space, rng = state.space, state.rng
    state.offer(Genomes.join([space.outermost(), space.sample(GENERATION - 1, rng)]), ELITES)
    stale, best = 0, state.best_scores[0] if len(state.best) else np.inf
    while state.evaluated < max_evaluations and stale < patience:
        if max_seconds is not None and time.perf_counter() - start > max_seconds:
            break
        fresh = space.sample(GENERATION // 8, rng)
        if len(state.best):
            rank = (rng.random(GENERATION - len(fresh)) ** BIAS * len(state.best)).astype(np.int64)
            parents = state.best.take(rank)
            fresh = Genomes.join([space.mutate(parents, rng), fresh])
        state.offer(fresh, ELITES)
        now = state.best_scores[0] if len(state.best) else np.inf
        stale = stale + 1 if now >= best else 0
        best = min(best, now)
        if progress:
            progress(state.evaluated, max_evaluations)
