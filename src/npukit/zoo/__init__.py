"""The model zoo: the survey's networks and their successors, built in code (no weight files)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from npukit.errors import NpukitError
from npukit.ir import Graph
from npukit.zoo import classic, digits, googlenet, mobilenet, resnet


@dataclass(frozen=True)
class ZooModel:
    name: str
    build: Callable[..., Graph]
    description: str


_MODELS = [
    ZooModel("lenet5", classic.lenet5, "LeNet-5 as in the survey (6 and 16 5×5 filters, sigmoid)"),
    ZooModel("lenet5-mnist", partial(classic.lenet5, trained=True),
             "LeNet-5 trained on MNIST (first 8,000 test images; 97.85% on the last 2,000)"),
    ZooModel("digits-cnn", digits.digits_cnn,
             "small CNN trained on scikit-learn's digits (seeded 80/20 split; 97.78% on the 360 held out)"),
    ZooModel("alexnet", classic.alexnet, "AlexNet, original two-group version with LRN"),
    ZooModel("alexnet-torchvision", classic.alexnet_torchvision, "AlexNet, torchvision's single-group variant"),
    ZooModel("overfeat-fast", classic.overfeat_fast, "Overfeat, fast model"),
    ZooModel("vgg16", classic.vgg16, "VGG-16 (configuration D)"),
    ZooModel("googlenet", googlenet.googlenet, "GoogLeNet v1 (Caffe), no auxiliary classifiers"),
    *[
        ZooModel(f"resnet{d}", partial(resnet.resnet, d), f"ResNet-{d} as in the ResNet paper")
        for d in (18, 34, 50, 101, 152)
    ],
    *[
        ZooModel(
            f"resnet{d}-v1.5",
            partial(resnet.resnet, d, stride_on_3x3=True),
            f"ResNet-{d} v1.5 (torchvision: stride on the 3×3)",
        )
        for d in (50, 101, 152)
    ],
    ZooModel("mobilenet-v1", mobilenet.mobilenet_v1, "MobileNet v1 1.0-224"),
    ZooModel("mobilenet-v2", mobilenet.mobilenet_v2, "MobileNet v2 1.0-224 (torchvision)"),
]
MODELS: dict[str, ZooModel] = {m.name: m for m in _MODELS}


def normalize(name: str) -> str:
    return name.strip().lower().replace("_", "-")


def get(name: str, batch: int = 1) -> Graph:
    """Build zoo model `name` (case and `_`/`-` do not matter) at batch size `batch`."""
    key = normalize(name)
    aliases = {k.replace("-", ""): k for k in MODELS}
    entry = MODELS.get(key) or MODELS.get(aliases.get(key.replace("-", ""), ""))
    if entry is None:
        raise NpukitError(f"unknown model '{name}'; valid: {', '.join(MODELS)}")
    if batch < 1:
        raise NpukitError(f"batch size must be at least 1, not {batch}")
    return entry.build(batch=batch)


def names() -> list[str]:
    return list(MODELS)


__all__ = ["MODELS", "ZooModel", "get", "names"]
