"""fashiongen web app: trend sampling and garment restyling (Gradio, onnxruntime, no torch).

    python app.py            # serves on 0.0.0.0:7860 (GRADIO_SERVER_NAME / GRADIO_SERVER_PORT override)

This module is the adapter between Gradio and :mod:`fashiongen.pipeline`: it turns payloads
(upload paths, gallery items, the mask editor's layers) into typed requests, calls the pipeline,
and turns the project's errors into ``gr.Error``. One builder per tab. Models load once, at
import, from ``checkpoints/``. If one of the two ONNX files is missing or corrupt the other tab
still serves and the broken tab says which file and how to restore it; with both broken the app
refuses to start.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
import tempfile
import time
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import numpy as np
from PIL import Image

from fashiongen.errors import InputError, ModelUnavailable
from fashiongen.garment_mask import image_to_mask, mask_overlay, mask_to_image
from fashiongen.images import ImageError, load_image
from fashiongen.limits import (DEFAULT_DESIGNS, DEFAULT_MORPH_STEPS, DEFAULT_MOTIF, DEFAULT_OUTPUT_SIDE,
                               DEFAULT_PATTERN_SCALE, DEFAULT_REPEATS, DEFAULT_SEED, DEFAULT_VARIETY, MAX_DESIGNS,
                               MAX_MORPH_STEPS, MAX_MOTIF, MAX_OUTPUT_SIDE, MAX_PATTERN_ANGLE, MAX_PATTERN_SCALE, MAX_PIXELS,
                               MAX_REPEATS,
                               MAX_SEED, MAX_UPLOAD_MB, MAX_VARIETY, MIN_DESIGNS, MIN_MORPH_STEPS, MIN_MOTIF,
                               MIN_OUTPUT_SIDE, MIN_PATTERN_ANGLE, MIN_PATTERN_SCALE, MIN_REPEATS, MIN_VARIETY)
from fashiongen.patterns import DEFAULT_COLORS, KINDS, PatternSpec, draw_pattern, parse_hex_color, spec_from_json
from fashiongen.pipeline import CHECKPOINT_DIR, MorphRequest, Pipeline, RestyleRequest, SampleRequest, whole
from fashiongen.recipes import read_recipe, save_with_recipe
from fashiongen.trends import Design, enlarge

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
logger = logging.getLogger("fashiongen")

EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"
MAX_FILE_SIZE = f"{MAX_UPLOAD_MB}mb"
# One inference at a time per model: each already uses every core, and a queue keeps a small
# shared machine responsive instead of thrashing. max_size bounds memory under load.
QUEUE_SIZE = 64
DISPLAY_SIDE = 192          # trend designs are enlarged to this for the gallery (model output is smaller)
MORPH_FRAME_SIDE = 128
PATTERN_PREVIEW_SIDE = 384
PATTERN_SOURCES = [("Upload", "upload"), ("Library", "library")]
MODES = [("Print: the pattern as fabric on the garment", "print"),
         ("Artistic: re-painted by the style network", "artistic")]
MODE_HELP = ("**Print** lays the pattern on the garment like printed fabric, following its folds and light "
             "(best for textiles). **Artistic** re-paints the garment in the pattern's style with the "
             "neural network (best for paintings).")


# -- adapters: payloads in, project errors out ------------------------------------------------

def user_errors(handler):
    """Turn the project's errors into gr.Error, and any other failure into a gr.Error that tells
    this user to retry, logging the traceback for the operator (other users are unaffected)."""

    @functools.wraps(handler)
    def wrapped(*args, **kwargs):
        try:
            return handler(*args, **kwargs)
        except gr.Error:
            raise
        except ModelUnavailable as error:
            raise gr.Error(str(error), title="Model unavailable") from error
        except ValueError as error:  # InputError, ImageError and numeric checks
            raise gr.Error(str(error), title="Please check your input") from error
        except Exception as error:  # noqa: BLE001 - one request's failure must not reach other users
            logger.exception("request failed in %s", handler.__name__)
            raise gr.Error(f"The model could not process this request ({type(error).__name__}). "
                           "Please try again, or with a different image.", title="Processing failed") from error

    return wrapped


def load_upload(path: str | None, what: str) -> np.ndarray:
    """An uploaded file path -> (H, W, 3) uint8; missing or unreadable uploads raise ImageError naming ``what``."""
    if not path:
        raise ImageError(f"Please upload a {what} image first.")
    try:
        return load_image(path, max_side=MAX_OUTPUT_SIDE)
    except ImageError as error:
        raise ImageError(f"{what.capitalize()}: {error}") from error


OUTPUT_DIR = Path(tempfile.gettempdir()) / "fashiongen-outputs"
OUTPUT_MAX_AGE_S = 24 * 3600  # outputs (and Gradio's copies of them) are kept a day
_last_prune = [0.0]


def output_path(stem: str, suffix: str) -> Path:
    """A fresh file name in the app's output folder (Gradio serves only what handlers return).

    Files older than OUTPUT_MAX_AGE_S are removed on the way, at most every 10 minutes, so a
    long-running Space does not fill its disk one design at a time.
    """
    OUTPUT_DIR.mkdir(exist_ok=True)
    now = time.time()
    if now - _last_prune[0] > 600:
        _last_prune[0] = now
        for old in OUTPUT_DIR.iterdir():
            try:
                if now - old.stat().st_mtime > OUTPUT_MAX_AGE_S:
                    old.unlink()
            except OSError:
                pass  # removed meanwhile by another request
    return OUTPUT_DIR / f"{stem}-{uuid.uuid4().hex[:10]}{suffix}"


def save_png(image: np.ndarray, stem: str, recipe: dict) -> str:
    """Write a PNG with its recipe to a fresh file in the app's output folder."""
    return str(save_with_recipe(image, recipe, output_path(stem, ".png")))


