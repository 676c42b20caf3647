"""Architecture specs: the presets against their published figures, one-line errors, `npukit arch`.

Oracles: the papers' and manuals' numbers (written out here), Timeloop's own files for the
simple-ws/simple-os presets (parsed here, independently of npukit's Timeloop reader), the
published energy and area figures quoted in `npukit.hw.tables`, and the YAML in docs/hardware.md.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import npukit
from npukit.cli.main import main
from npukit.errors import NpukitError
from npukit.hw import tables
from npukit.hw.arch import Architecture, load_arch, preset_names

ROOT = Path(__file__).resolve().parents[2]
TIMELOOP = ROOT / "tests" / "data" / "timeloop"
SIMPLE = {"simple-ws": "simple_weight_stationary", "simple-os": "simple_output_stationary"}
KIB, MIB = 1024, 1024 * 1024


def level_bytes(arch: Architecture, name: str) -> int:
    lv = arch.level(name)
    assert lv.size_words is not None
    return lv.size_words * lv.word_bits // 8


def test_presets_are_all_there_and_load() -> None:
    expected = {"eyeriss", "eyeriss-256", "simple-ws", "simple-os", "tpu-v1", "nvdla-small", "nvdla-large"}
    assert set(preset_names()) == expected
    for name in expected:
        arch = load_arch(name)
        assert arch.name == name and arch.description, name
        assert set(arch.levels[0].keeps) == {"Weights", "Inputs", "Outputs"}, name


def test_eyeriss_jssc_2017() -> None:
    a = load_arch("eyeriss")
    assert (a.compute.instances, a.compute.mesh_x, a.compute.mesh_y) == (168, 14, 12)
    assert a.clock_hz == 200e6 and a.energy_table == "survey"
    assert level_bytes(a, "GlobalBuffer") == 108 * KIB and set(a.level("GlobalBuffer").keeps) == {"Inputs", "Outputs"}
    spads = {lv.name: (lv.size_words, lv.word_bits, lv.keeps, lv.instances) for lv in a.levels[2:]}
    assert spads == {"FilterSpad": (224, 16, ("Weights",), 168), "IfmapSpad": (12, 16, ("Inputs",), 168),
                     "PsumSpad": (24, 16, ("Outputs",), 168)}
    assert a.names[0] == "DRAM"
    # the survey's normalized energies per 16-bit word: RF 1, buffer 6, DRAM 200, MAC 1
    assert [e[0] for e in a.energies_pj] == [200, 6, 1, 1, 1] and a.mac_pj == 1


def test_eyeriss_256_isca_2016() -> None:
    a = load_arch("eyeriss-256")
    assert (a.compute.instances, a.compute.mesh_x, a.compute.mesh_y) == (256, 16, 16)
    assert level_bytes(a, "RF") == 512 and a.level("RF").instances == 256
    assert level_bytes(a, "GlobalBuffer") == 128 * KIB


def test_tpu_v1_isca_2017() -> None:
    a = load_arch("tpu-v1")
    assert (a.compute.instances, a.compute.word_bits, a.clock_hz) == (65_536, 8, 700e6)
    assert level_bytes(a, "UnifiedBuffer") == 24 * MIB
    acc = a.level("Accumulators")
    assert acc.word_bits == 32 and acc.keeps == ("Outputs",)
    assert level_bytes(a, "Accumulators") * acc.instances == 4 * MIB  # 4096 × 256 × 32 bits
    assert a.level("WeightReg").instances == 65_536 and a.level("WeightReg").keeps == ("Weights",)
    assert a.level("DRAM").read_bandwidth == pytest.approx(34e9 / 700e6, rel=1e-3)  # 34 GB/s at 700 MHz


@pytest.mark.parametrize(("name", "macs", "cbuf", "atomic_c", "atomic_k"),
                         [("nvdla-small", 64, 128 * KIB, 8, 8), ("nvdla-large", 2048, 512 * KIB, 64, 32)])
def test_nvdla(name: str, macs: int, cbuf: int, atomic_c: int, atomic_k: int) -> None:
    a = load_arch(name)
    assert (a.compute.instances, a.compute.mesh_x, a.compute.mesh_y, a.compute.word_bits) == (
        macs, atomic_c, atomic_k, 8)
    assert level_bytes(a, "CBUF") == cbuf and set(a.level("CBUF").keeps) == {"Weights", "Inputs"}
    assert a.level("CACC").instances == atomic_k and a.level("CACC").size_words == 2 * atomic_k


# --- simple-ws / simple-os against Timeloop's own files --------------------------------------------

def timeloop_levels(design: str) -> dict[str, dict[str, Any]]:
    """Timeloop's storage components by name (dummy levels and the MACs left out)."""
    spec = yaml.safe_load((TIMELOOP / design / "parsed-processed-input.yaml").read_text())
    local = spec["architecture"]["subtree"][0]["local"]
    return {c["name"].split("[")[0]: c for c in local if c["class"] not in ("dummy_storage", "intmac")}


