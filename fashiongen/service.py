"""What the app does, as plain functions over the two models (no UI code here).

Every public handler turns user mistakes into ``gr.Error`` with a message that says what is
wrong and what to do; an unexpected failure inside one request is logged and reported to
that user alone, so the app keeps serving everyone else.
"""

from __future__ import annotations

import functools
import logging
import tempfile
import uuid
from pathlib import Path

import gradio as gr
import numpy as np
from PIL import Image

from fashiongen.garment_mask import garment_mask, image_to_mask, mask_to_image
from fashiongen.images import ImageError, load_image
from fashiongen.patterns import KINDS, PatternSpec, draw_pattern, parse_hex_color
from fashiongen.restyle import DEFAULT_OUTPUT_SIDE, MAX_OUTPUT_SIDE, Stylizer
from fashiongen.runtime import ModelFileError, OnnxModel
from fashiongen.trends import Design, TrendSampler, design_sheet, enlarge

logger = logging.getLogger("fashiongen")

CHECKPOINT_DIR = Path(__file__).resolve().parent.parent / "checkpoints"
TREND_MODEL = "trend_generator.onnx"
STYLE_MODEL = "style_transfer.onnx"
DISPLAY_SIDE = 192        # trend designs are enlarged to this for the gallery (model output is smaller)
PATTERN_PREVIEW_SIDE = 384
UPLOAD_LOAD_SIDE = MAX_OUTPUT_SIDE  # uploads are decoded at most this large (draft mode keeps huge JPEGs cheap)


def user_errors(handler):
    """Turn ValueError (ImageError included) into gr.Error, and any other failure into a
    gr.Error that tells this user to retry, logging the traceback for the operator."""

    @functools.wraps(handler)
    def wrapped(*args, **kwargs):
        try:
            return handler(*args, **kwargs)
        except gr.Error:
            raise
        except ValueError as error:
            raise gr.Error(str(error), title="Please check your input") from error
        except Exception as error:  # noqa: BLE001 - one request's failure must not reach other users
            logger.exception("request failed in %s", handler.__name__)
            raise gr.Error(f"The model could not process this request ({type(error).__name__}). "
                           "Please try again, or with a different image.", title="Processing failed") from error

    return wrapped


def _save_png(image: np.ndarray, stem: str) -> str:
    """Write to a fresh file in the app's temp folder (Gradio serves only what handlers return)."""
    folder = Path(tempfile.gettempdir()) / "fashiongen"
    folder.mkdir(exist_ok=True)
    path = folder / f"{stem}-{uuid.uuid4().hex[:10]}.png"
    Image.fromarray(image).save(path)
    return str(path)


def load_upload(path: str | None, what: str) -> np.ndarray:
    """An uploaded file path -> (H, W, 3) uint8; missing or unreadable uploads raise ImageError naming ``what``."""
    if not path:
        raise ImageError(f"Please upload a {what} image first.")
    try:
        return load_image(path, max_side=UPLOAD_LOAD_SIDE)
    except ImageError as error:
        raise ImageError(f"{what.capitalize()}: {error}") from error


