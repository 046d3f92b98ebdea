"""fashiongen web app: trend sampling and garment restyling (Gradio, onnxruntime, no torch).

    python app.py            # serves on 0.0.0.0:7860 (GRADIO_SERVER_NAME / GRADIO_SERVER_PORT override)

Models load once, at import, from ``checkpoints/``. If one of the two ONNX files is missing or
corrupt the other tab still serves and the broken tab says which file and how to restore it;
with both broken the app refuses to start.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import gradio as gr

from fashiongen.images import MAX_PIXELS
from fashiongen.patterns import DEFAULT_COLORS, KINDS
from fashiongen.restyle import (DEFAULT_OUTPUT_SIDE, MAX_OUTPUT_SIDE, MAX_PATTERN_SCALE, MIN_OUTPUT_SIDE,
                                MIN_PATTERN_SCALE)
from fashiongen.service import CHECKPOINT_DIR, Service
from fashiongen.trends import MAX_DESIGNS, MAX_SEED

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
logger = logging.getLogger("fashiongen")

EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"
MAX_FILE_SIZE = "15mb"
# One inference at a time per model: each already uses every core, and a queue keeps a small
# shared machine responsive instead of thrashing. max_size bounds memory under load.
QUEUE_SIZE = 64


def _hex(color: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*color)


def build_demo(service: Service) -> gr.Blocks:
    """The two-tab UI over ``service``; API endpoints /sample and /stylize."""
    classes = service.sampler.classes if service.sampler else []
    with gr.Blocks(title="fashiongen") as demo:
        gr.Markdown("# fashiongen\nAI-assisted fashion ideation: sample new garment designs, then restyle garments "
                    "with any pattern, print or painting.")
        gr.Markdown(service.status_markdown(), elem_id="provider-status")
        with gr.Tabs() as tabs:
            with gr.Tab("Trend sampling", id="trend"):
                if service.sampler is None:
                    gr.Markdown(f"**Trend sampling is unavailable:** {service.notices.get('trend')}")
                with gr.Row():
                    with gr.Column(scale=1):
                        garment_types = gr.CheckboxGroup(classes, label="Garment types (none = all)")
                        count = gr.Slider(1, MAX_DESIGNS, value=16, step=1, label="Number of designs", elem_id="count")
                        with gr.Row():
                            seed = gr.Number(value=42, precision=0, minimum=0, maximum=MAX_SEED, label="Seed")
                            new_seed = gr.Button("🎲 New seed", size="sm")
                        variety = gr.Slider(0.1, 1.0, value=0.8, step=0.05, label="Variety",
                                            info="Lower gives safer, more typical designs; higher, more unusual ones.")
                        generate = gr.Button("Generate designs", variant="primary", elem_id="generate")
                    with gr.Column(scale=3):
                        gallery = gr.Gallery(label="Designs", columns=8, height="auto", format="png",
                                             object_fit="contain", elem_id="designs")
                        gr.Markdown(f"Designs are {service.sampler.resolution}x{service.sampler.resolution} model "
                                    "outputs, shown enlarged. Click one, then restyle it." if service.sampler else "")
                        with gr.Row():
                            sheet = gr.DownloadButton("Download grid (PNG)", interactive=True, size="sm")
                            restyle_selected = gr.Button("Restyle this design →", size="sm")
                with gr.Accordion("Morph between two seeds", open=False):
                    with gr.Row():
                        morph_type = gr.Dropdown(classes, value=classes[0] if classes else None, label="Garment type")
                        seed_a = gr.Number(value=1, precision=0, minimum=0, maximum=MAX_SEED, label="Seed A")
                        seed_b = gr.Number(value=2, precision=0, minimum=0, maximum=MAX_SEED, label="Seed B")
                        steps = gr.Slider(2, 16, value=8, step=1, label="Steps")
                        morph_button = gr.Button("Morph")
                    morph_strip = gr.Image(label="Morph strip", format="png", interactive=False)
                selected = gr.State(None)

            with gr.Tab("Style transfer", id="style"):
                if service.stylizer is None:
                    gr.Markdown(f"**Style transfer is unavailable:** {service.notices.get('style')}")
                gr.Markdown(f"Upload a garment photo and a pattern (PNG, JPEG, WebP, GIF, BMP or TIFF; up to "
                            f"{MAX_FILE_SIZE.upper()} and {MAX_PIXELS // 1_000_000} megapixels). Output is "
                            f"{MIN_OUTPUT_SIDE}-{MAX_OUTPUT_SIDE} px on the long side.")
                with gr.Row():
                    with gr.Column():
                        garment_file = gr.File(label="Garment photo", file_types=["image"], elem_id="garment-upload")
                        garment_preview = gr.Image(label="Garment", interactive=False, height=260, format="png",
                                                   elem_id="garment-preview")
                    with gr.Column():
                        pattern_source = gr.Radio(["Upload", "Library"], value="Upload", label="Pattern from")
                        pattern_file = gr.File(label="Pattern, print or painting", file_types=["image"],
                                               elem_id="pattern-upload")
                        with gr.Group(visible=False) as library:
                            kind = gr.Dropdown(list(KINDS), value="tartan", label="Pattern")
                            with gr.Row():
                                color_a = gr.ColorPicker(_hex(DEFAULT_COLORS["tartan"][0]), label="Colour 1")
                                color_b = gr.ColorPicker(_hex(DEFAULT_COLORS["tartan"][1]), label="Colour 2")
                            motif = gr.Slider(8, 128, value=40, step=1, label="Motif size (px)")
                            angle = gr.Slider(0, 180, value=0, step=5, label="Angle (°)")
                            pattern_seed = gr.Number(value=0, precision=0, minimum=0, label="Seed (organic patterns)")
                        library_preview = gr.Image(label="Library pattern", interactive=False, height=200,
                                                   format="png", visible=False)
                    with gr.Column():
                        strength = gr.Slider(0, 1, value=1.0, step=0.05, label="Strength")
                        preserve = gr.Checkbox(False, label="Preserve garment colours (pattern texture only)")
                        garment_only = gr.Checkbox(True, label="Garment only (keep the background)")
                        scale = gr.Slider(MIN_PATTERN_SCALE, MAX_PATTERN_SCALE, value=1.0, step=0.25,
                                          label="Pattern scale", info="How large the motif appears on the garment.")
                        output_size = gr.Slider(MIN_OUTPUT_SIDE, MAX_OUTPUT_SIDE, value=DEFAULT_OUTPUT_SIDE, step=32,
                                                label="Output size (long side, px)")
                        run = gr.Button("Restyle", variant="primary", elem_id="restyle")
                with gr.Row():
                    mask_editor = gr.ImageEditor(label="Garment mask (white = restyle, black = keep). Brush to correct.",
                                                 sources=(), type="numpy", image_mode="RGB", layers=False,
                                                 transforms=(), brush=gr.Brush(colors=["#ffffff", "#000000"],
                                                                               color_mode="fixed"),
                                                 height=360, format="png")
                    result = gr.Image(label="Restyled garment", format="png", interactive=False,
                                      buttons=["download", "fullscreen"], elem_id="result", height=360)
                result_file = gr.DownloadButton("Download PNG", size="sm")
                api_run = gr.Button(visible=False)  # carries the public /stylize endpoint
                if service.stylizer is not None and EXAMPLES_DIR.is_dir():
                    pairs = sorted(EXAMPLES_DIR.glob("garment-*.png"))
                    patterns = sorted(EXAMPLES_DIR.glob("pattern-*.png"))
                    if pairs and patterns:
                        gr.Examples([[str(g), str(p)] for g, p in zip(pairs, patterns)], inputs=[garment_file, pattern_file],
                                    outputs=[result], fn=lambda g, p: service.stylize(g, p, 1.0, False, False, 1.0, 384),
                                    cache_examples=True, cache_mode="lazy", label="Examples (project outputs)")

        # -- trend events --
        new_seed.click(lambda: int.from_bytes(os.urandom(4), "little") % MAX_SEED, outputs=seed, api_visibility="private")
        sample_inputs = [garment_types, count, seed, variety]
        generate.click(service.sample, sample_inputs, gallery, api_name="sample", concurrency_id="trend",
                       concurrency_limit=1).success(service.sample_sheet, sample_inputs, sheet, api_visibility="private",
                                                    concurrency_id="trend")
        morph_button.click(service.morph, [morph_type, seed_a, seed_b, steps, variety], morph_strip, api_name="morph",
                           concurrency_id="trend")
        # Unqueued: the selection must land before a quick click on "Restyle this design".
        gallery.select(_selected_index, None, selected, api_visibility="private", queue=False)
        restyle_selected.click(service.design_file, [gallery, selected], garment_file, api_visibility="private").success(
            lambda: gr.Tabs(selected="style"), None, tabs, api_visibility="private")

        # -- style events --
        garment_file.change(service.preview_garment, garment_file, [garment_preview, mask_editor],
                            api_visibility="private")
        pattern_source.change(lambda source: (gr.File(visible=source == "Upload"), gr.Group(visible=source == "Library"),
                                              gr.Image(visible=source == "Library")),
                              pattern_source, [pattern_file, library, library_preview], api_visibility="private")
        library_inputs = [kind, color_a, color_b, motif, angle, pattern_seed]
        kind.change(lambda k: (_hex(DEFAULT_COLORS[k][0]), _hex(DEFAULT_COLORS[k][1])), kind, [color_a, color_b],
                    api_visibility="private")
        gr.on([pattern_source.change, kind.change, color_a.change, color_b.change, motif.release, angle.release,
               pattern_seed.change], service.draw_library_pattern, library_inputs, library_preview,
              api_visibility="private")
        run.click(service.stylize_from_ui, [garment_file, pattern_source, pattern_file, library_preview, strength,
                                            preserve, garment_only, mask_editor, scale, output_size],
                  [result, result_file], api_visibility="private", concurrency_id="style", concurrency_limit=1)
        api_run.click(service.stylize, [garment_file, pattern_file, strength, preserve, garment_only, scale, output_size],
                      result, api_name="stylize", concurrency_id="style")
    demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=1)
    return demo


def _selected_index(event: gr.SelectData) -> int:
    return event.index


def launch(demo: gr.Blocks, **kwargs) -> None:
    demo.launch(server_name=os.environ.get("GRADIO_SERVER_NAME", "0.0.0.0"),
                server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
                max_file_size=MAX_FILE_SIZE, show_error=True, **kwargs)


# FASHIONGEN_CHECKPOINT_DIR points the app at another folder of exported models (tests use it).
service = Service.from_checkpoints(os.environ.get("FASHIONGEN_CHECKPOINT_DIR") or CHECKPOINT_DIR)
if service.sampler is None and service.stylizer is None:
    logger.critical("Neither model could be loaded; refusing to start.\n%s", "\n".join(service.notices.values()))
    if __name__ == "__main__":
        sys.exit(1)
demo = build_demo(service)

if __name__ == "__main__":
    launch(demo)
