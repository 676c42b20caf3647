"""GoogLeNet v1 (Szegedy et al. 2015, the Caffe model) without the auxiliary classifiers."""

from __future__ import annotations

from npukit.ir import Graph
from npukit.zoo.builder import GraphBuilder

# name: (1×1, 3×3 reduce, 3×3, 5×5 reduce, 5×5, pool projection), Table 1 of the paper
INCEPTION = {
    "3a": (64, 96, 128, 16, 32, 32),
    "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64),
    "4b": (160, 112, 224, 24, 64, 64),
    "4c": (128, 128, 256, 24, 64, 64),
    "4d": (112, 144, 288, 32, 64, 64),
    "4e": (256, 160, 320, 32, 128, 128),
    "5a": (256, 160, 320, 32, 128, 128),
    "5b": (384, 192, 384, 48, 128, 128),
}


def inception(b: GraphBuilder, x: str, name: str) -> str:
    c1, r3, c3, r5, c5, proj = INCEPTION[name]
    p = f"inception_{name}"

    def conv(inp: str, filters: int, k: int, branch: str) -> str:
        return b.relu(b.conv(inp, filters, k, pad=k // 2, name=f"{p}/{branch}"), name=f"{p}/relu_{branch}")

    branches = [
        conv(x, c1, 1, "1x1"),
        conv(conv(x, r3, 1, "3x3_reduce"), c3, 3, "3x3"),
        conv(conv(x, r5, 1, "5x5_reduce"), c5, 5, "5x5"),
        conv(b.maxpool(x, 3, 1, pad=1, name=f"{p}/pool"), proj, 1, "pool_proj"),
    ]
    return b.concat(branches, name=f"{p}/output")


def googlenet(batch: int = 1) -> Graph:
    b = GraphBuilder("googlenet", (batch, 3, 224, 224))
    x = b.relu(b.conv(b.input, 64, 7, stride=2, pad=3, name="conv1/7x7_s2"))
    x = b.lrn(b.maxpool(x, 3, 2, ceil=True))
    x = b.relu(b.conv(x, 64, 1, name="conv2/3x3_reduce"))
    x = b.relu(b.conv(x, 192, 3, pad=1, name="conv2/3x3"))
    x = b.maxpool(b.lrn(x), 3, 2, ceil=True)
    for name in ("3a", "3b"):
        x = inception(b, x, name)
    x = b.maxpool(x, 3, 2, ceil=True)
    for name in ("4a", "4b", "4c", "4d", "4e"):
        x = inception(b, x, name)
    x = b.maxpool(x, 3, 2, ceil=True)
    for name in ("5a", "5b"):
        x = inception(b, x, name)
    x = b.dropout(b.avgpool(x, 7, 1), ratio=0.4)
    return b.build(b.fc(b.flatten(x), 1000, name="loss3/classifier"))