def library_spec(kind: str, color_a: str, color_b: str, motif: float, angle: float, seed: float) -> PatternSpec:
    """The library controls' values -> a PatternSpec (redrawn on the server, never sent as pixels)."""
    if kind not in KINDS:
        raise InputError(f"Unknown pattern {kind!r}; choose one of {', '.join(KINDS)}")
    return PatternSpec(kind, scale=float(motif), angle=float(angle), seed=whole(seed, "Pattern seed"),
                       colors=(parse_hex_color(color_a), parse_hex_color(color_b)))


def painted_mask(editor: dict | None, size: tuple[int, int] | None = None) -> np.ndarray | None:
    """The mask editor's composite (white = garment) -> (H, W) float32 at ``size`` = (width, height),
    by default its own, or None when nothing is painted."""
    composite = (editor or {}).get("composite")
    if composite is None:
        return None
    picture = np.asarray(composite)
    return image_to_mask(picture, size or (picture.shape[1], picture.shape[0]))


def uses_mask(garment_only: bool, mode: str) -> bool:
    """Whether a restyle keeps the background: print mode always does, artistic mode when asked."""
    return bool(garment_only) or mode == "print"


def gallery_path(gallery: list | None, index: int | None) -> str:
    """The gallery item at ``index`` as a file path (for 'restyle this design')."""
    if not gallery or index is None or not 0 <= index < len(gallery):
        raise InputError("Click a design in the gallery first, then 'Restyle this design'.")
    item = gallery[index]
    source = item[0] if isinstance(item, (list, tuple)) else item
    path = source.get("path") if isinstance(source, dict) else getattr(source, "path", source)
    return str(path)


MAX_HISTORY = 200  # entries kept per browser session (newest first)


def history_view(history: list[dict]) -> list[tuple[str, str]]:
    return [(entry["path"], entry["caption"]) for entry in history]


def add_to_history(history: list[dict] | None, paths, captions) -> list[dict]:
    """Put new outputs (PNG paths with recipes) at the front of this session's history."""
    entries = []
    for path, caption in zip(paths, captions):
        try:
            recipe = read_recipe(path)
        except InputError:
            continue  # not one of ours: nothing to remember
        if recipe["kind"] == "restyle":
            pattern = recipe["pattern"].get("library", {}).get("kind", "uploaded pattern").replace("_", " ")
            caption = f"{recipe['mode']} · {pattern}"
        entries.append({"path": str(path), "caption": caption, "recipe": recipe})
    return (entries[::-1] + list(history or []))[:MAX_HISTORY]


def history_zip(history: list[dict] | None) -> str:
    """All of this session's outputs (with their recipes inside) as one zip file."""
    if not history:
        raise InputError("Nothing in this session's history yet: generate or restyle something first.")
    path = output_path("fashiongen-history", ".zip")  # prunes day-old outputs first
    kept = [entry for entry in history if Path(entry["path"]).is_file()]
    if not kept:
        raise InputError("This session's outputs are more than a day old and were cleaned up; generate new ones.")
    with zipfile.ZipFile(path, "w") as archive:
        for index, entry in enumerate(kept):
            archive.write(entry["path"], f"{index + 1:03d}-{Path(entry['path']).stem}.png")
        archive.writestr("recipes.json", json.dumps([entry["recipe"] for entry in kept], indent=2))
    return str(path)


def _hex(color: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*color)


# -- handlers ---------------------------------------------------------------------------------

