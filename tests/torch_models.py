"""Reference networks written in plain PyTorch (torchvision's layouts), independent of npukit.

Used as oracles: PyTorch's own parameter count and FLOP counter, and (for the runtime) its
outputs. No torchvision is needed.
"""

from __future__ import annotations

import torch
from torch import nn

RESNET_BLOCKS = {18: [2, 2, 2, 2], 34: [3, 4, 6, 3], 50: [3, 4, 6, 3], 101: [3, 4, 23, 3], 152: [3, 8, 36, 3]}


def conv_bn(c_in: int, c_out: int, k: int, stride: int = 1, groups: int = 1, act: type[nn.Module] | None = nn.ReLU):
    layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, k, stride, k // 2, groups=groups, bias=False),
                               nn.BatchNorm2d(c_out)]
    return nn.Sequential(*layers, act()) if act else nn.Sequential(*layers)


class Residual(nn.Module):
    def __init__(self, body: nn.Module, shortcut: nn.Module, relu: bool = True) -> None:
        super().__init__()
        self.body, self.shortcut, self.relu = body, shortcut, relu

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(x) + self.shortcut(x)
        return torch.relu(y) if self.relu else y


def resnet(depth: int) -> nn.Module:
    """torchvision's ResNet (v1.5: the stride on the 3×3 of a bottleneck)."""
    layers: list[nn.Module] = [conv_bn(3, 64, 7, 2), nn.MaxPool2d(3, 2, 1)]
    c = 64
    for stage, n in enumerate(RESNET_BLOCKS[depth]):
        width = 64 * 2**stage
        for i in range(n):
            stride = 2 if i == 0 and stage else 1
            if depth < 50:
                body, out = nn.Sequential(conv_bn(c, width, 3, stride), conv_bn(width, width, 3, act=None)), width
            else:
                body = nn.Sequential(conv_bn(c, width, 1), conv_bn(width, width, 3, stride),
                                     conv_bn(width, 4 * width, 1, act=None))
                out = 4 * width
            shortcut = conv_bn(c, out, 1, stride, act=None) if stride != 1 or c != out else nn.Identity()
            layers.append(Residual(body, shortcut))
            c = out
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, 1000)).eval()


def mobilenet_v2() -> nn.Module:
    """torchvision's MobileNet v2 1.0 (inverted residuals, ReLU6)."""
    layers: list[nn.Module] = [conv_bn(3, 32, 3, 2, act=nn.ReLU6)]
    c = 32
    for t, out, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                         (6, 320, 1, 1)]:
        for i in range(n):
            stride, hidden = s if i == 0 else 1, c * t
            expand = [conv_bn(c, hidden, 1, act=nn.ReLU6)] if t != 1 else []
            body = nn.Sequential(*expand, conv_bn(hidden, hidden, 3, stride, groups=hidden, act=nn.ReLU6),
                                 conv_bn(hidden, out, 1, act=None))
            layers.append(Residual(body, nn.Identity(), relu=False) if stride == 1 and c == out else body)
            c = out
    layers += [conv_bn(c, 1280, 1, act=nn.ReLU6), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2),
               nn.Linear(1280, 1000)]
    return nn.Sequential(*layers).eval()


def vgg16() -> nn.Module:
    layers: list[nn.Module] = []
    c = 3
    for width, n in [(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)]:
        for _ in range(n):
            layers += [nn.Conv2d(c, width, 3, padding=1), nn.ReLU()]
            c = width
        layers.append(nn.MaxPool2d(2))
    layers += [nn.Flatten(), nn.Linear(512 * 49, 4096), nn.ReLU(), nn.Dropout(), nn.Linear(4096, 4096), nn.ReLU(),
               nn.Dropout(), nn.Linear(4096, 1000)]
    return nn.Sequential(*layers).eval()


def macs(model: nn.Module, shape: tuple[int, ...] = (1, 3, 224, 224)) -> int:
    """MACs of CONV and matmul ops by PyTorch's FlopCounterMode (which counts 2 FLOPs per MAC)."""
    from torch.utils.flop_counter import FlopCounterMode

    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(torch.zeros(shape))
    return counter.get_total_flops() // 2


def params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
