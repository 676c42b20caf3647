"""MobileNet v1 (Howard et al. 2017) and v2 (Sandler et al. 2018), width 1.0, 224×224."""

from __future__ import annotations

from npukit.ir import Graph
from npukit.zoo.builder import GraphBuilder


def conv_bn(
    b: GraphBuilder, x: str, filters: int, k: int, stride: int, name: str, groups: int = 1,
    act: str | None = "relu", bn_scale: float = 1.0,
) -> str:
    x = b.conv(x, filters, k, stride=stride, pad=k // 2, groups=groups, bias=False, name=name)
    x = b.bn(x, name=f"{name}.bn", scale=bn_scale)
    if act == "relu":
        return b.relu(x, name=f"{name}.relu")
    return b.relu6(x, name=f"{name}.relu6") if act == "relu6" else x


# (filters, stride) of each depthwise-separable pair in MobileNet v1, Table 1 of the paper
V1_PAIRS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]

# (expansion t, channels c, repeats n, stride s), Table 2 of the MobileNet v2 paper
V2_STAGES = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]


def mobilenet_v1(batch: int = 1) -> Graph:
    b = GraphBuilder("mobilenet-v1", (batch, 3, 224, 224))
    x = conv_bn(b, b.input, 32, 3, 2, "conv0")
    for i, (filters, stride) in enumerate(V1_PAIRS, start=1):
        channels = b.shape(x)[1]
        x = conv_bn(b, x, channels, 3, stride, f"conv{i}.dw", groups=channels)
        x = conv_bn(b, x, filters, 1, 1, f"conv{i}.pw")
    x = b.flatten(b.global_avgpool(x, name="avgpool"))
    return b.build(b.fc(x, 1000, name="fc"))


def mobilenet_v2(batch: int = 1) -> Graph:
    b = GraphBuilder("mobilenet-v2", (batch, 3, 224, 224))
    x = conv_bn(b, b.input, 32, 3, 2, "features.0", act="relu6")
    block = 1
    for t, c, n, s in V2_STAGES:
        for i in range(n):
            name, stride, channels = f"features.{block}", s if i == 0 else 1, b.shape(x)[1]
            hidden = channels * t
            y = conv_bn(b, x, hidden, 1, 1, f"{name}.expand", act="relu6") if t != 1 else x
            y = conv_bn(b, y, hidden, 3, stride, f"{name}.dw", groups=hidden, act="relu6")
            residual = stride == 1 and channels == c
            y = conv_bn(b, y, c, 1, 1, f"{name}.project", act=None, bn_scale=0.2 if residual else 1.0)
            x = b.add(x, y, name=f"{name}.add") if residual else y
            block += 1
    x = conv_bn(b, x, 1280, 1, 1, f"features.{block}", act="relu6")
    x = b.dropout(b.flatten(b.global_avgpool(x, name="avgpool")), ratio=0.2)
    return b.build(b.fc(x, 1000, name="classifier"))