@dataclass
class Handlers:
    """Plain functions over one pipeline; each is wrapped by :func:`user_errors` where it is wired."""
    pipeline: Pipeline

    def _designs(self, classes, count, seed, variety) -> list[Design]:
        request = SampleRequest(tuple(classes or ()), whole(count, "Number of designs"), whole(seed, "Seed"),
                                float(variety))
        return self.pipeline.sample(request)

    def _gallery(self, designs: list[Design]) -> list[tuple[str, str]]:
        """Each design as a PNG carrying its recipe, with its caption."""
        return [(save_png(enlarge(d.image, DISPLAY_SIDE), f"{d.label}-seed{d.seed}", self.pipeline.design_recipe(d)),
                 d.caption) for d in designs]

    def sample(self, classes: list[str] | None, count: float = DEFAULT_DESIGNS, seed: float = DEFAULT_SEED,
               variety: float = DEFAULT_VARIETY) -> list[tuple[str, str]]:
        """Public /sample: gallery of (PNG with recipe, caption) for the requested garment types."""
        return self._gallery(self._designs(classes, count, seed, variety))

    def sample_with_sheet(self, classes, count, seed, variety, progress=gr.Progress()):
        """The UI's generate: the gallery and the downloadable grid from one generator run."""
        progress(0, desc="Drawing designs")
        designs = self._designs(classes, count, seed, variety)
        sheet = save_png(self.pipeline.sample_sheet(designs), "fashiongen-designs",
                         self.pipeline.grid_recipe(designs))
        return self._gallery(designs), sheet

    # -- the same calls, remembered in this browser session's history (a gr.State, per user) --

    def sample_remembered(self, classes: list[str] | None, count: float = DEFAULT_DESIGNS,
                          seed: float = DEFAULT_SEED, variety: float = DEFAULT_VARIETY, history: list | None = None):
        gallery = self.sample(classes, count, seed, variety)
        return gallery, add_to_history(history, *zip(*gallery))

    def sample_with_sheet_remembered(self, classes, count, seed, variety, history, progress=gr.Progress()):
        gallery, sheet = self.sample_with_sheet(classes, count, seed, variety, progress)
        history = add_to_history(history, *zip(*gallery))
        return gallery, sheet, history, history_view(history)

    def restyle_ui_remembered(self, *inputs_and_history, progress=gr.Progress()):
        *inputs, history = inputs_and_history
        image, path = self.restyle_ui(*inputs, progress=progress)
        history = add_to_history(history, [path], [""])
        return image, path, history, history_view(history)

    def stylize_remembered(self, garment: str, pattern: str | None = None, strength: float = 1.0,
                           preserve_colors: bool = False, garment_only: bool = False,
                           pattern_scale: float = DEFAULT_PATTERN_SCALE, output_size: float = DEFAULT_OUTPUT_SIDE,
                           mode: str = "artistic", pattern_angle: float = 0.0, repeats: float = DEFAULT_REPEATS,
                           library_pattern: str | None = None, mask: str | None = None, history: list | None = None):
        path = self.stylize(garment, pattern, strength, preserve_colors, garment_only, pattern_scale, output_size,
                            mode, pattern_angle, repeats, library_pattern, mask)
        return path, add_to_history(history, [path], [""])

    def _frames(self, label, seed_a, seed_b, steps, variety, label_b) -> list[np.ndarray]:
        frames = self.pipeline.morph(MorphRequest(label, whole(seed_a, "Seed A"), whole(seed_b, "Seed B"),
                                                  whole(steps, "Steps"), float(variety), label_b or ""))
        return [enlarge(frame, MORPH_FRAME_SIDE) for frame in frames]

    def morph(self, label: str, seed_a: float, seed_b: float, steps: float = DEFAULT_MORPH_STEPS,
              variety: float = DEFAULT_VARIETY, label_b: str | None = None) -> np.ndarray:
        """A strip of designs walking from (type A, seed A) to (type B, seed B); type B defaults to A."""
        return np.concatenate(self._frames(label, seed_a, seed_b, steps, variety, label_b), axis=1)

    def morph_with_gif(self, label, seed_a, seed_b, steps, variety, label_b):
        """The UI's morph: the strip and an animated GIF of it (there and back)."""
        frames = self._frames(label, seed_a, seed_b, steps, variety, label_b)
        path = output_path("fashiongen-morph", ".gif")
        loop = [Image.fromarray(frame) for frame in frames + frames[-2:0:-1]]
        loop[0].save(path, save_all=True, append_images=loop[1:], duration=120, loop=0)
        return np.concatenate(frames, axis=1), str(path)

    def design_file(self, gallery: list | None, index: int | None) -> str:
        return gallery_path(gallery, index)

    def preview_garment(self, garment: str | None, garment_only: bool = True, mode: str = "artistic"):
        """On upload: the garment preview (what the mask leaves alone dimmed), its automatic mask for
        the brush editor, and a line asking the user to check the mask when it is worth a look."""
        if not garment:
            return None, None, ""
        image = load_upload(garment, "garment")
        found = self.pipeline.auto_mask(image)
        preview = mask_overlay(image, found.mask) if uses_mask(garment_only, mode) else image
        picture = mask_to_image(found.mask)
        note = f"**Check the mask:** {found.warning} Brush white to add, black to remove." if found.warning else ""
        return preview, {"background": picture, "layers": [], "composite": picture}, note

    def mask_preview(self, garment: str | None, mask_edit: dict | None, garment_only: bool, mode: str):
        """After a brush stroke (or a switch of mode or "garment only"): the garment preview again,
        with what the restyle will leave alone dimmed, so a wrong mask shows on the photo itself."""
        if not garment:
            return None
        image = load_upload(garment, "garment")
        mask = painted_mask(mask_edit, (image.shape[1], image.shape[0])) if uses_mask(garment_only, mode) else None
        return image if mask is None else mask_overlay(image, mask)

    def draw_library_pattern(self, kind: str, color_a: str, color_b: str, motif: float, angle: float,
                             seed: float) -> np.ndarray:
        return draw_pattern(library_spec(kind, color_a, color_b, motif, angle, seed), PATTERN_PREVIEW_SIDE,
                            PATTERN_PREVIEW_SIDE)

    def restyle_ui(self, garment: str, pattern_source: str, pattern: str | None, kind: str, color_a: str,
                   color_b: str, motif: float, library_angle: float, pattern_seed: float, mode: str, strength: float,
                   preserve_colors: bool, garment_only: bool, mask_edit: dict | None, pattern_scale: float,
                   repeats: float, pattern_angle: float, output_size: float, progress=gr.Progress()):
        """The UI's run. Returns the result image and its PNG file for the download button."""
        progress(0, desc="Restyling")
        garment_image = load_upload(garment, "garment")
        if pattern_source == "library":
            pattern_input = library_spec(kind, color_a, color_b, motif, library_angle, pattern_seed)
        else:
            pattern_input = load_upload(pattern, "pattern")
        mask = painted_mask(mask_edit) if uses_mask(garment_only, mode) else None
        result = self.pipeline.restyle(RestyleRequest(
            garment_image, pattern_input, mode=mode, strength=float(strength), preserve_colors=bool(preserve_colors),
            garment_only=bool(garment_only), mask=mask, pattern_scale=float(pattern_scale), repeats=float(repeats),
            pattern_angle=float(pattern_angle), output_size=whole(output_size, "Output size")))
        return result.image, save_png(result.image, "fashiongen-restyled", result.recipe)

    def stylize(self, garment: str, pattern: str | None = None, strength: float = 1.0, preserve_colors: bool = False,
                garment_only: bool = False, pattern_scale: float = DEFAULT_PATTERN_SCALE,
                output_size: float = DEFAULT_OUTPUT_SIDE, mode: str = "artistic", pattern_angle: float = 0.0,
                repeats: float = DEFAULT_REPEATS, library_pattern: str | None = None, mask: str | None = None) -> str:
        """Public /stylize: garment file, and a pattern file or ``library_pattern`` (a kind, or JSON
        with kind/scale/angle/seed/colors), optional mask file (white = garment) -> restyled image."""
        garment_image = load_upload(garment, "garment")
        if library_pattern:
            pattern_input = spec_from_json(library_pattern)
        else:
            pattern_input = load_upload(pattern, "pattern")
        mask_array = None
        if mask:
            picture = load_upload(mask, "mask")
            mask_array = image_to_mask(picture, (picture.shape[1], picture.shape[0]))
        result = self.pipeline.restyle(RestyleRequest(
            garment_image, pattern_input, mode=mode or "artistic", strength=float(strength),
            preserve_colors=bool(preserve_colors), garment_only=bool(garment_only), mask=mask_array,
            pattern_scale=float(pattern_scale), repeats=float(repeats), pattern_angle=float(pattern_angle),
            output_size=whole(output_size, "Output size")))
        return save_png(result.image, "fashiongen-restyled", result.recipe)

    def reproduce(self, recipe_file: str | None, garment: str | None = None, pattern: str | None = None,
                  mask: str | None = None) -> tuple[str, str]:
        """A fashiongen PNG (and, for a restyle, its garment and any uploaded pattern or painted
        mask) -> the image made again, as a PNG with its recipe, and a line saying what was done."""
        if not recipe_file:
            raise InputError("Please upload a PNG that fashiongen made.")
        recipe = read_recipe(recipe_file)
        if recipe["kind"] == "trend":
            design = self.pipeline.reproduce_design(recipe)
            image = enlarge(design.image, DISPLAY_SIDE)
            original = load_image(recipe_file)
            same = original.shape == image.shape and np.array_equal(original, image)
            note = (f"{design.caption} regenerated with {recipe['model']['file']}: "
                    + ("identical to the uploaded image." if same else "the uploaded image differs (edited or "
                       "made on another execution provider)."))
            return save_png(image, f"{design.label}-seed{design.seed}", self.pipeline.design_recipe(design)), note
        mask_array = None
        if mask:
            picture = load_upload(mask, "mask")
            mask_array = image_to_mask(picture, (picture.shape[1], picture.shape[0]))
        result = self.pipeline.reproduce_restyle(recipe, load_upload(garment, "garment"),
                                                 load_upload(pattern, "pattern") if pattern else None, mask_array)
        return (save_png(result.image, "fashiongen-restyled", result.recipe),
                f"Restyled again in {recipe['mode']} mode with the recipe's settings.")


