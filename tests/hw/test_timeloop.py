"""The analytical model against Timeloop's own outputs (stats.txt), design by design.

The oracle is Timeloop: tests/data/timeloop holds three example designs from
timeloop-accelergy-exercises (MIT), the same files as ../shared/reference/timeloop.
"""

from __future__ import annotations

import filecmp
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from npukit.cli.main import cli
from npukit.errors import NpukitError
from npukit.hw.model import evaluate
from npukit.hw.timeloop import load_design
from npukit.hw.timeloop_stats import read_stats

DATA = Path(__file__).resolve().parents[1] / "data" / "timeloop"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "reference" / "timeloop"
DESIGNS = ["eyeriss_like", "simple_weight_stationary", "simple_output_stationary"]
COUNTS = ("reads", "fills", "updates", "instances", "capacity", "partition")


@pytest.fixture(scope="module", params=DESIGNS)
def design(request: pytest.FixtureRequest) -> tuple:
    d = DATA / request.param
    workload, arch, mapping = load_design(d)
    return evaluate(workload, arch, mapping), read_stats(d / "timeloop-mapper.stats.txt")


def test_computes_cycles_utilization_equal(design: tuple) -> None:
    ev, ref = design
    assert ev.computes == ref["computes"] == ev.workload.macs
    assert ev.cycles == ref["cycles"]
    assert ev.utilized_macs == int(ref["mac"]["instances"])
    assert ev.utilization == pytest.approx(ref["utilization"], abs=5e-5)  # stats.txt prints 2 decimals of %


def test_every_level_and_tensor_count_equal(design: tuple) -> None:
    ev, ref = design
    checked = 0
    for level, tensors in ref["levels"].items():
        for tensor, want in tensors.items():
            if not isinstance(want, dict):
                continue
            got = ev.levels[level][tensor]
            assert {k: getattr(got, k) for k in COUNTS} == {k: want[k] for k in COUNTS}, (level, tensor)
            checked += 1
        assert set(ev.levels[level]) == {t for t, v in tensors.items() if isinstance(v, dict)}, level
    assert checked >= 6


def test_energy_per_level_within_one_percent(design: tuple) -> None:
    ev, ref = design
    for level, want in ref["levels"].items():
        assert ev.summaries[level].energy_pj == pytest.approx(want["energy_pj"], rel=0.01), level
    assert ev.mac_energy_pj == pytest.approx(ref["mac"]["energy_pj"], rel=0.01)
    assert ev.energy_pj == pytest.approx(ref["energy_pj"], rel=0.01)


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared/reference/timeloop is not beside the repo")
@pytest.mark.parametrize("name", DESIGNS)
def test_test_data_is_the_shared_reference(name: str) -> None:
    for f in (DATA / name).iterdir():
        assert filecmp.cmp(f, SHARED / name / f.name, shallow=False), f


def test_cli_json_has_the_documented_shape() -> None:
    result = CliRunner().invoke(cli, ["timeloop", str(DATA / "simple_weight_stationary"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    ref = read_stats(DATA / "simple_weight_stationary" / "timeloop-mapper.stats.txt")
    assert data["computes"] == ref["computes"] and data["cycles"] == ref["cycles"]
    assert data["levels"]["pe_spad"]["instances"] == 12
    assert data["levels"]["shared_glb"]["Inputs"] == {
        k: ref["levels"]["shared_glb"]["Inputs"][k] for k in ("reads", "fills", "updates")}


def test_cli_table_shows_timeloop_beside_npukit() -> None:
    result = CliRunner().invoke(cli, ["timeloop", str(DATA / "eyeriss_like")])
    assert result.exit_code == 0, result.output
    assert "Timeloop" in result.output and "157,296" in result.output


def test_bad_directory_and_file_errors(tmp_path: Path) -> None:
    with pytest.raises(NpukitError, match="not a directory"):
        load_design(tmp_path / "missing")
    (tmp_path / "parsed-processed-input.yaml").write_text("problem: {}\n")
    with pytest.raises(NpukitError, match=r"parsed-processed-input\.yaml"):
        load_design(tmp_path)
    result = CliRunner().invoke(cli, ["timeloop", str(tmp_path)])
    assert result.exit_code != 0
