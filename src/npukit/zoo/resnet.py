"""ResNets (He et al. 2016) with batch norm and projection shortcuts where shapes change.

`stride_on_3x3=False` is the paper's bottleneck (stride on the first 1×1, as the survey counts);
True is torchvision's v1.5 (stride on the 3×3), which costs more MACs for the same params.
"""

from __future__ import annotations

from npukit.ir import Graph
from npukit.zoo.builder import GraphBuilder

BLOCKS = {18: [2, 2, 2, 2], 34: [3, 4, 6, 3], 50: [3, 4, 6, 3], 101: [3, 4, 23, 3], 152: [3, 8, 36, 3]}


RESIDUAL_BN_SCALE = 0.2  # the last batch norm of a residual branch (see GraphBuilder.bn)


def conv_bn(b: GraphBuilder, x: str, filters: int, k: int, stride: int, name: str, relu: bool = True) -> str:
    """CONV, batch norm and ReLU; without ReLU it ends a residual branch (or a shortcut)."""
    scale = 1.0 if relu else RESIDUAL_BN_SCALE
    x = b.bn(b.conv(x, filters, k, stride=stride, pad=k // 2, bias=False, name=name), name=f"{name}.bn", scale=scale)
    return b.relu(x, name=f"{name}.relu") if relu else x


def basic_block(b: GraphBuilder, x: str, width: int, stride: int, name: str) -> tuple[str, int]:
    y = conv_bn(b, x, width, 3, stride, f"{name}.conv1")
    return conv_bn(b, y, width, 3, 1, f"{name}.conv2", relu=False), width


def bottleneck(b: GraphBuilder, x: str, width: int, stride: int, name: str, stride_on_3x3: bool) -> tuple[str, int]:
    s1, s3 = (1, stride) if stride_on_3x3 else (stride, 1)
    y = conv_bn(b, x, width, 1, s1, f"{name}.conv1")
    y = conv_bn(b, y, width, 3, s3, f"{name}.conv2")
    return conv_bn(b, y, 4 * width, 1, 1, f"{name}.conv3", relu=False), 4 * width


def resnet(depth: int, batch: int = 1, stride_on_3x3: bool = False) -> Graph:
    v15 = stride_on_3x3 and depth >= 50
    b = GraphBuilder(f"resnet{depth}" + ("-v1.5" if v15 else ""), (batch, 3, 224, 224))
    x = b.maxpool(conv_bn(b, b.input, 64, 7, 2, "conv1"), 3, 2, pad=1, name="maxpool")
    channels = 64
    for stage, blocks in enumerate(BLOCKS[depth], start=1):
        width = 64 * 2 ** (stage - 1)
        for i in range(blocks):
            name, stride = f"layer{stage}.{i}", 2 if i == 0 and stage > 1 else 1
            if depth < 50:
                y, out_channels = basic_block(b, x, width, stride, name)
            else:
                y, out_channels = bottleneck(b, x, width, stride, name, stride_on_3x3)
            if stride != 1 or channels != out_channels:
                x = conv_bn(b, x, out_channels, 1, stride, f"{name}.downsample", relu=False)
            x, channels = b.relu(b.add(y, x, name=f"{name}.add"), name=f"{name}.relu"), out_channels
    x = b.flatten(b.global_avgpool(x, name="avgpool"))
    return b.build(b.fc(x, 1000, name="fc"))
