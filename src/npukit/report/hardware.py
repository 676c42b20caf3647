"""Architectures as tables: the preset list (`npukit arch list`) and one spec (`npukit arch show`)."""

from __future__ import annotations

from typing import Any

from npukit.hw.arch import Architecture, StorageLevel
from npukit.report.tables import Column, Table

LIST_COLUMNS = [
    Column("name", "name"),
    Column("levels", "levels (outermost first)"),
    Column("macs", "MACs", True),
    Column("storage_bytes", "on-chip bytes", True),
    Column("clock_mhz", "clock MHz", True),
    Column("summary", "what it models"),
]


def summary(description: str) -> str:
    """The description up to its first colon: by convention, what the spec models and its source."""
    head, sep, _ = description.partition(": ")
    return head if sep else description


def arch_summary(arch: Architecture) -> dict[str, Any]:
    """One row of `npukit arch list` (the JSON keeps the whole description and exact numbers)."""
    return {
        "name": arch.name,
        "levels": " → ".join(arch.names),
        "macs": arch.compute.instances,
        "storage_bytes": arch.storage_bytes(),
        "clock_mhz": arch.clock_hz / 1e6,
        "summary": summary(arch.description),
    }


def arch_list_table(archs: list[Architecture]) -> tuple[Table, list[dict[str, Any]]]:
    """The preset table and its data: name, level names, MACs, on-chip bytes, clock_hz, description."""
    rows = [arch_summary(a) for a in archs]
    data = [{"name": a.name, "levels": list(a.names), "macs": a.compute.instances,
             "storage_bytes": a.storage_bytes(), "clock_hz": a.clock_hz, "description": a.description}
            for a in archs]
    notes = ["Details: npukit arch show NAME. On-chip bytes: every level but DRAM, all instances."]
    return Table("npukit architecture presets", LIST_COLUMNS, rows, notes=notes), data


def level_bytes(level: StorageLevel) -> int | float | None:
    if level.size_words is None:
        return None
    bits = level.size_words * level.word_bits
    return bits // 8 if bits % 8 == 0 else bits / 8


def level_row(arch: Architecture, index: int) -> dict[str, Any]:
    lv = arch.levels[index]
    read, fill, update = arch.energies_pj[index]
    return {
        "name": lv.name, "kind": lv.kind, "instances": lv.instances, "mesh": f"{lv.mesh_x}×{lv.mesh_y}",
        "size_words": lv.size_words, "size_bytes": level_bytes(lv), "word_bits": lv.word_bits,
        "block_size": lv.block_size, "read_bandwidth": lv.read_bandwidth, "write_bandwidth": lv.write_bandwidth,
        "shared_bandwidth": lv.shared_bandwidth, "read_pj": read, "fill_pj": fill, "update_pj": update,
        "leak_pj_per_cycle": lv.leak_pj_per_cycle, "keeps": ", ".join(lv.keeps) or "nothing",
        "area_um2": arch.area_um2[lv.name],
    }


SHOW_COLUMNS = [
    Column("name", "level"), Column("kind", "kind"), Column("instances", "instances", True),
    Column("mesh", "mesh X×Y"), Column("size_words", "words", True), Column("size_bytes", "bytes", True),
    Column("word_bits", "bits", True), Column("block_size", "block", True),
    Column("read_bandwidth", "read BW", True), Column("write_bandwidth", "write BW", True),
    Column("shared_bandwidth", "shared BW", True), Column("read_pj", "read pJ", True),
    Column("fill_pj", "fill pJ", True), Column("update_pj", "update pJ", True),
    Column("leak_pj_per_cycle", "leak pJ/cycle", True), Column("keeps", "keeps"),
    Column("area_um2", "area µm²", True),
]
OPTIONAL = ("shared_bandwidth", "leak_pj_per_cycle")  # columns shown only when some level uses them


def compute_row(arch: Architecture) -> dict[str, Any]:
    c = arch.compute
    return {"name": c.name, "kind": "MAC", "instances": c.instances, "mesh": f"{c.mesh_x}×{c.mesh_y}",
            "word_bits": c.word_bits, "read_pj": arch.mac_pj, "area_um2": arch.area_um2[c.name]}


def number(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:.3g}"


def arch_table(arch: Architecture, source: str = "") -> Table:
    """Levels from the outermost inward, then the MAC array and the total area."""
    rows = [level_row(arch, i) for i in range(len(arch.levels))]
    columns = [c for c in SHOW_COLUMNS if c.key not in OPTIONAL or any(r[c.key] for r in rows)]
    c = arch.compute
    total_mm2 = sum(arch.area_um2.values()) / 1e6
    footer = [compute_row(arch), {"name": "total", "area_um2": sum(arch.area_um2.values())}]
    notes = [
        f"MAC array: {c.mesh_x}×{c.mesh_y} = {c.instances:,} {c.word_bits}-bit MACs, {arch.mac_pj:.4g} pJ per MAC "
        f"(in the read pJ column); peak {number(c.instances * arch.clock_hz / 1e9)} GMAC/s at "
        f"{arch.clock_hz / 1e6:g} MHz" + (f"; every MAC reads its weight and input from {arch.names[-1]}, kept "
                                          "there or not (operands_through_rf)." if c.operands_through_rf else "."),
        f"Total area {total_mm2:.4g} mm² ({arch.storage_bytes():,} bytes on chip). Area: all instances of a "
        "level; DRAM is off chip.",
        f"Sizes are per instance; bandwidths in words per cycle per instance (— = unlimited); energies per "
        f"block access, from the spec or the {arch.energy_table} table.",
    ]
    if arch.description:
        notes.insert(0, arch.description)
    title = f"{arch.name}" + (f" ({source})" if source and source != arch.name else "")
    return Table(title, columns, rows, footer, notes)


def arch_data(arch: Architecture) -> dict[str, Any]:
    """The spec as data, every energy and area resolved (from the spec or the tables), plus what
    npukit derives: instances, bytes per instance, total area per level (`area_um2` is per instance)."""
    data = arch.model_dump(mode="json")
    for i, (entry, lv) in enumerate(zip(data["levels"], arch.levels, strict=True)):
        read, fill, update = arch.energies_pj[i]
        total = arch.area_um2[lv.name]
        entry.update(read_pj=read, write_pj=fill, update_pj=update, area_um2=total / lv.instances,
                     instances=lv.instances, size_bytes=level_bytes(lv), area_um2_total=total)
    c = arch.compute
    data["compute"].update(energy_pj=arch.mac_pj, area_um2=arch.area_um2[c.name] / c.instances,
                           instances=c.instances, area_um2_total=arch.area_um2[c.name])
    data["storage_bytes"] = arch.storage_bytes()
    data["area_mm2"] = sum(arch.area_um2.values()) / 1e6
    return data
