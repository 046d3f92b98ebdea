"""The serving pipeline: typed requests in, arrays out, the project's own errors raised.

It knows nothing of Gradio. The web app (``app.py``), the API and scripts build a request, call
one method, and turn :class:`~fashiongen.errors.InputError` / :class:`~fashiongen.errors.ModelUnavailable`
into whatever their users see.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from fashiongen.errors import InputError, ModelUnavailable
from fashiongen.fabric_print import PRINT_VERSION, placement, print_on_garment
from fashiongen.garment_mask import AutoMask, LearnedSegmenter, automatic_mask, mask_version
from fashiongen.images import long_side_size, resize
from fashiongen.limits import (DEFAULT_DESIGNS, DEFAULT_MORPH_STEPS, DEFAULT_OUTPUT_SIDE, DEFAULT_PATTERN_SCALE,
                               DEFAULT_REPEATS, DEFAULT_SEED, DEFAULT_VARIETY, MAX_PATTERN_ANGLE, MAX_REPEATS,
                               MIN_PATTERN_ANGLE, MIN_REPEATS)
from fashiongen.patterns import PatternSpec, draw_pattern
from fashiongen.recipes import sha256_pixels
from fashiongen.restyle import STYLE_SIDE, Stylizer, apply_mask, check_output_size, check_strength, keep_colors
from fashiongen.runtime import ModelFileError, OnnxModel, device_name
from fashiongen.trends import Design, TrendSampler, design_sheet

logger = logging.getLogger("fashiongen")

CHECKPOINT_DIR = Path(__file__).resolve().parent.parent / "checkpoints"
TREND_MODEL = "trend_generator.onnx"
STYLE_MODEL = "style_transfer.onnx"
SEGMENTER_MODEL = "garment_segmenter.onnx"
GROWER_MODEL = "garment_grower.onnx"
MODES = ("print", "artistic")
ORGANIC_KINDS = frozenset({"floral", "marble", "camouflage"})  # library kinds with no exact period


@dataclass(frozen=True)
class SampleRequest:
    classes: tuple[str, ...] = ()        # garment types to cycle through; empty = all
    count: int = DEFAULT_DESIGNS         # number of designs, 1..64
    seed: int = DEFAULT_SEED             # design i uses seed + i
    variety: float = DEFAULT_VARIETY     # 0.05..1: truncation of the noise


@dataclass(frozen=True)
class MorphRequest:
    label: str                           # one garment type
    seed_a: int                          # start design's seed
    seed_b: int                          # end design's seed
    steps: int = DEFAULT_MORPH_STEPS     # frames, 2..16
    variety: float = DEFAULT_VARIETY
    label_b: str = ""                    # end design's garment type ("" = the same): mixes classes on the way


@dataclass(frozen=True)
class RestyleRequest:
    """One restyle. Pixels are (H, W, 3) uint8 RGB; masks (H', W') float32 in [0, 1]."""
    garment: np.ndarray                  # the garment photo
    pattern: np.ndarray | PatternSpec    # uploaded pixels, or a library pattern drawn here from its parameters
    mode: str = "artistic"               # "print" (fabric) or "artistic" (the style network)
    strength: float = 1.0                # 0..1
    preserve_colors: bool = False        # keep the garment's colours, take the pattern's light and dark
    garment_only: bool = False           # artistic: keep the background (print mode always does)
    mask: np.ndarray | None = field(default=None, repr=False)  # painted mask; None: automatic when needed
    pattern_scale: float = DEFAULT_PATTERN_SCALE  # artistic: 0.5..4, how large the motif appears
    repeats: float = DEFAULT_REPEATS     # print: how many pattern repeats span the garment's width
    pattern_angle: float = 0.0           # print: rotation of the laid pattern, degrees
    output_size: int = DEFAULT_OUTPUT_SIDE  # long side of the result, 128..1024


@dataclass(frozen=True)
class RestyleResult:
    image: np.ndarray                    # (H, W, 3) uint8, long side = output_size
    mask: np.ndarray | None              # (H, W) float32 mask that was applied, None if none
    recipe: dict = field(default_factory=dict)  # how to make it again (see fashiongen.recipes)
    mask_warning: str | None = None      # the automatic mask was used and is worth a look (AutoMask.warning)


def whole(value, name: str) -> int:
    """A whole number from a UI or API value (Gradio sends floats); InputError otherwise."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a whole number, got {value!r}") from None
    if not np.isfinite(number) or number != int(number):
        raise InputError(f"{name} must be a whole number, got {value}")
    return int(number)