# -- tabs ---------------------------------------------------------------------------------------

def status_markdown(pipeline: Pipeline) -> str:
    names = {"trend": "Trend sampling", "style": "Style transfer", "mask": "Garment mask"}
    return " · ".join(f"**{names[key]}** runs on {line}" if not line.startswith("unavailable")
                      else f"**{names[key]}: {line}**" for key, line in pipeline.status().items())


@dataclass
class TrendTab:
    gallery: gr.Gallery
    selected: gr.State
    restyle_selected: gr.Button


def build_trend_tab(demo: gr.Blocks, handlers: Handlers, history: gr.State, history_gallery: gr.Gallery) -> TrendTab:
    pipeline = handlers.pipeline
    sampler = pipeline.sampler
    classes = sampler.classes if sampler else []
    if sampler is None:
        gr.Markdown(f"**Trend sampling is unavailable:** {pipeline.notices.get('trend')}")
    with gr.Row():
        with gr.Column(scale=1):
            garment_types = gr.CheckboxGroup(classes, label="Garment types (none = all)")
            count = gr.Slider(MIN_DESIGNS, MAX_DESIGNS, value=DEFAULT_DESIGNS, step=1, label="Number of designs",
                              elem_id="count")
            with gr.Row():
                seed = gr.Number(value=DEFAULT_SEED, precision=0, minimum=0, maximum=MAX_SEED, label="Seed")
                new_seed = gr.Button("🎲 New seed", size="sm")
            variety = gr.Slider(MIN_VARIETY, MAX_VARIETY, value=DEFAULT_VARIETY, step=0.05, label="Variety",
                                info="Lower gives safer, more typical designs; higher, more unusual ones.")
            generate = gr.Button("Generate designs", variant="primary", elem_id="generate")
        with gr.Column(scale=3):
            gallery = gr.Gallery(label="Designs", columns=8, height="auto", format="png", object_fit="contain",
                                 interactive=False, elem_id="designs")
            gr.Markdown(f"Designs are {sampler.resolution}x{sampler.resolution} model outputs, shown enlarged. "
                        "Click one, then restyle it." if sampler else "")
            with gr.Row():
                sheet = gr.DownloadButton("Download grid (PNG)", size="sm")
                restyle_selected = gr.Button("Restyle this design →", size="sm")
    with gr.Accordion("Morph between two designs (seeds and garment types)", open=False):
        gr.Markdown("Walk from design A to design B. With two garment types the frames in between mix them: "
                    "the middle frame of Dress -> Skirt is halfway between a dress and a skirt.")
        with gr.Row():
            morph_type = gr.Dropdown(classes, value=classes[0] if classes else None, label="Garment type A")
            seed_a = gr.Number(value=1, precision=0, minimum=0, maximum=MAX_SEED, label="Seed A")
            morph_type_b = gr.Dropdown(classes, value=classes[0] if classes else None, label="Garment type B")
            seed_b = gr.Number(value=2, precision=0, minimum=0, maximum=MAX_SEED, label="Seed B")
            steps = gr.Slider(MIN_MORPH_STEPS, MAX_MORPH_STEPS, value=DEFAULT_MORPH_STEPS, step=1, label="Steps")
            morph_button = gr.Button("Morph", elem_id="morph")
        morph_strip = gr.Image(label="Morph strip", format="png", interactive=False, elem_id="morph-strip")
        morph_gif = gr.DownloadButton("Download as animated GIF", size="sm")
        api_morph = gr.Button(visible=False)  # carries the public /morph endpoint (strip only)
    selected = gr.State(None)
    api_sample = gr.Button(visible=False)  # carries the public /sample endpoint (gallery only)

    new_seed.click(lambda: int.from_bytes(os.urandom(4), "little") % MAX_SEED, outputs=seed, api_visibility="private")
    sample_inputs = [garment_types, count, seed, variety]
    generate.click(user_errors(handlers.sample_with_sheet_remembered), [*sample_inputs, history],
                   [gallery, sheet, history, history_gallery], api_visibility="private", concurrency_id="trend",
                   concurrency_limit=1)
    if sampler is not None:  # a first-time visitor sees designs before touching a control
        demo.load(user_errors(handlers.sample_with_sheet), sample_inputs, [gallery, sheet], api_visibility="private",
                  concurrency_id="trend")
    api_sample.click(user_errors(handlers.sample_remembered), [*sample_inputs, history], [gallery, history],
                     api_name="sample", concurrency_id="trend")
    morph_inputs = [morph_type, seed_a, seed_b, steps, variety, morph_type_b]
    morph_button.click(user_errors(handlers.morph_with_gif), morph_inputs, [morph_strip, morph_gif],
                       api_visibility="private", concurrency_id="trend")
    api_morph.click(user_errors(handlers.morph), morph_inputs, morph_strip, api_name="morph", concurrency_id="trend")
    # Unqueued: the selection must land before a quick click on "Restyle this design".
    gallery.select(_selected_index, None, selected, api_visibility="private", queue=False)
    return TrendTab(gallery, selected, restyle_selected)


