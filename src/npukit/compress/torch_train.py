"""Train an npukit Graph's weights with PyTorch: the graph as a module, and a seeded training loop.

Used by fine-tuning after pruning (`npukit.compress.finetune`) and by scripts/train_models.py,
which trains the zoo's lenet5-mnist and digits-cnn from scratch. Imports torch at the top: import
it only where PyTorch is wanted.

Each CONV and FC layer becomes an nn.Conv2d / nn.Linear, made in node order: after
torch.manual_seed(s) a module built with `copy_weights=False` starts from PyTorch's usual
initialization, as a hand-written module with the same layers would. Every other constant
(batch-norm statistics and scales, clip bounds, shapes) is a frozen buffer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import torch
from torch import nn

from npukit.compress.prune import weight_inputs
from npukit.compress.torch_ops import OPS, no_auto_pad, symmetric
from npukit.data import Dataset
from npukit.errors import NpukitError
from npukit.ir import Graph, Node


def conv_layer(graph: Graph, node: Node) -> nn.Conv2d:
    w = graph.tensors[node.inputs[1]]
    if len(w.shape) != 4:
        raise NpukitError(f"node '{node.name}' (Conv): only 2-D convolutions train in PyTorch here")
    no_auto_pad(node.attrs.get("auto_pad", "NOTSET"))
    m, c_per_group, r, s = w.shape
    groups = int(node.attrs.get("group", 1))
    return nn.Conv2d(c_per_group * groups, m, (r, s), stride=tuple(node.attrs.get("strides", (1, 1))),
                     padding=symmetric(node.attrs.get("pads"), f"node '{node.name}' (Conv)"),
                     dilation=tuple(node.attrs.get("dilations", (1, 1))), groups=groups, bias=has_bias(node))


def fc_layer(graph: Graph, node: Node) -> nn.Linear:
    if node.attrs.get("transA", 0):
        raise NpukitError(f"node '{node.name}' (Gemm): transA=1 does not train in PyTorch here")
    rows, cols = graph.tensors[node.inputs[1]].shape
    units, inputs = (rows, cols) if node.attrs.get("transB", 0) else (cols, rows)
    if has_bias(node) and graph.tensors[node.inputs[2]].size != units:
        raise NpukitError(f"node '{node.name}' (Gemm): a bias that is not one value per unit does not train here")
    return nn.Linear(inputs, units, bias=has_bias(node))


LAYERS = {"Conv": conv_layer, "Gemm": fc_layer, "MatMul": fc_layer}  # the ops whose weights train


def has_bias(node: Node) -> bool:
    return len(node.inputs) > 2 and bool(node.inputs[2])


def key(node: Node) -> str:
    return node.name.replace(".", "/")  # module names may not hold dots


class GraphModule(nn.Module):
    """`graph` run with PyTorch; its CONV/FC layers' weights and biases are the parameters."""

    def __init__(self, graph: Graph, copy_weights: bool = True) -> None:
        super().__init__()
        self.graph = graph
        self.layers = nn.ModuleDict()
        trainable = {node.name: node for node in weight_inputs(graph).values()}
        for node in trainable.values():
            if node.op_type not in LAYERS:
                raise NpukitError(f"node '{node.name}' ({node.op_type}): no PyTorch layer for its weights")
        for node in graph.nodes:
            if node.name in trainable:
                self.layers[key(node)] = LAYERS[node.op_type](graph, node)
            elif node.op_type not in OPS:
                raise NpukitError(f"node '{node.name}' ({node.op_type}): no PyTorch equivalent for training")
        params = {n for node in trainable.values() for n in node.inputs[1:] if n}
        self.frozen = {n: f"constant{i}" for i, n in enumerate(t.name for t in graph.tensors.values()
                                                              if t.is_constant and t.name not in params)}
        for name, attr in self.frozen.items():
            self.register_buffer(attr, torch.from_numpy(np.array(graph.tensors[name].value())))
        if copy_weights:
            self.load(graph)

    def load(self, graph: Graph) -> None:
        """Copy the CONV/FC weights and biases of `graph` (same layers) into the parameters."""
        with torch.no_grad():
            for node in weight_inputs(graph).values():
                layer = self.layers[key(node)]
                layer.weight.copy_(torch.from_numpy(as_torch(node, graph.tensors[node.inputs[1]].value())))
                if has_bias(node):
                    layer.bias.copy_(torch.from_numpy(graph.tensors[node.inputs[2]].value().reshape(-1)))

    def weights(self) -> dict[str, np.ndarray]:
        """Graph constant name → trained array, in the graph's layout, for every weight and bias."""
        out = {}
        for node in weight_inputs(self.graph).values():
            layer = self.layers[key(node)]
            out[node.inputs[1]] = as_torch(node, layer.weight.detach().numpy().copy())
            if has_bias(node):
                shape = self.graph.tensors[node.inputs[2]].shape
                out[node.inputs[2]] = layer.bias.detach().numpy().reshape(shape).copy()
        return out

    def zero_masks(self) -> dict[str, torch.Tensor]:
        """Parameter name → 1 where the layer's weight is nonzero now, 0 where it is zero (pruned)."""
        return {f"layers.{key(node)}.weight": (self.layers[key(node)].weight != 0).to(torch.float32)
                for node in weight_inputs(self.graph).values()}

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        values: dict[str, torch.Tensor] = dict(zip(self.graph.inputs, inputs, strict=True))
        for node in self.graph.nodes:
            if key(node) in self.layers:
                result = self.layers[key(node)](values[node.inputs[0]])
            else:
                args = [values[n] if n in values else getattr(self, self.frozen[n]) if n else None
                        for n in node.inputs]
                result = OPS[node.op_type](*args, **node.attrs)
            values[node.outputs[0]] = result
        return values[self.graph.outputs[0]]


