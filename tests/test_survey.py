"""The survey table command: npukit's copy of the published table, agreement and footnotes."""

from __future__ import annotations

from pathlib import Path

import pytest

from npukit.analysis import survey_table
from npukit.analysis.published import PUBLISHED, QUANTITIES, SURVEY_MODELS
from npukit.analysis.survey import agrees_numeric, parse_figure

PUBLISHED_MD = Path(__file__).resolve().parents[2] / "shared" / "reference" / "published.md"
EXPECTED_DISAGREEMENTS = {
    ("LeNet-5", "CONV MACs"),
    ("LeNet-5", "total MACs"),
    ("GoogLeNet (v1)", "CONV MACs"),
    ("GoogLeNet (v1)", "total MACs"),
    ("Overfeat (fast)", "filter sizes"),
}


def published_markdown_table() -> dict[str, dict[str, str]]:
    lines = [ln for ln in PUBLISHED_MD.read_text().splitlines() if ln.startswith("|")]
    header = [c.strip() for c in lines[0].strip("|").split("|")][1:]
    table: dict[str, dict[str, str]] = {m: {} for m in header}
    for line in lines[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        for model, value in zip(header, cells[1:], strict=True):
            table[model][cells[0]] = value
    return table


@pytest.mark.skipif(not PUBLISHED_MD.exists(), reason="shared/reference/published.md is not beside the repo")
def test_package_copy_equals_shared_reference() -> None:
    assert published_markdown_table() == PUBLISHED


def test_every_quantity_of_every_survey_network_is_compared() -> None:
    rows = survey_table()
    pairs = {(r.model, r.quantity) for r in rows}
    assert pairs >= {(m, q) for m in SURVEY_MODELS for q in QUANTITIES}
    assert ("ResNet-152", "total MACs") in pairs


def test_agreement_except_the_footnoted_counting_differences() -> None:
    rows = survey_table()
    disagreements = {(r.model, r.quantity) for r in rows if r.agrees is False}
    assert disagreements == EXPECTED_DISAGREEMENTS
    for r in rows:
        if r.agrees is False:
            assert len(r.note) > 40, f"{r.model} {r.quantity} needs a footnote"
    not_computed = {r.quantity for r in rows if r.agrees is None}
    assert not_computed == {"top-5 error (ImageNet)"}


def test_lenet5_and_googlenet_counting_differences_are_the_documented_ones() -> None:
    rows = {(r.model, r.quantity): r for r in survey_table()}
    assert rows["LeNet-5", "CONV MACs"].computed == 28 * 28 * 6 * 25 + 10 * 10 * 16 * 6 * 25 == 357_600
    assert 1.57e9 < rows["GoogLeNet (v1)", "CONV MACs"].computed < 1.59e9  # "about 1.58G" in published.md


@pytest.mark.parametrize(
    ("text", "value"), [("2.6k", 2600.0), ("23.5M", 23.5e6), ("1.43G", 1.43e9), ("57", 57.0), ("3–256", None)]
)
def test_parse_figure(text: str, value: float | None) -> None:
    assert parse_figure(text) == value


@pytest.mark.parametrize(
    ("published", "computed", "agrees"),
    [
        ("61M", 60_954_656, True),
        ("60k", 60_630, True),
        ("2.3M", 2_332_704, True),
        ("283k", 357_600, False),
        ("1.43G", 1_440_000_001, False),
        ("2M", 2_048_000, True),
    ],
)
def test_agreement_rule_is_one_unit_of_the_last_published_digit(published: str, computed: int, agrees: bool) -> None:
    assert agrees_numeric(published, computed) is agrees
