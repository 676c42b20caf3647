"""Energy and area per access, per MAC and per bit, from published tables.

Energy tables (used where a spec does not give energies directly):

- ``survey``: the survey's normalized costs (Sze et al., Fig. 9, from Eyeriss at 65 nm): a MAC 1,
  register file 1, inter-PE array 2, global buffer 6, DRAM 200 — per 16-bit word access, in units
  of one 16-bit MAC. npukit reports them as pJ with 1 MAC = 1 pJ; scale with ``survey_mac_pj``.
- ``horowitz45``: M. Horowitz, "Computing's energy problem", ISSCC 2014, 45 nm: 8-bit integer
  multiply 0.2 pJ and add 0.03 pJ (32-bit: 3.1 and 0.1); a 64-bit SRAM read costs 10 pJ at 8 KB,
  20 pJ at 32 KB and 100 pJ at 1 MB (interpolated log-linearly in capacity, extrapolated as the
  square root of capacity below 8 KB); a 64-bit DRAM access 1.3–2.6 nJ (npukit takes 2.0 nJ).

Scaling with word bits: memory energy is linear in the bits moved; an integer multiplier's energy
grows with the square of its width and an adder's linearly (from the 8-bit figures: 3.2 and
0.12 pJ at 32 bits, against Horowitz's 3.1 and 0.1). A MAC of b-bit operands is a b-bit multiply
and a 2b-bit add (the accumulator is as wide as the product). Writes cost what reads cost unless
a spec says otherwise.

Area (45 nm, µm²): SRAM 0.43 per bit and registers 6.0 per bit, the per-bit areas of Accelergy's
45 nm models as they appear in Timeloop's reference outputs (shared_glb 1 Mbit 429,746 µm²;
pe_spad 3,072 bit 1,420 µm²; a 16-bit register 95.7 µm²); an 8-bit multiplier with a 16-bit
adder 417 µm² (same source), scaled with the square of the multiplier width. DRAM is off chip: 0.
A register file of more than 64 words is priced as SRAM per bit: such RFs are SRAM macros (the
Eyeriss filter scratchpad; Accelergy's 192-word pe_spad costs 0.46 µm² per bit), smaller ones
are flip-flops.
"""

from __future__ import annotations

import math

TABLES = ("survey", "horowitz45")
KINDS = ("dram", "sram", "regfile", "network")

SURVEY_PER_WORD = {"dram": 200.0, "sram": 6.0, "network": 2.0, "regfile": 1.0}
SURVEY_MAC = 1.0

HOROWITZ_SRAM_64B = ((8 * 1024, 10.0), (32 * 1024, 20.0), (1024 * 1024, 100.0))  # (bytes, pJ per 64 bits)
HOROWITZ_DRAM_64B_PJ = 2000.0
HOROWITZ_MULT_8B_PJ, HOROWITZ_ADD_8B_PJ = 0.2, 0.03

SRAM_UM2_PER_BIT, REG_UM2_PER_BIT, MAC8_UM2 = 0.43, 6.0, 417.0
REG_MAX_WORDS = 64  # larger register files are built as SRAM macros


def horowitz_sram_64b_pj(size_bytes: float) -> float:
    """Energy of one 64-bit SRAM read of a `size_bytes` array (Horowitz 45 nm)."""
    (b0, e0), (b1, e1), (b2, e2) = HOROWITZ_SRAM_64B
    if size_bytes <= b0:
        return e0 * math.sqrt(max(size_bytes, 1.0) / b0)
    lo, hi = ((b0, e0), (b1, e1)) if size_bytes <= b1 else ((b1, e1), (b2, e2))
    t = math.log(size_bytes / lo[0]) / math.log(hi[0] / lo[0])
    return lo[1] + t * (hi[1] - lo[1])  # beyond 1 MB: the same slope, extrapolated


def access_pj(kind: str, size_words: int | None, word_bits: int, table: str, survey_mac_pj: float = 1.0) -> float:
    """Energy of one access of one word of `word_bits` to a memory of `kind` and size."""
    if table == "survey":
        return SURVEY_PER_WORD[kind] * survey_mac_pj * word_bits / 16
    if kind == "dram":
        return HOROWITZ_DRAM_64B_PJ * word_bits / 64
    if kind == "network":
        return 0.0
    size_bytes = (size_words or 1) * word_bits / 8
    return horowitz_sram_64b_pj(size_bytes) * word_bits / 64


def network_pj(word_bits: int, table: str, survey_mac_pj: float = 1.0) -> float:
    """Energy to move one word across a fan-out to one PE: the survey's array cost 2 (per 16-bit word);
    Horowitz gives no such figure, so 0 there unless a spec gives `network_pj`."""
    return SURVEY_PER_WORD["network"] * survey_mac_pj * word_bits / 16 if table == "survey" else 0.0


def mac_pj(word_bits: int, table: str, survey_mac_pj: float = 1.0) -> float:
    """Energy of one integer multiply-accumulate of `word_bits` operands."""
    if table == "survey":
        return SURVEY_MAC * survey_mac_pj * (word_bits / 16) ** 2
    return HOROWITZ_MULT_8B_PJ * (word_bits / 8) ** 2 + HOROWITZ_ADD_8B_PJ * (2 * word_bits) / 8


def storage_area_um2(kind: str, size_words: int | None, word_bits: int) -> float:
    """Silicon area of one instance of a storage level (DRAM and networks: 0)."""
    if kind in ("dram", "network") or size_words is None:
        return 0.0
    per_bit = REG_UM2_PER_BIT if kind == "regfile" and size_words <= REG_MAX_WORDS else SRAM_UM2_PER_BIT
    return per_bit * size_words * word_bits


def mac_area_um2(word_bits: int) -> float:
    return MAC8_UM2 * (word_bits / 8) ** 2