@dataclass
class StyleTab:
    garment_file: gr.File


def build_style_tab(handlers: Handlers, history: gr.State, history_gallery: gr.Gallery) -> StyleTab:
    pipeline = handlers.pipeline
    if pipeline.stylizer is None:
        gr.Markdown(f"**Style transfer is unavailable:** {pipeline.notices.get('style')} Print mode still works.")
    gr.Markdown(f"Upload a garment photo and a pattern (PNG, JPEG, WebP, GIF, BMP or TIFF; up to {MAX_UPLOAD_MB} MB "
                f"and {MAX_PIXELS // 1_000_000} megapixels), or draw one from the library. Output is "
                f"{MIN_OUTPUT_SIDE}-{MAX_OUTPUT_SIDE} px on the long side.")
    with gr.Row():
        with gr.Column():
            garment_file = gr.File(label="Garment photo", file_types=["image"], elem_id="garment-upload")
            garment_preview = gr.Image(label="Garment (dimmed: stays as it is)", interactive=False, height=260,
                                       format="png", elem_id="garment-preview")
            mask_note = gr.Markdown(elem_id="mask-note")
        with gr.Column():
            pattern_source = gr.Radio(PATTERN_SOURCES, value="upload", label="Pattern from", elem_id="pattern-source")
            pattern_file = gr.File(label="Pattern, print or painting", file_types=["image"], elem_id="pattern-upload")
            with gr.Group(visible=False) as library:
                kind = gr.Dropdown([(name.replace("_", " ").capitalize(), name) for name in KINDS], value="tartan",
                                   label="Pattern", elem_id="library-kind")
                with gr.Row():
                    color_a = gr.ColorPicker(_hex(DEFAULT_COLORS["tartan"][0]), label="Colour 1")
                    color_b = gr.ColorPicker(_hex(DEFAULT_COLORS["tartan"][1]), label="Colour 2")
                motif = gr.Slider(MIN_MOTIF, MAX_MOTIF, value=DEFAULT_MOTIF, step=1, label="Motif size (px, preview)")
                library_angle = gr.Slider(0, 180, value=0, step=5, label="Angle (°)")
                pattern_seed = gr.Number(value=0, precision=0, minimum=0, label="Seed (organic patterns)")
            library_preview = gr.Image(label="Library pattern", interactive=False, height=200, format="png",
                                       visible=False)
        with gr.Column():
            mode = gr.Radio(MODES, value="artistic", label="Mode", elem_id="mode")
            gr.Markdown(MODE_HELP)
            strength = gr.Slider(0, 1, value=1.0, step=0.05, label="Strength")
            preserve = gr.Checkbox(False, label="Preserve garment colours (pattern light and dark only)")
            garment_only = gr.Checkbox(True, label="Garment only (keep the background)", visible=True)
            scale = gr.Slider(MIN_PATTERN_SCALE, MAX_PATTERN_SCALE, value=DEFAULT_PATTERN_SCALE, step=0.25,
                              label="Pattern scale", info="How large the motif appears on the garment.")
            repeats = gr.Slider(MIN_REPEATS, MAX_REPEATS, value=DEFAULT_REPEATS, step=0.5, visible=False,
                                label="Repeats across the garment", info="How many pattern repeats span its width.")
            pattern_angle = gr.Slider(MIN_PATTERN_ANGLE, MAX_PATTERN_ANGLE, value=0, step=5, label="Pattern angle (°)",
                                      visible=False)
            output_size = gr.Slider(MIN_OUTPUT_SIDE, MAX_OUTPUT_SIDE, value=DEFAULT_OUTPUT_SIDE, step=32,
                                    label="Output size (long side, px)")
            run = gr.Button("Restyle", variant="primary", elem_id="restyle")
    with gr.Row():
        mask_editor = gr.ImageEditor(label="Garment mask (white = restyle, black = keep). Brush to correct.",
                                     sources=(), type="numpy", image_mode="RGB", layers=False, transforms=(),
                                     brush=gr.Brush(colors=["#ffffff", "#000000"], color_mode="fixed"),
                                     height=360, format="png")
        result = gr.Image(label="Restyled garment", format="png", interactive=False,
                          buttons=["download", "fullscreen"], elem_id="result", height=360)
    result_file = gr.DownloadButton("Download PNG", size="sm")
    # Hidden inputs that only the public /stylize endpoint fills.
    api_run = gr.Button(visible=False)
    api_library = gr.Textbox(visible=False)
    api_mask = gr.File(visible=False)
    api_result = gr.Image(type="filepath", format="png", visible=False)  # /stylize's PNG, recipe inside
    example_garment = gr.Image(type="filepath", visible=False, label="Garment")
    example_pattern = gr.Image(type="filepath", visible=False, label="Pattern")
    garments = sorted(EXAMPLES_DIR.glob("garment-*.png")) if EXAMPLES_DIR.is_dir() else []
    patterns = sorted(EXAMPLES_DIR.glob("pattern-*.png")) if EXAMPLES_DIR.is_dir() else []
    if garments and patterns:
        gr.Examples([[str(g), str(p)] for g, p in zip(garments, patterns)], inputs=[example_garment, example_pattern],
                    label="Examples (designs from our trend model, patterns from our library): click one, then Restyle")

    # An example fills the uploads (as a user's own files would) and picks print mode for its textile.
    example_garment.change(lambda path: path, example_garment, garment_file, api_visibility="private")
    example_pattern.change(lambda path: (path, "upload", "print"), example_pattern,
                           [pattern_file, pattern_source, mode], api_visibility="private")
    garment_file.change(user_errors(handlers.preview_garment), [garment_file, garment_only, mode],
                        [garment_preview, mask_editor, mask_note], api_visibility="private")
    # The preview follows the brush and the switches, so a mask that takes in floor or loses a sleeve
    # shows on the photo, where it is easy to see, not only on the black-and-white mask.
    gr.on([mask_editor.change, garment_only.change, mode.change], user_errors(handlers.mask_preview),
          [garment_file, mask_editor, garment_only, mode], garment_preview, api_visibility="private",
          show_progress="hidden")

    def show_source(source: str):
        # Library textiles default to print; an upload (often a painting) to artistic. The user can switch.
        is_library = source == "library"
        return (gr.File(visible=not is_library), gr.Group(visible=is_library), gr.Image(visible=is_library),
                "print" if is_library else "artistic")

    pattern_source.change(show_source, pattern_source, [pattern_file, library, library_preview, mode],
                          api_visibility="private")

    def show_mode(chosen: str):
        is_print = chosen == "print"
        return (gr.Slider(visible=is_print), gr.Slider(visible=is_print), gr.Slider(visible=not is_print),
                gr.Checkbox(visible=not is_print))

    mode.change(show_mode, mode, [repeats, pattern_angle, scale, garment_only], api_visibility="private")
    library_inputs = [kind, color_a, color_b, motif, library_angle, pattern_seed]
    kind.change(lambda k: (_hex(DEFAULT_COLORS[k][0]), _hex(DEFAULT_COLORS[k][1])), kind, [color_a, color_b],
                api_visibility="private")
    gr.on([pattern_source.change, kind.change, color_a.change, color_b.change, motif.release, library_angle.release,
           pattern_seed.change], user_errors(handlers.draw_library_pattern), library_inputs, library_preview,
          api_visibility="private")
    run.click(user_errors(handlers.restyle_ui_remembered),
              [garment_file, pattern_source, pattern_file, *library_inputs, mode, strength, preserve, garment_only,
               mask_editor, scale, repeats, pattern_angle, output_size, history],
              [result, result_file, history, history_gallery], api_visibility="private", concurrency_id="style",
              concurrency_limit=1)
    api_run.click(user_errors(handlers.stylize_remembered),
                  [garment_file, pattern_file, strength, preserve, garment_only, scale, output_size, mode,
                   pattern_angle, repeats, api_library, api_mask, history],
                  [api_result, history], api_name="stylize", concurrency_id="style")
    return StyleTab(garment_file)