class Service:
    """Holds the loaded models and the notices about any that could not be loaded."""

    def __init__(self, sampler: TrendSampler | None, stylizer: Stylizer | None, notices: dict[str, str]):
        self.sampler, self.stylizer, self.notices = sampler, stylizer, notices

    @classmethod
    def from_checkpoints(cls, folder: str | Path = CHECKPOINT_DIR) -> "Service":
        folder = Path(folder)
        notices: dict[str, str] = {}
        sampler = stylizer = None
        try:
            sampler = TrendSampler(folder / TREND_MODEL)
        except (ModelFileError, KeyError, ValueError) as error:
            notices["trend"] = str(error)
            logger.error("Trend sampling is disabled: %s", error)
        try:
            stylizer = Stylizer(folder / STYLE_MODEL)
        except (ModelFileError, KeyError, ValueError) as error:
            notices["style"] = str(error)
            logger.error("Style transfer is disabled: %s", error)
        return cls(sampler, stylizer, notices)

    # -- status ------------------------------------------------------------------------------

    def status_markdown(self) -> str:
        lines = []
        for key, name, model in (("trend", "Trend sampling", self.sampler), ("style", "Style transfer", self.stylizer)):
            if model is None:
                lines.append(f"**{name}: unavailable.** {self.notices.get(key, '')}")
            else:
                onnx_model: OnnxModel = model.model
                lines.append(f"**{name}** runs on **{onnx_model.provider_label}** (`{onnx_model.provider}`)")
        return " · ".join(lines)

    def _require(self, model, key: str):
        if model is None:
            raise gr.Error(f"This feature is unavailable on this server: {self.notices.get(key, 'model not loaded')}",
                           title="Model unavailable")
        return model

    # -- trend sampling ----------------------------------------------------------------------

    def designs(self, classes: list[str] | None, count: float, seed: float, variety: float) -> list[Design]:
        sampler: TrendSampler = self._require(self.sampler, "trend")
        return sampler.sample(classes, _whole(count, "Number of designs"), _whole(seed, "Seed"), float(variety))

    @user_errors
    def sample(self, classes: list[str] | None, count: float = 16, seed: float = 0, variety: float = 0.8):
        """Public /sample: gallery of (image, caption) for the requested garment types."""
        return [(enlarge(d.image, DISPLAY_SIDE), d.caption) for d in self.designs(classes, count, seed, variety)]

    @user_errors
    def sample_sheet(self, classes: list[str] | None, count: float = 16, seed: float = 0, variety: float = 0.8) -> str:
        """The same designs as one PNG grid, for download."""
        return _save_png(design_sheet(self.designs(classes, count, seed, variety)), "fashiongen-designs")

    @user_errors
    def morph(self, label: str, seed_a: float, seed_b: float, steps: float = 8, variety: float = 0.8) -> np.ndarray:
        """A strip of designs walking from seed A to seed B for one garment type."""
        sampler: TrendSampler = self._require(self.sampler, "trend")
        if not label:
            raise ValueError("Pick a garment type for the morph strip.")
        frames = sampler.morph(label, _whole(seed_a, "Seed A"), _whole(seed_b, "Seed B"), _whole(steps, "Steps"),
                               float(variety))
        return np.concatenate([enlarge(frame, 128) for frame in frames], axis=1)

    # -- style transfer ----------------------------------------------------------------------

    @user_errors
    def stylize(self, garment: str, pattern: str, strength: float = 1.0, preserve_colors: bool = False,
                garment_only: bool = False, pattern_scale: float = 1.0, output_size: float = DEFAULT_OUTPUT_SIDE):
        """Public /stylize: garment and pattern image files -> restyled PNG image."""
        stylizer: Stylizer = self._require(self.stylizer, "style")
        garment_image = load_upload(garment, "garment")
        pattern_image = load_upload(pattern, "pattern")
        mask = garment_mask(garment_image) if garment_only else None
        return stylizer.stylize(garment_image, pattern_image, float(strength), preserve_colors=bool(preserve_colors),
                                mask=mask, pattern_scale=float(pattern_scale),
                                output_size=_whole(output_size, "Output size"))

    @user_errors
    def stylize_from_ui(self, garment: str, pattern_source: str, pattern: str | None, library_pattern: np.ndarray | None,
                        strength: float, preserve_colors: bool, garment_only: bool, mask_edit: dict | None,
                        pattern_scale: float, output_size: float):
        """The UI's run: pattern from upload or library, mask from the (possibly brushed) editor.
        Returns the result image and its PNG file for the download button."""
        stylizer: Stylizer = self._require(self.stylizer, "style")
        garment_image = load_upload(garment, "garment")
        if pattern_source == "Library":
            if library_pattern is None:
                raise ValueError("Pick a pattern from the library first.")
            pattern_image = load_image(library_pattern)
        else:
            pattern_image = load_upload(pattern, "pattern")
        mask = None
        if garment_only:
            painted = (mask_edit or {}).get("composite")
            if painted is not None:
                mask = image_to_mask(np.asarray(painted), (garment_image.shape[1], garment_image.shape[0]))
            else:
                mask = garment_mask(garment_image)
        result = stylizer.stylize(garment_image, pattern_image, float(strength), preserve_colors=bool(preserve_colors),
                                  mask=mask, pattern_scale=float(pattern_scale),
                                  output_size=_whole(output_size, "Output size"))
        return result, _save_png(result, "fashiongen-restyled")

    @user_errors
    def preview_garment(self, garment: str | None):
        """On upload: the garment preview and its automatic mask for the brush editor."""
        if not garment:
            return None, None
        image = load_upload(garment, "garment")
        mask = mask_to_image(garment_mask(image))
        return image, {"background": mask, "layers": [], "composite": mask}

    @user_errors
    def draw_library_pattern(self, kind: str, color_a: str, color_b: str, scale: float, angle: float,
                             seed: float) -> np.ndarray:
        if kind not in KINDS:
            raise ValueError(f"Unknown pattern {kind!r}; choose one of {', '.join(KINDS)}")
        spec = PatternSpec(kind, scale=float(scale), angle=float(angle), seed=_whole(seed, "Pattern seed"),
                           colors=(parse_hex_color(color_a), parse_hex_color(color_b)))
        return draw_pattern(spec, PATTERN_PREVIEW_SIDE, PATTERN_PREVIEW_SIDE)

    def design_file(self, designs_gallery: list | None, index: int | None) -> str:
        """The gallery item at ``index`` as a PNG path (for 'restyle this design')."""
        if not designs_gallery or index is None or not 0 <= index < len(designs_gallery):
            raise gr.Error("Click a design in the gallery first, then 'Restyle this design'.", title="No design selected")
        item = designs_gallery[index]
        source = item[0] if isinstance(item, (list, tuple)) else item
        path = source.get("path") if isinstance(source, dict) else getattr(source, "path", source)
        return str(path)


def _whole(value, name: str) -> int:
    if value is None or not np.isfinite(float(value)) or float(value) != int(float(value)):
        raise ValueError(f"{name} must be a whole number, got {value}")
    return int(float(value))
