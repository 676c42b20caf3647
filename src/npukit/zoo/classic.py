"""The survey's classic networks: LeNet-5, AlexNet (two variants), Overfeat fast, VGG-16."""

from __future__ import annotations

from npukit.ir import Graph
from npukit.zoo.builder import GraphBuilder
from npukit.zoo.trained import trained_weights


def lenet5(batch: int = 1, trained: bool = False) -> Graph:
    """LeNet-5 as the survey counts it: 28×28 input (conv1 padded to keep 28×28), 6 and 16
    5×5 filters, 2×2 average pooling, sigmoid, FC 120 and 84; then the 10-way output layer,
    which the survey's table leaves out (listed here, outside the survey's FC count)."""
    b = GraphBuilder("lenet5-mnist" if trained else "lenet5", (batch, 1, 28, 28),
                     weights=trained_weights("lenet5-mnist") if trained else None)
    x = b.input
    x = b.avgpool(b.sigmoid(b.conv(x, 6, 5, pad=2)), 2, 2)
    x = b.avgpool(b.sigmoid(b.conv(x, 16, 5)), 2, 2)
    x = b.sigmoid(b.fc(b.flatten(x), 120))
    x = b.sigmoid(b.fc(x, 84))
    x = b.fc(x, 10, name="output")
    return b.build(x, survey_exclude=("output",))


def _classifier(b: GraphBuilder, x: str, hidden: int, classes: int = 1000) -> str:
    x = b.dropout(b.relu(b.fc(b.flatten(x), hidden)))
    x = b.dropout(b.relu(b.fc(x, 4096)))
    return b.fc(x, classes)


def alexnet(batch: int = 1) -> Graph:
    """The original AlexNet (Krizhevsky et al. 2012) on 227×227: CONV2, CONV4 and CONV5 split
    in two groups (the two GPUs), LRN after CONV1 and CONV2."""
    b = GraphBuilder("alexnet", (batch, 3, 227, 227))
    x = b.maxpool(b.lrn(b.relu(b.conv(b.input, 96, 11, stride=4))), 3, 2)
    x = b.maxpool(b.lrn(b.relu(b.conv(x, 256, 5, pad=2, groups=2))), 3, 2)
    x = b.relu(b.conv(x, 384, 3, pad=1))
    x = b.relu(b.conv(x, 384, 3, pad=1, groups=2))
    x = b.maxpool(b.relu(b.conv(x, 256, 3, pad=1, groups=2)), 3, 2)
    return b.build(_classifier(b, x, 4096))


def alexnet_torchvision(batch: int = 1) -> Graph:
    """torchvision's single-group AlexNet on 224×224 (64-192-384-256-256 filters, no LRN).
    Its AdaptiveAvgPool2d((6, 6)) is the identity on the 6×6 map and is left out."""
    b = GraphBuilder("alexnet-torchvision", (batch, 3, 224, 224))
    x = b.maxpool(b.relu(b.conv(b.input, 64, 11, stride=4, pad=2)), 3, 2)
    x = b.maxpool(b.relu(b.conv(x, 192, 5, pad=2)), 3, 2)
    x = b.relu(b.conv(x, 384, 3, pad=1))
    x = b.relu(b.conv(x, 256, 3, pad=1))
    x = b.maxpool(b.relu(b.conv(x, 256, 3, pad=1)), 3, 2)
    return b.build(_classifier(b, x, 4096))


def overfeat_fast(batch: int = 1) -> Graph:
    """Overfeat's fast model (Sermanet et al. 2014) on 231×231."""
    b = GraphBuilder("overfeat-fast", (batch, 3, 231, 231))
    x = b.maxpool(b.relu(b.conv(b.input, 96, 11, stride=4)), 2, 2)
    x = b.maxpool(b.relu(b.conv(x, 256, 5)), 2, 2)
    x = b.relu(b.conv(x, 512, 3, pad=1))
    x = b.relu(b.conv(x, 1024, 3, pad=1))
    x = b.maxpool(b.relu(b.conv(x, 1024, 3, pad=1)), 2, 2)
    return b.build(_classifier(b, x, 3072))


def vgg16(batch: int = 1) -> Graph:
    """VGG-16 (configuration D, Simonyan and Zisserman 2015) on 224×224."""
    b = GraphBuilder("vgg16", (batch, 3, 224, 224))
    x = b.input
    for stage, (filters, convs) in enumerate([(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)], 1):
        for i in range(1, convs + 1):
            x = b.relu(b.conv(x, filters, 3, pad=1, name=f"conv{stage}_{i}"))
        x = b.maxpool(x, 2, 2)
    return b.build(_classifier(b, x, 4096))
