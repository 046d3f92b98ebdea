"""Shared ONNX export steps: one exporter choice, one opset, metadata, parity check."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Mapping

import numpy as np
import onnx
import torch

OPSET = 17


def export_onnx(wrapper: torch.nn.Module, example: tuple[torch.Tensor, ...], path: str | Path,
                input_names: list[str], output_names: list[str], dynamic_axes: Mapping[str, Mapping[int, str]],
                metadata: Mapping[str, object]) -> Path:
    """Export ``wrapper`` to one self-contained ONNX file with ``metadata`` in metadata_props.

    Uses the TorchScript exporter (``dynamo=False``): it handles the data-dependent padding of the
    style network as plain graph arithmetic and writes weights inline, never as ``.onnx.data``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wrapper.eval()
    with torch.no_grad():
        torch.onnx.export(wrapper, example, str(path), input_names=input_names, output_names=output_names,
                          dynamic_axes=dict(dynamic_axes), opset_version=OPSET, dynamo=False, do_constant_folding=True)
    model = onnx.load(str(path))
    del model.metadata_props[:]
    for key, value in metadata.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value if isinstance(value, str) else json.dumps(value)
    onnx.checker.check_model(model)
    onnx.save_model(model, str(path), save_as_external_data=False)
    return path


def store_initializers(path: Path, rewrite: Callable[[onnx.TensorProto], tuple[list, onnx.NodeProto] | None]) -> None:
    """Rewrite stored weights in place: ``rewrite(initializer)`` returns None to keep one as it is, or
    (new initializers, one node computing the original name from them) to store it another way
    (float16 + Cast, int8 + DequantizeLinear); those nodes run first, so the graph is unchanged."""
    model = onnx.load(str(path))
    graph = model.graph
    decoders, kept = [], []
    for initializer in graph.initializer:
        replacement = rewrite(initializer)
        if replacement is None:
            kept.append(initializer)
            continue
        stored, node = replacement
        kept += stored
        decoders.append(node)
    del graph.initializer[:]
    graph.initializer.extend(kept)
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend(decoders + nodes)
    onnx.checker.check_model(model)
    onnx.save_model(model, str(path), save_as_external_data=False)


def parity(wrapper: torch.nn.Module, path: str | Path, inputs: dict[str, np.ndarray]) -> float:
    """Max |onnxruntime - PyTorch| on ``inputs`` (CPU provider: the reference arithmetic)."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    ours = session.run(None, inputs)[0]
    with torch.no_grad():
        reference = wrapper(*(torch.from_numpy(value) for value in inputs.values())).numpy()
    if ours.shape != reference.shape:
        raise AssertionError(f"ONNX output shape {ours.shape} != PyTorch {reference.shape}")
    return float(np.abs(ours - reference).max())


def check_parity(wrapper: torch.nn.Module, path: str | Path, input_sets: list[dict[str, np.ndarray]],
                 tolerance: float) -> float:
    """Worst parity error over ``input_sets``; raises AssertionError above ``tolerance``."""
    worst = max(parity(wrapper, path, inputs) for inputs in input_sets)
    if worst > tolerance:
        raise AssertionError(f"onnxruntime differs from PyTorch by {worst:.2e} > {tolerance:.0e}")
    return worst
