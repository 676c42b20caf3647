"""`npukit eval`: held-out accuracy per precision and sparsity.

Oracles: ONNX Runtime running the exported float model on the same held-out images; the issue's
accuracy bounds for LeNet-5 on MNIST (fp32 ≥ 97.5%, int8 within 0.3 points, int4 weights within 1.5).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

import npukit
from npukit.cli.main import main
from npukit.compress.accuracy import dataset_split
from shared_data import MNIST_DIR, needs_mnist


def test_digits_json_and_the_float_accuracy_onnxruntime_gets(capsys: pytest.CaptureFixture[str],
                                                            tmp_path: Path) -> None:
    assert main(["eval", "digits-cnn", "--dataset", "digits", "--precision", "fp32,int8", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [(r["precision"], r["sparsity"], r["images"]) for r in data["results"]] == [("fp32", 0.0, 360),
                                                                                       ("int8", 0.0, 360)]
    assert "360 (held out)" in data["split"]
    path = tmp_path / "digits.onnx"
    npukit.export("digits-cnn", path, batch=360)
    _, held_out, _ = dataset_split("digits")
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    logits = sess.run(None, {sess.get_inputs()[0].name: held_out.images})[0]
    assert data["results"][0]["accuracy"] == pytest.approx(float(np.mean(logits.argmax(1) == held_out.labels)))
    assert data["results"][1]["accuracy"] >= data["results"][0]["accuracy"] - 0.01


@needs_mnist
def test_lenet5_mnist_bounds() -> None:
    results, note = npukit.evaluate_accuracy("lenet5-mnist", "mnist", ("fp32", "int8", "int4"), (0.0,),
                                             str(MNIST_DIR))
    fp32, int8, int4 = (r.accuracy for r in results)
    assert "last 2,000" in note and all(r.images == 2000 for r in results)
    assert fp32 >= 0.975 and int8 >= fp32 - 0.003 and int4 >= fp32 - 0.015  # measured 97.85 / 97.90 / 97.80%


def test_bad_lists_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "digits-cnn", "--dataset", "digits", "--prune", "half"]) == 2
    assert main(["eval", "digits-cnn", "--dataset", "digits", "--precision", "int3"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 2 and "--prune" in err and "unknown precision 'int3'" in err