def build_reproduce_tab(handlers: Handlers) -> None:
    gr.Markdown("Every PNG fashiongen writes carries its recipe (model version, class, seed, every control). "
                "Upload one to make it again; for a restyle, add the garment photo it was made from (and the "
                "uploaded pattern or painted mask, if it used them).")
    with gr.Row():
        with gr.Column():
            recipe_file = gr.File(label="A PNG from fashiongen", file_types=[".png"], elem_id="recipe-upload")
            with gr.Accordion("For a restyle", open=False):
                garment = gr.File(label="Garment photo", file_types=["image"])
                pattern = gr.File(label="Uploaded pattern (library patterns are redrawn)", file_types=["image"])
                mask = gr.File(label="Painted mask (white = garment), if one was used", file_types=["image"])
            run = gr.Button("Reproduce", variant="primary", elem_id="reproduce")
        with gr.Column():
            result = gr.Image(label="Made again", type="filepath", format="png", interactive=False,
                              elem_id="reproduced")
            note = gr.Markdown(elem_id="reproduce-note")
    run.click(user_errors(handlers.reproduce), [recipe_file, garment, pattern, mask], [result, note],
              api_name="reproduce", concurrency_id="style")


def build_history(history: gr.State) -> gr.Gallery:
    """This browser session's outputs, newest first (gr.State: one user never sees another's)."""
    with gr.Accordion("Session history", open=False):
        view = gr.Gallery(label="Your designs and restyles in this session, newest first", columns=8, height="auto",
                          interactive=False, elem_id="history")
        download = gr.DownloadButton("Download history (zip, recipes inside)", size="sm")
        api_history = gr.Button(visible=False)  # carries /history: this session's recipes, newest first
        recipes = gr.JSON(visible=False)
    download.click(user_errors(history_zip), history, download, api_visibility="private")
    api_history.click(lambda entries: [entry["recipe"] for entry in entries or []], history, recipes,
                      api_name="history")
    return view


