"""Frontends: networks from ONNX files and PyTorch modules into npukit's IR, and back out to ONNX."""
