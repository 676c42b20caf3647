"""The command line: outputs in every format, and one-line errors with exit code 2."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

from npukit.cli.main import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_analyze_json_has_exact_integers(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "analyze", "resnet50-v1.5", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["model"] == "resnet50-v1.5"
    totals = data["totals"]
    assert (totals["params"], totals["macs"]) == (25_557_032, 4_089_184_256)  # torchvision's published figures
    assert totals["conv"]["layers"] == 53 and totals["fc"] == {"layers": 1, "weights": 2_048_000, "macs": 2_048_000}
    assert totals["weights"] == totals["conv"]["weights"] + totals["fc"]["weights"]
    layer = data["layers"][0]
    assert {"name", "op", "weights", "params", "macs", "loopnest", "bytes"} <= set(layer)
    assert layer["loopnest"] == {
        "N": 1,
        "M": 64,
        "C": 3,
        "H": 224,
        "W": 224,
        "R": 7,
        "S": 7,
        "E": 112,
        "F": 112,
        "U": 2,
        "G": 1,
    }
    assert sum(x["macs"] for x in data["layers"]) == totals["macs"]


def test_analyze_csv_and_bits(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "analyze", "alexnet", "--csv", "--bits", "16")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    conv1 = rows[0]
    assert conv1["name"] == "conv1" and conv1["M"] == "96" and conv1["U"] == "4"
    weights, act_in, act_out = 96 * 3 * 11 * 11, 3 * 227 * 227, 96 * 55 * 55
    assert int(conv1["bytes"]) == (weights + act_in + act_out) * 2  # 16-bit words
    assert int(conv1["macs"]) == weights * 55 * 55


def test_analyze_markdown_and_text(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "analyze", "lenet5", "--markdown")
    assert code == 0 and out.count("\n|") >= 14 and "| conv1 | Conv |" in out
    code, out, _ = run(capsys, "analyze", "lenet5")
    assert code == 0 and "357,600" in out and "outside the survey's count" in out


def test_survey_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "survey", "--json")
    rows = json.loads(out)
    assert code == 0
    row = next(r for r in rows if r["model"] == "AlexNet" and r["quantity"] == "CONV MACs")
    assert (row["published"], row["computed"], row["agrees"]) == (666_000_000, 665_784_864, True)
    assert {"model", "quantity", "published", "computed"} <= set(row)


def test_survey_text_has_footnotes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "survey")
    assert code == 0 and "[1]" in out and "283k" in out and "LeNet-5" in out


def test_models_lists_the_zoo(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "models", "--json")
    names = [m["name"] for m in json.loads(out)]
    assert code == 0 and {"lenet5", "vgg16", "googlenet", "resnet152", "mobilenet-v2"} <= set(names)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["analyze", "resnet51"], "unknown model 'resnet51'; valid: lenet5"),
        (["analyze", "resnet50", "--bits", "0"], "'--bits': 0 is not in the range 1<=x<=32"),
        (["analyze", "resnet50", "--bits", "eight"], "'eight' is not a valid integer"),
        (["analyze", "resnet50", "--frobnicate"], "No such option '--frobnicate'"),
        (["analyse", "resnet50"], "No such command 'analyse'"),
        (["analyze"], "Missing argument 'MODEL'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    code, out, err = run(capsys, *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("npukit: error: ") and message in err


def test_installed_command_prints_no_traceback() -> None:
    proc = subprocess.run([sys.executable, "-m", "npukit", "analyze", "nosuchnet"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1


def test_help_teaches() -> None:
    proc = subprocess.run([sys.executable, "-m", "npukit", "analyze", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "Examples:" in proc.stdout and "--bits" in proc.stdout
