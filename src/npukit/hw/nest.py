"""The tiled loop nest in closed form: tile boxes, how tiles move, fills, multicast groups.

These are the counting rules of docs/hw-model.md for one tensor at a time, written as small
pure functions over integers so that the per-mapping model (model.py) can use them directly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import product
from math import prod

Vec = tuple[int, ...]
State = Vec | None  # the remembered stride: none, or the last translation
Projection = tuple[tuple[tuple[str, int], ...], ...]


def box_extents(projection: Projection, extents: dict[str, int]) -> Vec:
    """Extent along each data dimension of the box that loop `extents` touch."""
    return tuple(1 + sum(c * (extents[d] - 1) for d, c in terms) for terms in projection)


def step_vector(projection: Projection, dim: str, step: int) -> Vec:
    """Translation of a tile, in data-space coordinates, when loop index `dim` advances by `step`."""
    return tuple(sum(c * step for d, c in terms if d == dim) for terms in projection)


def slide(box: Vec, t: Vec, stride: State) -> tuple[int, State]:
    """Fill cost of moving a `box` by `t` given the remembered `stride`; returns (fills, new stride).

    Reuse of the old tile survives only while the tile keeps moving by the same translation (a
    standing tile, t = 0, is a translation too); any change refills the whole tile and forgets
    the stride. This is the rule of the Timeloop that produced the reference outputs (before its
    January 2025 change #297, which lets a standing tile keep the stride).
    """
    volume = prod(box)
    if stride is None or t == stride:
        overlap = prod(max(0, e - abs(x)) for e, x in zip(box, t, strict=True))
        return volume - overlap, t
    return volume, None


def tile_fills(box: Vec, loops: Sequence[tuple[Vec, int]], exact: bool) -> int:
    """Total elements filled into one instance as the outer temporal `loops` run.

    `loops` lists (translation of one step, trip count), innermost first, trip counts above 1.
    `exact` walks every step; otherwise the second iteration of each loop stands for all the
    remaining ones and inner loops wrap from their second iteration (Timeloop's extrapolation).
    """
    memo: dict[tuple[int, State], tuple[int, State]] = {}
    wrap_back = [tuple(0 for _ in box)]  # wrap_back[j]: translation undoing loops 0..j-1
    for v, n in loops:
        back = (n - 1) if exact else 1
        wrap_back.append(tuple(w + back * x for w, x in zip(wrap_back[-1], v, strict=True)))

    def block(j: int, stride: State) -> tuple[int, State]:
        """Fills inside one full run of loops 0..j-1 entered with `stride`."""
        if j == 0:
            return 0, stride
        key = (j, stride)
        if key not in memo:
            v, n = loops[j - 1]
            move = tuple(x - w for x, w in zip(v, wrap_back[j - 1], strict=True))
            first, stride = block(j - 1, stride)

            def once(s: State) -> tuple[int, State]:
                d, s = slide(box, move, s)
                inner, s = block(j - 1, s)
                return d + inner, s

            if exact:
                rest, stride = repeat(once, stride, n - 1)
            else:
                one, stride = once(stride)
                rest = (n - 1) * one
            memo[key] = (first + rest, stride)
        return memo[key]

    return prod(box) + block(len(loops), None)[0]


def repeat(step: Callable[[State], tuple[int, State]], state: State, count: int) -> tuple[int, State]:
    """Apply `step` `count` times, summing its cost; jumps over cycles of the finite state."""
    total, k, seen = 0, 0, {}
    while k < count:
        if seen is not None and state in seen:
            k0, total0 = seen[state]
            cycles = (count - k) // (k - k0)
            total += cycles * (total - total0)
            k += cycles * (k - k0)
            seen = None
            continue
        if seen is not None:
            seen[state] = (k, total)
        d, state = step(state)
        total += d
        k += 1
    return total, state


def distinct_groups(steps: Sequence[tuple[Vec, int]], rank: int) -> int:
    """Distinct translations Σ kᵢ·vᵢ over spatial loops (vᵢ, trip count): the multicast groups.

    Each loop moves along one data dimension, so the count is a product over dimensions.
    """
    count = 1
    for k in range(rank):
        sums = {0}
        for v, n in steps:
            if v[k]:
                sums = {s + i * v[k] for s, i in product(sums, range(n))}
        count *= len(sums)
    return count
