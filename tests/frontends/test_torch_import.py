"""PyTorch import: counts of small modules against PyTorch's own parameter count and MAC formulas.

The MACs are computed here from the layer shapes PyTorch reports through forward hooks:
CONV N·M·E·F·(C/G)·R·S, FC N·inputs·outputs, transposed CONV N·C·H·W·(M/G)·R·S.
"""

from __future__ import annotations

import sys

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from npukit.analysis import analyze  # noqa: E402
from npukit.errors import NpukitError  # noqa: E402
from npukit.frontends.torch import from_torch  # noqa: E402


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(y)) + self.shortcut(x))


class SmallResNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2))
        self.layer1 = BasicBlock(16, 16, 1)
        self.layer2 = BasicBlock(16, 32, 2)
        self.fc = nn.Linear(32, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layer2(self.layer1(self.stem(x)))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


class DepthwiseSeparable(nn.Module):
    def __init__(self, cin: int = 8, cout: int = 24, stride: int = 2) -> None:
        super().__init__()
        self.depthwise = nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False)
        self.bn1 = nn.BatchNorm2d(cin)
        self.pointwise = nn.Conv2d(cin, cout, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.bn2(self.pointwise(nn.functional.relu6(self.bn1(self.depthwise(x))))))


class Decoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.up = nn.ConvTranspose2d(8, 6, 3, stride=2, padding=1, output_padding=1, groups=2)
        self.head = nn.Conv2d(6, 5, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.log_softmax(self.head(self.up(x)), dim=1)


def trained(module: nn.Module) -> nn.Module:
    """Batch-norm statistics and affine parameters as after training (not the 1s and 0s of init)."""
    generator = torch.Generator().manual_seed(0)
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            for t in (m.weight.data, m.bias.data, m.running_mean, m.running_var):
                t.copy_(torch.rand(t.shape, generator=generator) + 0.5)
    return module


def hooked_counts(module: nn.Module, x: torch.Tensor) -> tuple[int, int, torch.Tensor]:
    """(weights, MACs) by formula from the shapes each layer sees, and the module's output."""
    counts = {"weights": 0, "macs": 0}

    def hook(layer: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        counts["weights"] += layer.weight.numel()
        if isinstance(layer, nn.ConvTranspose2d):  # every input element meets every tap of its group's filters
            r, s = layer.kernel_size
            counts["macs"] += inputs[0].numel() * (layer.out_channels // layer.groups) * r * s
        elif isinstance(layer, nn.Conv2d):  # every output element sums C/G·R·S products
            r, s = layer.kernel_size
            counts["macs"] += output.numel() * (layer.in_channels // layer.groups) * r * s
        else:
            counts["macs"] += output.numel() * layer.in_features

    handles = [
        m.register_forward_hook(hook)
        for m in module.modules()
        if isinstance(m, nn.Conv2d | nn.Linear | nn.ConvTranspose2d)
    ]
    with torch.no_grad():
        out = module.eval()(x)
    for h in handles:
        h.remove()
    return counts["weights"], counts["macs"], out


CASES = {
    "resnet-fresh": (SmallResNet, (2, 3, 32, 32), False),
    "resnet-trained": (SmallResNet, (2, 3, 32, 32), True),
    "depthwise-separable": (DepthwiseSeparable, (1, 8, 16, 16), True),
    "decoder": (Decoder, (1, 8, 7, 9), False),
}


@pytest.mark.parametrize("case", CASES)
def test_counts_match_pytorch(case: str) -> None:
    make, shape, with_stats = CASES[case]
    torch.manual_seed(0)
    module = trained(make()) if with_stats else make()
    x = torch.randn(shape)
    weights, macs, out = hooked_counts(module, x)

    graph = from_torch(module, x)
    report = analyze(graph)
    assert report.totals()["not_modeled"] == []
    assert report.total("params") == sum(p.numel() for p in module.parameters())
    assert report.total("weights") == weights
    assert report.total("macs") == macs
    assert graph.tensors[graph.outputs[0]].shape == tuple(out.shape)


def test_batch_norm_is_kept_not_folded() -> None:
    module = trained(DepthwiseSeparable())
    ops = [n.op_type for n in from_torch(module, torch.randn(1, 8, 16, 16)).nodes]
    assert ops.count("BatchNormalization") == 2 and ops.count("Conv") == 2


def test_names_and_mode() -> None:
    module = SmallResNet().train()
    graph = from_torch(module, (torch.randn(1, 3, 32, 32),), input_names=["image"])
    assert graph.inputs == ("image",) and graph.name == "SmallResNet"
    assert module.training  # exported in eval mode, left as it was


def test_without_pytorch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    with pytest.raises(NpukitError, match=r"PyTorch is not installed: pip install 'npukit\[torch\]'"):
        from_torch(object(), None)


def test_export_failure_is_one_line() -> None:
    class Broken(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x @ torch.ones(3, 3)  # wrong inner dimension for a (1, 4) input

    with pytest.raises(NpukitError, match=r"^Broken: torch\.onnx\.export failed") as e:
        from_torch(Broken(), torch.randn(1, 4))
    assert "\n" not in str(e.value)