def library_tile(spec: PatternSpec, period: float) -> np.ndarray:
    """A library pattern drawn as one tile for print mode, ``period`` px per motif.

    Geometric kinds repeat exactly every two motifs, so a 2x2-motif tile is seamless; organic kinds
    (floral, marble, camouflage) get 4x4 motifs and are mirrored by the printer.
    """
    motifs = 4 if spec.kind in ORGANIC_KINDS else 2
    side = max(4, round(period * motifs))
    return draw_pattern(PatternSpec(spec.kind, scale=side / motifs, angle=0.0, seed=spec.seed, colors=spec.colors),
                        side, side)


class Pipeline:
    """The models and every operation the app offers on them.

    ``segmenter`` is the learned garment segmenter behind the automatic mask; without it (a
    missing file) the mask is colour-only GrabCut, and ``notices["mask"]`` says so.
    """

    def __init__(self, sampler: TrendSampler | None, stylizer: Stylizer | None, notices: dict[str, str] | None = None,
                 segmenter: LearnedSegmenter | None = None):
        self.sampler, self.stylizer, self.notices = sampler, stylizer, dict(notices or {})
        self.segmenter = segmenter

    @classmethod
    def from_checkpoints(cls, folder: str | Path = CHECKPOINT_DIR) -> "Pipeline":
        """Load the models; one that fails to load is reported in ``notices`` and its feature disabled
        (the automatic mask falls back to colour-only GrabCut)."""
        folder = Path(folder)
        notices: dict[str, str] = {}
        sampler = stylizer = segmenter = None
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
        try:
            segmenter = LearnedSegmenter(folder / SEGMENTER_MODEL)
        except (ModelFileError, KeyError, ValueError) as error:
            notices["mask"] = f"{error} The automatic garment mask falls back to colour-only GrabCut."
            logger.error("The learned garment mask is disabled: %s", error)
        else:
            try:  # without its grower the learned mask still runs, without the steps that need both networks
                segmenter.grower = LearnedSegmenter(folder / GROWER_MODEL)
            except (ModelFileError, KeyError, ValueError) as error:
                notices["mask"] = (f"{error} The automatic garment mask does not give back parts colour lost "
                                   "nor cut the background both networks are sure of.")
                logger.error("The garment mask's growth step is disabled: %s", error)
        return cls(sampler, stylizer, notices, segmenter)

    # -- status -------------------------------------------------------------------------------

    def status(self) -> dict[str, str]:
        """Per feature: "<provider label> (<provider>) on <device>", or why it is unavailable."""
        lines = {}
        for key, model in (("trend", self.sampler), ("style", self.stylizer), ("mask", self.segmenter)):
            if model is None:
                lines[key] = f"unavailable: {self.notices.get(key, 'model not loaded')}"
            else:
                onnx_model: OnnxModel = model.model
                lines[key] = f"{onnx_model.provider_label} ({onnx_model.provider}) on {device_name(onnx_model.provider)}"
                if key in self.notices:  # it runs, but not all of it (the mask without its grower)
                    lines[key] += f" ({self.notices[key]})"
        return lines

    def _trend(self) -> TrendSampler:
        if self.sampler is None:
            raise ModelUnavailable(f"Trend sampling is unavailable on this server: {self.notices.get('trend')}")
        return self.sampler

    def _style(self) -> Stylizer:
        if self.stylizer is None:
            raise ModelUnavailable(f"Style transfer is unavailable on this server: {self.notices.get('style')}")
        return self.stylizer

    # -- trend sampling -------------------------------------------------------------------------

    def sample(self, request: SampleRequest) -> list[Design]:
        return self._trend().sample(list(request.classes), request.count, request.seed, request.variety)

    def design_recipe(self, design: Design) -> dict:
        """The recipe of one design: model file and hash, class, seed, variety, resolution."""
        sampler = self._trend()
        return {"kind": "trend", "model": {"file": sampler.model.path.name, "sha256": sampler.model.sha256},
                "class": design.label, "seed": design.seed, "variety": design.variety,
                "resolution": sampler.resolution}

    def grid_recipe(self, designs: list[Design]) -> dict:
        """The recipe of a downloaded grid: the model and each design's class, seed and variety."""
        recipes = [self.design_recipe(design) for design in designs]
        return {"kind": "trend-grid", "model": recipes[0]["model"], "resolution": recipes[0]["resolution"],
                "designs": [{key: r[key] for key in ("class", "seed", "variety")} for r in recipes]}

    def reproduce_design(self, recipe: dict) -> Design:
        """Regenerate a design from its recipe: bit-identical on the same execution provider.

        Raises:
            InputError: not a trend recipe, or made by another model file than the one loaded.
        """
        if recipe.get("kind") != "trend":
            raise InputError("This recipe is a restyle, not a trend design; reproduce it with its garment photo.")
        sampler = self._trend()
        _check_model(recipe, sampler.model)
        return sampler.sample([recipe["class"]], 1, int(recipe["seed"]), float(recipe["variety"]))[0]

    def sample_sheet(self, designs: list[Design]) -> np.ndarray:
        """The designs already drawn, as one (H, W, 3) uint8 grid (no second generator run)."""
        if not designs:
            raise InputError("There are no designs to download yet; generate some first.")
        return design_sheet(designs)

    def morph(self, request: MorphRequest) -> list[np.ndarray]:
        if not request.label:
            raise InputError("Pick a garment type for the morph strip.")
        return self._trend().morph(request.label, request.seed_a, request.seed_b, request.steps, request.variety,
                                   request.label_b or None)

    # -- restyling ------------------------------------------------------------------------------

    def auto_mask(self, garment: np.ndarray) -> AutoMask:
        """(H, W, 3) uint8 -> the automatic garment mask ((H, W) float32 ``.mask``, all ones when none is
        found) with its ``.warning`` for the user when it is worth a look."""
        return automatic_mask(garment, segmenter=self.segmenter)

    @property
    def mask_version(self) -> str:
        """The automatic mask's version (recipes made with another are refused, not silently changed)."""
        return mask_version(self.segmenter)

    def restyle(self, request: RestyleRequest) -> RestyleResult:
        """Restyle a garment in print or artistic mode; the one entry point for UI, API and scripts."""
        if request.mode not in MODES:
            raise InputError(f"Mode must be 'print' or 'artistic', got {request.mode!r}")
        result = self._artistic(request) if request.mode == "artistic" else self._print(request)
        return RestyleResult(result.image, result.mask, self._restyle_recipe(request), result.mask_warning)

    def _restyle_recipe(self, request: RestyleRequest) -> dict:
        pattern = request.pattern
        recipe = {"kind": "restyle", "mode": request.mode, "strength": float(request.strength),
                  "preserve_colors": bool(request.preserve_colors), "garment_only": bool(request.garment_only),
                  "pattern_scale": float(request.pattern_scale), "repeats": float(request.repeats),
                  "pattern_angle": float(request.pattern_angle), "output_size": int(request.output_size),
                  "garment_sha256": sha256_pixels(request.garment),
                  "pattern": ({"library": dataclasses.asdict(pattern)} if isinstance(pattern, PatternSpec)
                              else {"upload_sha256": sha256_pixels(pattern)}),
                  "mask": None if request.mask is None else {"sha256": _mask_sha256(request.mask)}}
        if _uses_auto_mask(request):
            recipe["auto_mask"] = self.mask_version
        if request.mode == "artistic":
            model = self._style().model
            recipe["model"] = {"file": model.path.name, "sha256": model.sha256}
        else:
            recipe["print"] = PRINT_VERSION
        return recipe

    def reproduce_restyle(self, recipe: dict, garment: np.ndarray, pattern: np.ndarray | None = None,
                          mask: np.ndarray | None = None) -> RestyleResult:
        """Restyle again from a recipe, given the same garment (and uploaded pattern and painted mask,
        when the recipe used them); each is checked against the hash the recipe holds.

        Raises:
            InputError: not a restyle recipe, another model version, or an input that differs.
        """
        if recipe.get("kind") != "restyle":
            raise InputError("This recipe is a trend design, not a restyle; reproduce it without uploads.")
        if recipe["mode"] == "artistic":
            _check_model(recipe, self._style().model)
        elif recipe["mode"] == "print" and recipe.get("print") != PRINT_VERSION:
            raise InputError("This restyle was made with an earlier version of print mode, so it would not come out "
                             "the same here. Restyle the garment again with the recipe's settings.")
        if sha256_pixels(garment) != recipe["garment_sha256"]:
            raise InputError("This garment photo is not the one the recipe was made from (its pixels differ).")
        if "library" in recipe["pattern"]:
            fields = dict(recipe["pattern"]["library"])
            pattern_input = PatternSpec(**{**fields, "colors": tuple(tuple(c) for c in fields.get("colors", ()))})
        else:
            if pattern is None:
                raise InputError("This restyle used an uploaded pattern; supply that pattern image too.")
            if sha256_pixels(pattern) != recipe["pattern"]["upload_sha256"]:
                raise InputError("This pattern is not the one the recipe was made from (its pixels differ).")
            pattern_input = pattern
        if recipe.get("mask") is not None:
            if mask is None:
                raise InputError("This restyle used a painted mask; supply that mask (white = garment) too.")
            if _mask_sha256(mask) != recipe["mask"]["sha256"]:
                raise InputError("This mask is not the one the recipe was made with (its pixels differ).")
        request = RestyleRequest(
            garment, pattern_input, mode=recipe["mode"], strength=recipe["strength"],
            preserve_colors=recipe["preserve_colors"], garment_only=recipe["garment_only"],
            mask=mask if recipe.get("mask") is not None else None, pattern_scale=recipe["pattern_scale"],
            repeats=recipe["repeats"], pattern_angle=recipe["pattern_angle"], output_size=recipe["output_size"])
        if _uses_auto_mask(request) and recipe.get("auto_mask") != self.mask_version:
            raise InputError("This restyle was made with an earlier version of the automatic garment mask, so it "
                             "would not come out the same here. Restyle the garment again, or paint its mask.")
        return self.restyle(request)

    def _mask_at(self, request: RestyleRequest, target: np.ndarray) -> tuple[np.ndarray, str | None]:
        """The mask for ``target``: the painted one resized, else the automatic one; and the automatic
        mask's warning (None for a painted mask)."""
        height, width = target.shape[:2]
        if request.mask is None:
            found = self.auto_mask(target)
            return found.mask, found.warning
        mask = np.asarray(request.mask, dtype=np.float32)
        if mask.ndim != 2:
            raise InputError(f"The mask must be a single-channel picture, got shape {mask.shape}")
        return np.clip(resize_mask(mask, (width, height)), 0.0, 1.0), None

    def _artistic(self, request: RestyleRequest) -> RestyleResult:
        stylizer = self._style()
        pattern = request.pattern
        if isinstance(pattern, PatternSpec):
            pattern = draw_pattern(pattern, STYLE_SIDE, STYLE_SIDE)
        result = stylizer.stylize(request.garment, pattern, request.strength, preserve_colors=request.preserve_colors,
                                  pattern_scale=request.pattern_scale, output_size=request.output_size)
        mask, warning = None, None
        if request.garment_only or request.mask is not None:
            target = resize(request.garment, (result.shape[1], result.shape[0]))
            mask, warning = self._mask_at(request, target)
            result = apply_mask(result, target, mask)
        return RestyleResult(result, mask, mask_warning=warning)

    def _print(self, request: RestyleRequest) -> RestyleResult:
        _check_print(request)
        height, width = request.garment.shape[:2]
        target = resize(request.garment, long_side_size(height, width, request.output_size))
        mask, warning = self._mask_at(request, target)
        if isinstance(request.pattern, PatternSpec):
            # Library patterns are drawn at their on-garment size: sharp at any scale.
            period = max(2.0, placement(mask).width / request.repeats)
            tile = library_tile(request.pattern, period)
            angle = request.pattern_angle + request.pattern.angle
        else:
            tile, angle = request.pattern, request.pattern_angle
        result = print_on_garment(target, tile, mask, request.repeats, angle, request.strength)
        if request.preserve_colors:
            result = np.where(mask[..., None] > 0, keep_colors(result, target), target).astype(np.uint8)
        return RestyleResult(result, mask, mask_warning=warning)


