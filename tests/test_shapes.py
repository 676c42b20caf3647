"""Shape inference on every zoo model, against the shapes the papers give."""

from __future__ import annotations

import pytest

from npukit import zoo


@pytest.mark.parametrize("name", zoo.names())
def test_every_model_ends_in_its_classifier(name: str) -> None:
    g = zoo.get(name, batch=2)
    classes = 10 if name.startswith("lenet5") or name == "digits-cnn" else 1000
    assert g.tensors[g.outputs[0]].shape == (2, classes)
    assert all(g.tensors[o].shape for node in g.nodes for o in node.outputs)


@pytest.mark.parametrize("name", ["resnet18", "resnet50", "resnet50-v1.5", "resnet152"])
def test_resnet_stage_shapes(name: str) -> None:
    """Table 1 of the ResNet paper: conv1 112², conv2_x 56², conv3_x 28², conv4_x 14², conv5_x 7²."""
    g = zoo.get(name)
    expansion = 1 if name == "resnet18" else 4
    assert g.tensors["conv1"].shape == (1, 64, 112, 112)
    assert g.tensors["maxpool"].shape == (1, 64, 56, 56)
    last_block = {}
    for node in g.nodes:
        if node.name.startswith("layer") and node.name.endswith(".relu") and node.name.count(".") == 2:
            last_block[int(node.name[5])] = g.tensors[node.outputs[0]].shape
    assert last_block == {
        1: (1, 64 * expansion, 56, 56),
        2: (1, 128 * expansion, 28, 28),
        3: (1, 256 * expansion, 14, 14),
        4: (1, 512 * expansion, 7, 7),
    }


def test_googlenet_inception_outputs() -> None:
    """Table 1 of the GoogLeNet paper: output sizes of the inception modules."""
    g = zoo.get("googlenet")
    expected = {
        "3a": (256, 28),
        "3b": (480, 28),
        "4a": (512, 14),
        "4b": (512, 14),
        "4c": (512, 14),
        "4d": (528, 14),
        "4e": (832, 14),
        "5a": (832, 7),
        "5b": (1024, 7),
    }
    for name, (channels, size) in expected.items():
        assert g.tensors[f"inception_{name}/output"].shape == (1, channels, size, size)


@pytest.mark.parametrize(
    ("name", "tensor", "shape"),
    [
        ("alexnet", "conv1", (1, 96, 55, 55)),
        ("alexnet", "conv5", (1, 256, 13, 13)),
        ("alexnet-torchvision", "pool3", (1, 256, 6, 6)),
        ("overfeat-fast", "pool3", (1, 1024, 6, 6)),
        ("vgg16", "pool5", (1, 512, 7, 7)),
        ("lenet5", "pool2", (1, 16, 5, 5)),
        ("mobilenet-v1", "conv13.pw", (1, 1024, 7, 7)),
        ("mobilenet-v2", "features.18", (1, 1280, 7, 7)),
    ],
)
def test_paper_shapes(name: str, tensor: str, shape: tuple[int, ...]) -> None:
    assert zoo.get(name).tensors[tensor].shape == shape
