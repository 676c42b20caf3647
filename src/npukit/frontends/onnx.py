"""ONNX in and out: `load` a model file as a Graph, `to_onnx` a Graph, `save` it as a file.

>>> from npukit.frontends import onnx
>>> graph = onnx.load("model.onnx", input_shapes={"input": (1, 3, 224, 224)})
>>> onnx.save(graph, "copy.onnx", opset=17)
"""

from npukit.frontends.onnx_export import save, to_onnx
from npukit.frontends.onnx_import import load

__all__ = ["load", "save", "to_onnx"]
