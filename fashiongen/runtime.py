"""The one onnxruntime wrapper used by everything that serves a model.

Sessions are created once per model file. The CUDA execution provider is tried first and the
CPU provider is always the fallback; which one *really* runs is read back from
``session.get_providers()`` (onnxruntime silently drops CUDA when its libraries are missing).
Set ``FASHIONGEN_PROVIDER=cpu`` to skip CUDA deliberately.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import platform
import subprocess
from pathlib import Path

import numpy as np
import onnxruntime as ort

from fashiongen.recipes import sha256_file

logger = logging.getLogger("fashiongen")

PROVIDER_LABELS = {"CUDAExecutionProvider": "CUDA GPU", "CPUExecutionProvider": "CPU"}


class ModelFileError(RuntimeError):
    """A model file is missing or cannot be loaded; the message says how to restore it."""


def requested_providers() -> list[str]:
    """CUDA first when this onnxruntime build has it (and it is not disabled), CPU always last."""
    available = ort.get_available_providers()
    wanted = os.environ.get("FASHIONGEN_PROVIDER", "auto").lower()
    providers = []
    if wanted in ("auto", "cuda") and "CUDAExecutionProvider" in available:
        providers.append("CUDAExecutionProvider")
    providers.append("CPUExecutionProvider")
    return providers


@functools.lru_cache(maxsize=None)
def device_name(provider: str) -> str:
    """The hardware a provider runs on, e.g. "NVIDIA H100 80GB HBM3" or "AMD EPYC 7B13 (2 cores)"."""
    if provider == "CUDAExecutionProvider":
        try:
            names = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"], capture_output=True,
                                   text=True, timeout=10, check=True).stdout.strip().splitlines()
            return names[0].strip() if names else "CUDA GPU"
        except (OSError, subprocess.SubprocessError):
            return "CUDA GPU"
    name = platform.processor() or platform.machine() or "CPU"
    try:
        with open("/proc/cpuinfo") as handle:
            name = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), name)
    except OSError:
        pass
    return f"{name} ({os.cpu_count()} cores)"


def _session_options() -> ort.SessionOptions:
    options = ort.SessionOptions()
    # One request uses every core for its matrix work; requests queue rather than oversubscribe
    # (the app runs one inference at a time per model).
    options.intra_op_num_threads = int(os.environ.get("FASHIONGEN_THREADS", os.cpu_count() or 1))
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only: the CUDA fallback is reported by us, once
    return options


class OnnxModel:
    """One ONNX file, one session. ``run(**inputs)`` returns the outputs by name.

    Raises:
        ModelFileError: the file is missing or is not a loadable ONNX model.
    """

    def __init__(self, path: str | Path, restore_hint: str = ""):
        self.path = Path(path)
        hint = restore_hint or "Restore it with `git checkout -- checkpoints/` (or re-export it, see README)."
        if not self.path.is_file():
            raise ModelFileError(f"Model file {self.path} is missing. {hint}")
        # onnxruntime logs a loud error when the CUDA libraries are missing; we report the
        # fallback ourselves below, in one clear line.
        ort.set_default_logger_severity(4)
        try:
            self.session = ort.InferenceSession(str(self.path), sess_options=_session_options(),
                                                providers=requested_providers())
        except Exception as error:  # onnxruntime raises its own Fail/InvalidProtobuf types
            raise ModelFileError(f"Model file {self.path} could not be loaded ({type(error).__name__}: "
                                 f"{str(error)[:200]}). {hint}") from error
        self.provider = self.session.get_providers()[0]
        self.metadata = dict(self.session.get_modelmeta().custom_metadata_map)
        self.input_names = [i.name for i in self.session.get_inputs()]
        if self.provider != requested_providers()[0]:
            logger.warning("%s: %s was requested but is not usable here; running on %s", self.path.name,
                           requested_providers()[0], self.provider)
        logger.info("%s runs on %s", self.path, self.provider)  # the full path: which copy really runs

    @functools.cached_property
    def sha256(self) -> str:
        """SHA-256 of the model file: recipes name the exact model that made an image."""
        return sha256_file(self.path)

    @property
    def provider_label(self) -> str:
        return PROVIDER_LABELS.get(self.provider, self.provider)

    def metadata_json(self, key: str):
        return json.loads(self.metadata[key])

    def run(self, **inputs: np.ndarray) -> dict[str, np.ndarray]:
        outputs = self.session.run(None, inputs)
        return {o.name: value for o, value in zip(self.session.get_outputs(), outputs)}