def build_demo(pipeline: Pipeline) -> gr.Blocks:
    """The UI over ``pipeline``; API endpoints /sample, /morph, /stylize and /reproduce."""
    handlers = Handlers(pipeline)
    with gr.Blocks(title="fashiongen", delete_cache=(3600, OUTPUT_MAX_AGE_S)) as demo:
        gr.Markdown("# fashiongen\nAI-assisted fashion ideation: sample new garment designs, then restyle garments "
                    "with any pattern, print or painting.")
        gr.Markdown(status_markdown(pipeline), elem_id="provider-status")
        history = gr.State([])  # per browser session
        with gr.Tabs() as tabs:
            with gr.Tab("Trend sampling", id="trend"):
                trend_slot = gr.Column()
            with gr.Tab("Style transfer", id="style"):
                style_slot = gr.Column()
            with gr.Tab("Reproduce", id="reproduce"):
                build_reproduce_tab(handlers)
        history_gallery = build_history(history)
        with trend_slot:
            trend = build_trend_tab(demo, handlers, history, history_gallery)
        with style_slot:
            style = build_style_tab(handlers, history, history_gallery)
        trend.restyle_selected.click(user_errors(handlers.design_file), [trend.gallery, trend.selected],
                                     style.garment_file, api_visibility="private").success(
            lambda: gr.Tabs(selected="style"), None, tabs, api_visibility="private")
    demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=1)
    return demo


