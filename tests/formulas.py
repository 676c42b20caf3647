"""Independent per-layer derivations of the survey's counts, written out from the papers.

Nothing here calls npukit: each network is a list of (M filters, C channels per group, R×S
filter, E×F output) for CONV layers and (inputs, outputs) for FC layers, with output sizes
from the textbook formula E = (H + 2P - R) / U + 1.
"""

from __future__ import annotations

import itertools


def out(h: int, k: int, s: int = 1, p: int = 0) -> int:
    return (h + 2 * p - k) // s + 1


def conv(m: int, c: int, k: int, e: int) -> tuple[int, int]:
    """(weights, MACs) of a CONV layer with M filters of C×K×K over an E×E output."""
    return m * c * k * k, m * c * k * k * e * e


def totals(layers: list[tuple[int, int]]) -> tuple[int, int]:
    return sum(w for w, _ in layers), sum(m for _, m in layers)


def fc(*sizes: int) -> list[tuple[int, int]]:
    return [(a * b, a * b) for a, b in itertools.pairwise(sizes)]


def lenet5() -> dict[str, list[tuple[int, int]]]:
    e1 = out(28, 5, p=2)  # 28: padded as in LeCun's 32×32 framing
    e2 = out(e1 // 2, 5)  # 10
    return {"conv": [conv(6, 1, 5, e1), conv(16, 6, 5, e2)], "fc": fc(16 * (e2 // 2) ** 2, 120, 84)}


def alexnet() -> dict[str, list[tuple[int, int]]]:
    e1 = out(227, 11, 4)  # 55
    e2 = out(out(e1, 3, 2), 5, p=2)  # 27
    e3 = out(out(e2, 3, 2), 3, p=1)  # 13
    convs = [
        conv(96, 3, 11, e1),
        conv(256, 48, 5, e2),
        conv(384, 256, 3, e3),
        conv(384, 192, 3, e3),
        conv(256, 192, 3, e3),
    ]
    return {"conv": convs, "fc": fc(256 * out(e3, 3, 2) ** 2, 4096, 4096, 1000)}


def alexnet_torchvision() -> dict[str, list[tuple[int, int]]]:
    e1 = out(224, 11, 4, 2)  # 55
    e2 = out(out(e1, 3, 2), 5, p=2)
    e3 = out(out(e2, 3, 2), 3, p=1)
    convs = [
        conv(64, 3, 11, e1),
        conv(192, 64, 5, e2),
        conv(384, 192, 3, e3),
        conv(256, 384, 3, e3),
        conv(256, 256, 3, e3),
    ]
    return {"conv": convs, "fc": fc(256 * 6 * 6, 4096, 4096, 1000)}


def overfeat_fast() -> dict[str, list[tuple[int, int]]]:
    e1 = out(231, 11, 4)  # 56
    e2 = out(e1 // 2, 5)  # 24
    e3 = e2 // 2  # 12
    convs = [
        conv(96, 3, 11, e1),
        conv(256, 96, 5, e2),
        conv(512, 256, 3, e3),
        conv(1024, 512, 3, e3),
        conv(1024, 1024, 3, e3),
    ]
    return {"conv": convs, "fc": fc(1024 * (e3 // 2) ** 2, 3072, 4096, 1000)}


def vgg16() -> dict[str, list[tuple[int, int]]]:
    convs, c, e = [], 3, 224
    for m, n in [(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)]:
        for _ in range(n):
            convs.append(conv(m, c, 3, e))
            c = m
        e //= 2
    return {"conv": convs, "fc": fc(512 * 7 * 7, 4096, 4096, 1000)}


GOOGLENET = [  # in channels, 1×1, 3×3 reduce, 3×3, 5×5 reduce, 5×5, pool proj, output size
    (192, 64, 96, 128, 16, 32, 32, 28),
    (256, 128, 128, 192, 32, 96, 64, 28),
    (480, 192, 96, 208, 16, 48, 64, 14),
    (512, 160, 112, 224, 24, 64, 64, 14),
    (512, 128, 128, 256, 24, 64, 64, 14),
    (512, 112, 144, 288, 32, 64, 64, 14),
    (528, 256, 160, 320, 32, 128, 128, 14),
    (832, 256, 160, 320, 32, 128, 128, 7),
    (832, 384, 192, 384, 48, 128, 128, 7),
]


def googlenet() -> dict[str, list[tuple[int, int]]]:
    convs = [conv(64, 3, 7, 112), conv(64, 64, 1, 56), conv(192, 64, 3, 56)]
    for c, n1, r3, n3, r5, n5, proj, e in GOOGLENET:
        convs += [
            conv(n1, c, 1, e),
            conv(r3, c, 1, e),
            conv(n3, r3, 3, e),
            conv(r5, c, 1, e),
            conv(n5, r5, 5, e),
            conv(proj, c, 1, e),
        ]
    return {"conv": convs, "fc": fc(1024, 1000)}


def resnet(blocks: list[int], bottleneck: bool, stride_on_3x3: bool = False) -> dict[str, list[tuple[int, int]]]:
    convs, c, e = [conv(64, 3, 7, 112)], 64, 56
    for stage, n in enumerate(blocks):
        width = 64 * 2**stage
        for i in range(n):
            stride = 2 if i == 0 and stage > 0 else 1
            e_out = e // stride
            if bottleneck:
                e_1x1 = e if stride_on_3x3 else e_out  # where the stride sits decides conv1's output
                convs += [conv(width, c, 1, e_1x1), conv(width, width, 3, e_out), conv(4 * width, width, 1, e_out)]
                out_c = 4 * width
            else:
                convs += [conv(width, c, 3, e_out), conv(width, width, 3, e_out)]
                out_c = width
            if stride != 1 or c != out_c:
                convs.append(conv(out_c, c, 1, e_out))
            c, e = out_c, e_out
    return {"conv": convs, "fc": fc(c, 1000)}


def mobilenet_v1() -> dict[str, list[tuple[int, int]]]:
    convs, c, e = [conv(32, 3, 3, 112)], 32, 112
    for m, s in [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]:
        e //= s
        convs += [conv(c, 1, 3, e), conv(m, c, 1, e)]  # depthwise: C filters of 1 channel each
        c = m
    return {"conv": convs, "fc": fc(1024, 1000)}
