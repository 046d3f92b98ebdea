"""Evaluation metrics (PyTorch/numpy side): feature embedding, KID/FD, linear probe, copy check, style metrics."""