def timeloop_keeps(design: str) -> dict[str, set[str]]:
    spec = yaml.safe_load((TIMELOOP / design / "parsed-processed-input.yaml").read_text())
    return {t["target"]: set(t.get("keep", [])) for t in spec["architecture_constraints"]["targets"]
            if t["type"] == "bypass" and t.get("keep")}


def ert(design: str) -> dict[str, dict[str, float]]:
    data = yaml.safe_load((TIMELOOP / design / "timeloop-mapper.ERT.yaml").read_text())
    return {t["name"].split("[")[0].split(".")[-1]: {a["name"]: float(a["energy"]) for a in t["actions"]}
            for t in data["ERT"]["tables"]}


def stats_areas(design: str) -> dict[str, float]:
    """Area per instance of each component, from the SPECS/STATS blocks of stats.txt."""
    areas: dict[str, float] = {}
    name, instances = "", 1
    for line in (TIMELOOP / design / "timeloop-mapper.stats.txt").read_text().splitlines():
        if m := re.match(r"=== (\w+) ===", line):
            name = m.group(1)
        elif m := re.match(r"\s+Instances\s+: (\d+)", line):
            instances = int(m.group(1))
        elif m := re.match(r"\s+Area( \(total\))?\s+: ([\d.]+) um\^2", line):
            areas.setdefault(name, float(m.group(2)) / (instances if m.group(1) else 1))
    return areas


@pytest.mark.parametrize("preset", sorted(SIMPLE))
def test_simple_sizes_and_keeps_equal_timeloop(preset: str) -> None:
    a, design = load_arch(preset), SIMPLE[preset]
    levels = timeloop_levels(design)
    assert list(a.names) == ["DRAM", "shared_glb", "pe_spad", "weight_reg", "input_activation_reg",
                             "output_activation_reg"]
    for name, comp in levels.items():
        attrs, lv = comp["attributes"], a.level(name)
        per_access = attrs["width"] // attrs["datawidth"]
        assert (lv.mesh_x, lv.mesh_y, lv.word_bits, lv.block_size) == (
            attrs["meshX"], attrs["meshY"], attrs["datawidth"], per_access), name
        if comp["class"] != "DRAM":
            assert lv.size_words == attrs["depth"] * per_access, name
        for key in ("read_bandwidth", "write_bandwidth"):
            assert getattr(lv, key) == attrs.get(key), (name, key)
    for name, kept in timeloop_keeps(design).items():
        assert set(a.level(name).keeps) == kept, name
    assert (a.compute.instances, a.clock_hz) == (256, 1e9)
    assert a.fanout(a.names.index("shared_glb")) == (16, 16)  # no dummy level in between


@pytest.mark.parametrize("preset", sorted(SIMPLE))
def test_simple_energies_equal_the_ert(preset: str) -> None:
    a, table = load_arch(preset), ert(SIMPLE[preset])
    for i, lv in enumerate(a.levels):
        actions = table[lv.name]
        assert a.energies_pj[i] == (actions["read"], actions["write"], actions["update"]), lv.name
        assert lv.leak_pj_per_cycle == actions["leak"], lv.name
    assert a.mac_pj == table["mac"]["compute"]


@pytest.mark.parametrize("preset", sorted(SIMPLE))
def test_simple_areas_equal_timeloop_stats(preset: str) -> None:
    a, areas = load_arch(preset), stats_areas(SIMPLE[preset])
    for name, total in a.area_um2.items():
        instances = a.compute.instances if name == a.compute.name else a.level(name).instances
        assert total / instances == pytest.approx(areas[name], abs=0.01), name


