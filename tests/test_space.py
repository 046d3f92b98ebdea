"""The Hugging Face Space deploy (``export/space.py``): exactly the files the Space needs, and they alone
run the app."""

from __future__ import annotations

import shutil

from gradio_client import Client, handle_file

from export.space import MAX_PLAIN_GIT_BYTES, SPACE_GLOBS, space_files
from fashiongen.devtools import ROOT, draw_garment, start_app, stop_app


def test_the_space_gets_the_app_and_its_models_but_no_training_state():
    files = [path.as_posix() for path in space_files()]
    for needed in ("README.md", "app.py", "requirements.txt", "fashiongen/pipeline.py",
                   "checkpoints/trend_generator.onnx", "checkpoints/style_transfer.onnx",
                   "checkpoints/garment_segmenter.onnx", "checkpoints/garment_grower.onnx"):
        assert needed in files
    assert not [name for name in files if name.startswith(("resume/", "runs/", "tests/", "benchmarks/", "docs/"))]
    assert not [name for name in files if name.endswith(".pt")]  # slim training checkpoints stay behind
    # Every file can also go to the Space by plain git push (no Git LFS).
    sizes = {name: (ROOT / name).stat().st_size for name in files}
    too_big = {name: size for name, size in sizes.items() if size > MAX_PLAIN_GIT_BYTES}
    assert not too_big, too_big
    assert "app.py" in SPACE_GLOBS and "requirements.txt" in SPACE_GLOBS


def test_the_space_files_alone_run_the_app(tmp_path, image_file):
    for path in space_files():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / path, tmp_path / path)
    process, url = start_app(root=tmp_path, lifetime_s=300)
    try:
        client = Client(url, verbose=False)
        gallery = client.predict(classes=["Dress"], count=2, seed=3, api_name="/sample")
        assert len(gallery) == 2
        restyled = client.predict(garment=handle_file(image_file(draw_garment(), "garment.png")), mode="print",
                                  library_pattern="tartan", api_name="/stylize")
        assert restyled
    finally:
        log = stop_app(process)
    # The models that ran are the copies in the Space's folder, not the checkout's.
    assert f"{tmp_path}/checkpoints/trend_generator.onnx runs on" in log, log[-2000:]
    assert f"{ROOT}/checkpoints" not in log