def _selected_index(event: gr.SelectData) -> int:
    return event.index


# Gradio draws a gallery caption over the bottom of its picture; on a grid of designs that hides hems,
# trouser legs and soles, the parts that tell a skirt from shorts. Here the caption sits below the picture.
# And its fixed column count (8) runs off a phone's screen, hiding five designs in eight: narrow screens
# get as many columns as fit.
GALLERY_CSS = """
:is(#designs, #history) .thumbnail-lg { display: flex; flex-direction: column; }
:is(#designs, #history) .thumbnail-lg > img { flex: 1 1 0; min-height: 0; }
:is(#designs, #history) .caption-label { position: static; flex: none; max-width: 100%; border: none;
    background: none; text-align: center; }
@media (max-width: 720px) {
    :is(#designs, #history) .grid-container { grid-template-columns: repeat(auto-fill, minmax(96px, 1fr)); }
}
"""


def launch(demo: gr.Blocks, **kwargs) -> None:
    demo.launch(server_name=os.environ.get("GRADIO_SERVER_NAME", "0.0.0.0"),
                server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
                max_file_size=MAX_FILE_SIZE, show_error=True, css=GALLERY_CSS, **kwargs)


# FASHIONGEN_CHECKPOINT_DIR points the app at another folder of exported models (tests use it).
pipeline = Pipeline.from_checkpoints(os.environ.get("FASHIONGEN_CHECKPOINT_DIR") or CHECKPOINT_DIR)
if pipeline.sampler is None and pipeline.stylizer is None:
    logger.critical("Neither model could be loaded; refusing to start.\n%s", "\n".join(pipeline.notices.values()))
    if __name__ == "__main__":
        sys.exit(1)
demo = build_demo(pipeline)

if __name__ == "__main__":
    launch(demo)
