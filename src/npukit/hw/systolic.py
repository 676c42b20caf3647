"""Compute cycles of a rows × cols systolic array, as SCALE-Sim (v3, `pip install scalesim`) counts them.

A layer is a matrix product: the ifmap operand matrix (one row per output pixel, one column per
element of the convolution window) times the filter matrix (window × filters). Each dataflow
keeps one operand matrix's dimension on the array rows (Sr), one on the columns (Sc), and streams
the third through time (T), per group:

    dataflow             Sr (rows)         Sc (columns)      T (time)
    os  output stat.     pixels N·E·F      filters M         window C·R·S
    ws  weight stat.     window C·R·S      filters M         pixels N·E·F
    is  input stat.      window C·R·S      pixels N·E·F      filters M

An operand larger than the array is cut into folds: ceil(Sr / rows) · ceil(Sc / cols) of them,
run one after the other (a partial fold costs a full one). Each fold fills, computes and drains
before the next starts:

    os: T + rows + cols − 2        the last PE gets its first operand after (rows − 1) + (cols − 1)
                                   cycles of skew, then accumulates for T cycles in place
    ws, is: 2·rows + cols + T − 2  rows cycles to shift the stationary tile in, rows − 1 for the
                                   first partial sum to run down a column, T streamed vectors, and
                                   cols − 1 of skew across the columns

SCALE-Sim reports the cycle on which the last output is written, counting from 0: the layer's
figure is folds × per-fold cycles − 1 (its COMPUTE_REPORT.csv column "Total Cycles", which adds
memory stalls; with bandwidth estimated, InterfaceBandwidth: CALC, there are none). SCALE-Sim has
no groups: npukit treats a layer of G groups as G independent layers, one after the other, each
counted as above, so the whole layer is G times one group's figure.
"""

from __future__ import annotations

from math import ceil

from npukit.errors import NpukitError
from npukit.hw.workload import Workload

DATAFLOWS = ("os", "ws", "is")


def operand_extents(workload: Workload, dataflow: str) -> tuple[int, int, int]:
    """(Sr, Sc, T) of one group: the extents put on the array rows, on its columns, and in time."""
    b = workload.bounds
    pixels, filters, window = b["N"] * b["E"] * b["F"], b["M"], b["C"] * b["R"] * b["S"]
    if dataflow == "os":
        return pixels, filters, window
    if dataflow == "ws":
        return window, filters, pixels
    if dataflow == "is":
        return window, pixels, filters
    raise NpukitError(f"unknown dataflow {dataflow!r}; dataflows are {', '.join(DATAFLOWS)}")


def fold_cycles(rows: int, cols: int, time_steps: int, dataflow: str) -> int:
    """Cycles of one fold: fill, `time_steps` of streaming, and drain (see the module docstring)."""
    if dataflow == "os":
        return time_steps + rows + cols - 2
    return 2 * rows + cols + time_steps - 2


def systolic_cycles(workload: Workload, rows: int, cols: int, dataflow: str) -> int:
    """SCALE-Sim's compute cycles ("Total Cycles", no stalls) of `workload` on a rows × cols array.

    `dataflow` is "os", "ws" or "is"; a layer of G groups counts as G layers run back to back.
    """
    if rows < 1 or cols < 1:
        raise NpukitError(f"systolic array {rows}×{cols}: rows and columns must be at least 1")
    sr, sc, t = operand_extents(workload, dataflow)
    folds = ceil(sr / rows) * ceil(sc / cols)
    return workload.bounds["G"] * (folds * fold_cycles(rows, cols, t, dataflow) - 1)


def topology_row(workload: Workload) -> tuple[int, int, int, int, int, int, int]:
    """One group as a SCALE-Sim CONV topology row: (IFMAP H, IFMAP W, filter H, W, channels, filters, stride).

    The ifmap given is the part of the padded input the layer reads, U·(E − 1) + R rows (and
    likewise columns), because SCALE-Sim sizes the output as ceil((H − R + U) / U), which
    overcounts by one when U does not divide H − R (ResNet-50's conv1 on 224 + 2·3 would give 113,
    not 112). Batch, dilation and unequal strides have no SCALE-Sim equivalent and are refused.
    """
    b, (uh, uw) = workload.bounds, workload.stride
    if b["N"] != 1 or workload.dilation != (1, 1) or uh != uw:
        raise NpukitError(f"workload {workload.name}: SCALE-Sim takes batch 1, no dilation and one stride "
                          f"(got N={b['N']}, dilation {workload.dilation}, stride {workload.stride})")
    return uh * (b["E"] - 1) + b["R"], uw * (b["F"] - 1) + b["S"], b["R"], b["S"], b["C"], b["M"], uh


def from_topology_row(row: tuple[int, ...], name: str = "layer") -> Workload:
    """The Workload of a SCALE-Sim CONV topology row, output size by SCALE-Sim's rule ceil((H − R + U) / U)."""
    height, width, r, s, channels, filters, stride = row
    e, f = ceil((height - r + stride) / stride), ceil((width - s + stride) / stride)
    return Workload({"M": filters, "C": channels, "R": r, "S": s, "E": e, "F": f}, (stride, stride), name=name)