def as_torch(node: Node, w: np.ndarray) -> np.ndarray:
    """An FC weight stored inputs × units (Gemm transB=0, MatMul) transposed to PyTorch's
    units × inputs, or back (the same transpose); other weights as they are."""
    return w.T.copy() if node.op_type in ("Gemm", "MatMul") and not node.attrs.get("transB", 0) else w


def shifted(images: torch.Tensor, gen: torch.Generator, most: int = 2) -> torch.Tensor:
    """Each image moved by up to `most` pixels in each direction (zero fill): augmentation that
    makes up for training on few images."""
    n, _, h, w = images.shape
    padded = nn.functional.pad(images, (most, most, most, most))
    dy, dx = torch.randint(0, 2 * most + 1, (2, n), generator=gen)
    rows = (dy[:, None] + torch.arange(h))[:, :, None]
    cols = (dx[:, None] + torch.arange(w))[:, None, :]
    return padded[torch.arange(n)[:, None, None], 0, rows, cols][:, None]


def train(model: GraphModule, data: Dataset, epochs: int, lr: float = 2e-3, shift: int = 0, seed: int = 0,
          batch_size: int = 64, masks: Mapping[str, torch.Tensor] | None = None,
          after_epoch: Callable[[int], None] | None = None) -> None:
    """Adam with a cosine schedule over `epochs`, cross-entropy on `data`'s labels, batches drawn
    with a generator seeded with `seed`. `masks` (parameter name → 0/1 tensor) are applied after
    every step, so that pruned weights stay zero. `after_epoch(epoch)` is called after each epoch."""
    x, y = torch.from_numpy(data.images), torch.from_numpy(data.labels)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    params = dict(model.named_parameters())
    gen = torch.Generator().manual_seed(seed)
    for epoch in range(epochs):
        model.train()
        for idx in torch.randperm(len(x), generator=gen).split(batch_size):
            opt.zero_grad()
            batch = shifted(x[idx], gen, shift) if shift else x[idx]
            nn.functional.cross_entropy(model(batch), y[idx]).backward()
            opt.step()
            with torch.no_grad():
                for name, mask in (masks or {}).items():
                    params[name].mul_(mask)
        sched.step()
        model.eval()
        if after_epoch:
            after_epoch(epoch)


def accuracy(model: nn.Module, data: Dataset) -> float:
    """Top-1 accuracy of `model` on `data` (fraction)."""
    model.eval()
    with torch.no_grad():
        pred = model(torch.from_numpy(data.images)).argmax(1).numpy()
    return float(np.mean(pred == data.labels))