def _uses_auto_mask(request: RestyleRequest) -> bool:
    """True when the automatic garment mask shapes the result (print mode always masks; artistic with garment only)."""
    return request.mask is None and (request.mode == "print" or request.garment_only)


def _mask_sha256(mask: np.ndarray) -> str:
    """SHA-256 of a (H, W) float mask in [0, 1] at 8-bit precision (what a mask file holds)."""
    return sha256_pixels((np.clip(mask, 0, 1) * 255 + 0.5).astype(np.uint8)[..., None].repeat(3, 2))


def _check_model(recipe: dict, model: OnnxModel) -> None:
    """InputError unless the recipe was made by exactly this model file."""
    made_by = recipe.get("model") or {}
    if made_by.get("sha256") != model.sha256:
        raise InputError(f"This image was made by another version of the model ({made_by.get('file', 'unknown')}, "
                         f"sha256 {str(made_by.get('sha256'))[:12]}...); this server runs {model.path.name} "
                         f"(sha256 {model.sha256[:12]}...), so it would not come out the same.")


def _check_print(request: RestyleRequest) -> None:
    check_strength(request.strength)
    check_output_size(request.output_size)
    if not MIN_REPEATS <= float(request.repeats) <= MAX_REPEATS:
        raise InputError(f"Repeats must be between {MIN_REPEATS:g} and {MAX_REPEATS:g}, got {request.repeats}")
    if not MIN_PATTERN_ANGLE <= float(request.pattern_angle) <= MAX_PATTERN_ANGLE:
        raise InputError(f"Pattern angle must be between {MIN_PATTERN_ANGLE:g} and {MAX_PATTERN_ANGLE:g} degrees, "
                         f"got {request.pattern_angle}")


def resize_mask(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(h, w) float mask -> (H, W) float32 at ``size`` = (W, H), bilinear."""
    if mask.shape == (size[1], size[0]):
        return mask.astype(np.float32)
    return cv2.resize(mask.astype(np.float32), size, interpolation=cv2.INTER_LINEAR)
