"""npukit's counts against PyTorch's own: parameter count and FlopCounterMode on the same
networks written independently in plain PyTorch (tests/torch_models.py)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import npukit  # noqa: E402
import torch_models  # noqa: E402

CASES = [
    ("resnet18", lambda: torch_models.resnet(18)),
    ("resnet50-v1.5", lambda: torch_models.resnet(50)),
    ("resnet101-v1.5", lambda: torch_models.resnet(101)),
    ("mobilenet-v2", torch_models.mobilenet_v2),
    ("vgg16", torch_models.vgg16),
]


@pytest.mark.parametrize(("name", "build"), CASES, ids=[c[0] for c in CASES])
def test_params_and_macs_equal_pytorch(name: str, build) -> None:  # type: ignore[no-untyped-def]
    model = build()
    report = npukit.analyze(name)
    assert report.total("params") == torch_models.params(model)
    assert report.total("macs") == torch_models.macs(model)
