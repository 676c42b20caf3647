"""npukit's intermediate representation: Graph, Node, Tensor, the op registry and LoopNest."""

from npukit.ir.cost import Cost
from npukit.ir.graph import Graph, Node
from npukit.ir.loopnest import LoopNest
from npukit.ir.ops import REGISTRY, infer_node, node_cost
from npukit.ir.tensor import ArrayData, Fill, RandomNormal, Tensor, Values

__all__ = [
    "REGISTRY",
    "ArrayData",
    "Cost",
    "Fill",
    "Graph",
    "LoopNest",
    "Node",
    "RandomNormal",
    "Tensor",
    "Values",
    "infer_node",
    "node_cost",
]
