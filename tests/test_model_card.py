"""Model cards are written from the checkpoint, the ONNX file and the last recorded evaluation."""

from __future__ import annotations

import json
import shutil

from export.model_card import write_model_cards
from fashiongen.training.runs import save_slim_checkpoint


def test_card_reports_what_the_files_say(tmp_path, tiny_trend_model):
    onnx_path, classes = tiny_trend_model
    shutil.copy(onnx_path, tmp_path / "trend_generator.onnx")
    config = {"arch": "projection", "loss": "hinge", "diffaug": "translation", "class_loss_weight": 0.5,
              "ema_decay": 0.999, "g_width": 16, "d_width": 8, "batch_size": 4}
    save_slim_checkpoint(tmp_path / "trend_generator.pt", model={}, config=config, step=123,
                         extra={"classes": classes, "cpu_seconds": 7200.0})
    text = write_model_cards(tmp_path).read_text()
    assert "123 steps (492 images seen), 2.00 CPU-hours" in text and "Dress, Hat, T-Shirt" in text
    assert "fashiongen.prepare:prepare_photo" in text and "no evaluation recorded" in text
    assert "Style network" not in text  # no style model in this folder: no card for it
    (tmp_path / "trend_generator.eval.json").write_text(json.dumps(
        {"date": "2026-11-24", "command": "evaluate", "metrics": {"FD/floor": 1.9}, "failures": "Hat"}))
    text = write_model_cards(tmp_path).read_text()
    assert "FD/floor 1.9" in text and "Known failure cases: Hat" in text
