"""npukit's exact counts against derivations written out in tests/formulas.py and against
exact figures published independently (the survey's table and torchvision's model cards)."""

from __future__ import annotations

import pytest

import formulas as f
import npukit
from npukit.analysis import analyze
from npukit.zoo import get

DERIVED = {
    "lenet5": f.lenet5(),
    "alexnet": f.alexnet(),
    "alexnet-torchvision": f.alexnet_torchvision(),
    "overfeat-fast": f.overfeat_fast(),
    "vgg16": f.vgg16(),
    "googlenet": f.googlenet(),
    "resnet18": f.resnet([2, 2, 2, 2], bottleneck=False),
    "resnet34": f.resnet([3, 4, 6, 3], bottleneck=False),
    "resnet50": f.resnet([3, 4, 6, 3], bottleneck=True),
    "resnet152": f.resnet([3, 8, 36, 3], bottleneck=True),
    "resnet50-v1.5": f.resnet([3, 4, 6, 3], bottleneck=True, stride_on_3x3=True),
    "resnet101-v1.5": f.resnet([3, 4, 23, 3], bottleneck=True, stride_on_3x3=True),
    "mobilenet-v1": f.mobilenet_v1(),
}


@pytest.mark.parametrize("model", sorted(DERIVED))
def test_conv_and_fc_split_matches_the_derivation(model: str) -> None:
    report = analyze(get(model))
    derived = DERIVED[model]
    conv, fc = report.split("CONV", survey_only=True), report.split("FC", survey_only=True)
    assert (conv.layers, conv.weights, conv.macs) == (len(derived["conv"]), *f.totals(derived["conv"]))
    assert (fc.layers, fc.weights, fc.macs) == (len(derived["fc"]), *f.totals(derived["fc"]))


# The survey's table: (model, CONV weights, CONV MACs, FC weights, FC MACs, total weights, total MACs)
# as exact integers from the derivation, each checked against the published rounded figure.
SURVEY = {
    "alexnet": ("2.3M", "666M", "58.6M", "58.6M", "61M", "724M"),
    "vgg16": ("14.7M", "15.3G", "124M", "124M", "138M", "15.5G"),
    "resnet50": ("23.5M", "3.86G", "2M", "2M", "25.5M", "3.9G"),
    "overfeat-fast": ("16M", "2.67G", "130M", "130M", "146M", "2.8G"),
}
SCALE = {"k": 1e3, "M": 1e6, "G": 1e9}


def within_published_precision(exact: int, text: str) -> bool:
    """True when `exact`, shown with the published figure's digits, rounds or truncates to it."""
    digits = text[:-1]
    unit = SCALE[text[-1]] / 10 ** (len(digits.split(".")[1]) if "." in digits else 0)
    return abs(exact - float(digits) * SCALE[text[-1]]) < unit


@pytest.mark.parametrize("model", sorted(SURVEY))
def test_survey_table_figures(model: str) -> None:
    derived = DERIVED[model]
    cw, cm = f.totals(derived["conv"])
    fw, fm = f.totals(derived["fc"])
    for exact, text in zip((cw, cm, fw, fm, cw + fw, cm + fm), SURVEY[model], strict=True):
        assert within_published_precision(exact, text), (model, exact, text)


def test_lenet5_weights_and_the_output_layer_outside_the_survey() -> None:
    report = analyze(get("lenet5"))
    assert report.split("CONV").weights == 6 * 1 * 25 + 16 * 6 * 25 == 2550  # 2.6k
    assert report.split("FC", survey_only=True).weights == 400 * 120 + 120 * 84 == 58080  # 58k
    assert report.split("FC").weights == 58080 + 84 * 10  # the 10-way output layer is listed
    assert [x.name for x in report.layers if not x.in_survey] == ["output"]


def test_googlenet_weights_and_resnet152() -> None:
    g = analyze(get("googlenet"))
    assert within_published_precision(g.split("CONV").weights, "6.0M")
    assert within_published_precision(g.split("FC").weights, "1M")
    assert within_published_precision(g.total("weights"), "7M")
    r = analyze(get("resnet152"))
    assert within_published_precision(r.total("weights"), "60M")
    assert within_published_precision(r.total("macs"), "11.3G")


# Exact figures published for torchvision's models (params as PyTorch counts them, MACs of
# CONV and FC layers): AlexNet and ResNet-50 from torchvision's documentation and the notes
# in shared/reference/published.md.
@pytest.mark.parametrize(
    ("model", "params", "macs"),
    [
        ("alexnet-torchvision", 61_100_840, 714_188_480),
        ("resnet50-v1.5", 25_557_032, 4_089_184_256),
        ("resnet18", 11_689_512, None),
        ("mobilenet-v2", 3_504_872, None),
    ],
)
def test_torchvision_figures(model: str, params: int, macs: int | None) -> None:
    report = npukit.analyze(model)
    assert report.total("params") == params
    if macs is not None:
        assert report.total("macs") == macs


def test_mobilenet_v2_macs_about_300m() -> None:
    assert abs(npukit.analyze("mobilenet-v2").total("macs") - 300e6) / 300e6 < 0.01


def test_params_add_biases_and_batch_norm() -> None:
    """ResNet-50: params = weights + FC bias + BN scale and shift (2 per channel of every BN)."""
    report = analyze(get("resnet50"))
    bn_channels = sum(m for m in (x.loopnest.M for x in report.layers if x.kind == "CONV"))  # one BN per CONV
    assert report.total("params") == report.total("weights") + 1000 + 2 * bn_channels


def test_batch_scales_macs_not_weights() -> None:
    one, eight = analyze(get("resnet18")), analyze(get("resnet18", batch=8))
    assert eight.total("macs") == 8 * one.total("macs")
    assert eight.total("weights") == one.total("weights")


def test_counting_never_materializes_weights() -> None:
    """Building and counting VGG-16 must not create its 138M weights."""
    import tracemalloc

    tracemalloc.start()
    analyze(get("vgg16"))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 20e6  # bytes; the weights alone would be 553 MB in float32