# --- the energy and area tables against the figures they quote -------------------------------------

def test_horowitz45_figures() -> None:
    assert tables.mac_pj(8, "horowitz45") == pytest.approx(0.2 + 0.03 * 2)  # 8-bit multiply, 16-bit add
    # 32-bit: Horowitz's 3.1 pJ multiply plus a 64-bit add (2 × his 0.1 pJ 32-bit add), within 10%
    assert tables.mac_pj(32, "horowitz45") == pytest.approx(3.1 + 0.1 * 2, rel=0.1)
    for size_bytes, pj in ((8 * KIB, 10.0), (32 * KIB, 20.0), (MIB, 100.0)):
        assert tables.horowitz_sram_64b_pj(size_bytes) == pytest.approx(pj)
        assert tables.access_pj("sram", size_bytes // 8, 64, "horowitz45") == pytest.approx(pj)
    assert tables.access_pj("sram", 16 * KIB, 16, "horowitz45") == pytest.approx(20.0 / 4)  # 32 KB, 16 of 64 bits
    assert 1300 <= tables.access_pj("dram", None, 64, "horowitz45") <= 2600


def test_survey_figures() -> None:
    costs = {k: tables.access_pj(k, 1024, 16, "survey") for k in ("regfile", "network", "sram", "dram")}
    assert costs == {"regfile": 1, "network": 2, "sram": 6, "dram": 200}
    assert tables.mac_pj(16, "survey") == 1
    assert tables.access_pj("sram", 1024, 8, "survey") == 3  # memory energy is linear in the bits moved


def test_area_table_near_accelergy_figures() -> None:
    assert tables.storage_area_um2("sram", 16384 * 4, 16) == pytest.approx(429_746, rel=0.1)  # shared_glb
    assert tables.storage_area_um2("sram", 192, 16) == pytest.approx(1_420, rel=0.1)  # pe_spad
    assert tables.storage_area_um2("regfile", 1, 16) == pytest.approx(95.7, rel=0.01)
    assert tables.mac_area_um2(8) == pytest.approx(417)
    assert tables.storage_area_um2("dram", None, 16) == 0


# --- bad specs: one line, naming the file and the field --------------------------------------------

GOOD = """\
name: tiny
levels:
  - {name: DRAM, kind: dram}
  - {name: GLB, size_words: 1024}
  - {name: PE, kind: regfile, size_words: 16, mesh_x: 4, mesh_y: 2}
compute: {mesh_x: 4, mesh_y: 2}
"""
BAD = [
    ("size_words: 1024}", "sizewords: 1024}", ["levels[GLB].sizewords", "unknown field", "size_words"]),
    ("size_words: 1024}", "size_words: -5}", ["levels[GLB].size_words", "greater than 0", "-5"]),
    ("size_words: 1024}", "size_words: lots}", ["levels[GLB].size_words", "integer", "lots"]),
    ("size_words: 1024}", "size_words: 1024, keeps: [Weights, Psums]}", ["levels[GLB].keeps", "Psums"]),
    ("mesh_x: 4, mesh_y: 2}\ncompute", "mesh_x: 3, mesh_y: 2}\ncompute", ["compute.mesh_x", "levels[PE]"]),
    ("{name: DRAM, kind: dram}", "{name: DRAM, kind: dram, keeps: [Weights]}", ["levels[DRAM].keeps"]),
    ("{name: DRAM, kind: dram}", "{name: DRAM, kind: hbm}", ["levels[DRAM].kind", "hbm"]),
]


@pytest.fixture
def good_spec(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(GOOD)
    return path


def test_good_spec_loads(good_spec: Path) -> None:
    a = load_arch(good_spec)
    assert a.fanout(1) == (4, 2) and a.compute.instances == 8


@pytest.mark.parametrize(("old", "new", "expected"), BAD)
def test_bad_spec_gives_one_line_naming_file_and_field(good_spec: Path, old: str, new: str,
                                                       expected: list[str]) -> None:
    assert old in GOOD
    good_spec.write_text(GOOD.replace(old, new))
    with pytest.raises(NpukitError) as err:
        load_arch(good_spec)
    message = str(err.value)
    assert "\n" not in message and message.startswith(f"{good_spec}: ")
    for part in expected:
        assert part in message, message


def test_missing_file_and_unknown_preset(tmp_path: Path) -> None:
    with pytest.raises(NpukitError, match=r"nothere\.yaml: no such file"):
        load_arch(tmp_path / "nothere.yaml")
    with pytest.raises(NpukitError, match="unknown architecture 'nothere'; architectures: eyeriss"):
        load_arch("nothere")


def test_broken_yaml_names_the_line(good_spec: Path) -> None:
    good_spec.write_text(GOOD.replace("compute: {", "compute: {{"))
    with pytest.raises(NpukitError, match=r"tiny\.yaml: line \d+"):
        load_arch(good_spec)


# --- CLI and Python API ----------------------------------------------------------------------------

def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_bad_spec_exits_2_with_one_line(good_spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good_spec.write_text(GOOD.replace("size_words: 1024}", "size_words: -5}"))
    code, out, err = run(capsys, "arch", "show", str(good_spec))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith(f"npukit: error: {good_spec}: levels[GLB].size_words")


def test_cli_subprocess_has_no_traceback(good_spec: Path) -> None:
    good_spec.write_text(GOOD.replace("mesh_x: 4, mesh_y: 2}\ncompute", "mesh_x: 3, mesh_y: 2}\ncompute"))
    done = subprocess.run([sys.executable, "-m", "npukit", "arch", "show", str(good_spec)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().count("\n") == 0 and "compute.mesh_x" in done.stderr


def test_cli_arch_list_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "arch", "list", "--json")
    assert code == 0
    rows = {r["name"]: r for r in json.loads(out)}
    assert set(rows) == set(preset_names())
    assert rows["tpu-v1"]["macs"] == 65_536 and rows["eyeriss"]["levels"][0] == "DRAM"
    assert rows["eyeriss"]["clock_hz"] == 200e6 and "JSSC 2017" in rows["eyeriss"]["description"]


def test_cli_arch_list_text_and_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "arch", "list", "--markdown")
    assert code == 0 and all(f"| {name} |" in out for name in preset_names())
    code, out, _ = run(capsys, "arch", "list")
    assert code == 0 and "nvdla-large" in out


def test_cli_arch_show_formats(capsys: pytest.CaptureFixture[str], good_spec: Path) -> None:
    code, out, _ = run(capsys, "arch", "show", "eyeriss", "--json")
    data = json.loads(out)
    assert code == 0 and [lv["name"] for lv in data["levels"]][:2] == ["DRAM", "GlobalBuffer"]
    assert data["levels"][1]["size_bytes"] == 108 * KIB and data["compute"]["instances"] == 168
    assert data["area_mm2"] == pytest.approx(sum(load_arch("eyeriss").area_um2.values()) / 1e6)
    code, out, _ = run(capsys, "arch", "show", "simple-ws", "--csv")
    glb = next(r for r in out.splitlines() if r.startswith("shared_glb,"))
    assert code == 0 and "32.377775" in glb and ",16.0,16.0," in glb
    code, out, _ = run(capsys, "arch", "show", str(good_spec))
    assert code == 0 and "Total area" in out


def test_cli_help_teaches(capsys: pytest.CaptureFixture[str]) -> None:
    for args in (["arch", "--help"], ["arch", "show", "--help"], ["arch", "list", "--help"]):
        code, out, _ = run(capsys, *args)
        assert code == 0 and "Example" in out and "npukit arch" in out


def test_python_api_twins() -> None:
    assert npukit.archs() == preset_names()
    assert npukit.arch("tpu-v1") == load_arch("tpu-v1")


# --- the example in docs/hardware.md ---------------------------------------------------------------

def test_docs_example_loads(tmp_path: Path) -> None:
    text = (ROOT / "docs" / "hardware.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", text, flags=re.S)
    assert len(blocks) == 1
    path = tmp_path / "example.yaml"
    path.write_text(blocks[0])
    a = load_arch(path)
    assert a.name == "tiny-ws" and a.compute.instances == 16 and a.fanout(1) == (4, 4)
    for name in preset_names():  # and every preset is in the doc's table
        assert f"| `{name}` |" in text
