"""Trend sampling speed: time to first request, and a 16-design grid via onnxruntime vs PyTorch eager.

    python benchmarks/bench_trend.py --repeats 30

Both grids run in this one process, interleaved, on the same noise; the table gives medians
and the ratio. Time to first request starts `python app.py` as a new process and waits until
it answers HTTP and until a first /sample call returns.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def time_to_first_request() -> tuple[float, float]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port)}
    start = time.perf_counter()
    process = subprocess.Popen(["timeout", "120", sys.executable, "app.py"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        while True:
            try:
                urllib.request.urlopen(url, timeout=1)
                break
            except OSError:
                if process.poll() is not None or time.perf_counter() - start > 110:
                    raise RuntimeError("app did not start")
                time.sleep(0.05)
        ready = time.perf_counter() - start
        from gradio_client import Client

        Client(url, verbose=False).predict(classes=[], count=16, seed=0, api_name="/sample")
        first = time.perf_counter() - start
    finally:
        process.terminate()
        process.wait(timeout=20)
    return ready, first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--count", type=int, default=16)
    args = parser.parse_args()

    import numpy as np
    import torch

    from fashiongen.training.runs import load_generator
    from fashiongen.trends import TrendSampler

    ready, first = time_to_first_request()
    sampler = TrendSampler(ROOT / "checkpoints" / "trend_generator.onnx")
    generator, gan, classes, _ = load_generator(ROOT / "checkpoints" / "trend_generator.pt")
    torch.set_num_threads(os.cpu_count() or 1)
    z = np.stack([sampler.noise(seed, 0.8) for seed in range(args.count)])
    class_weights = np.eye(len(classes), dtype=np.float32)[np.arange(args.count) % len(classes)]  # one-hot rows
    timings = {"onnxruntime (TrendSampler.sample)": [], "onnxruntime (network only)": [], "PyTorch eager (network only)": []}
    for _ in range(3):  # warm-up
        sampler.sample(None, args.count, 0, 0.8)
    for _ in range(args.repeats):
        start = time.perf_counter(); sampler.sample(None, args.count, 0, 0.8)
        timings["onnxruntime (TrendSampler.sample)"].append(time.perf_counter() - start)
        start = time.perf_counter(); sampler.model.run(z=z, class_weights=class_weights)
        timings["onnxruntime (network only)"].append(time.perf_counter() - start)
        start = time.perf_counter()
        with torch.no_grad():
            generator(torch.from_numpy(z), torch.from_numpy(class_weights))
        timings["PyTorch eager (network only)"].append(time.perf_counter() - start)
    print(f"app process start -> HTTP ready: {ready:.2f} s; -> first 16-design /sample answered: {first:.2f} s\n")
    print(f"{args.count}-design grid, {gan.resolution}x{gan.resolution}, median of {args.repeats} "
          f"(provider {sampler.model.provider}, torch threads {torch.get_num_threads()})")
    print(f"{'path':<36}{'median ms':>10}{'vs eager':>10}")
    eager = statistics.median(timings["PyTorch eager (network only)"])
    for name, values in timings.items():
        median = statistics.median(values)
        print(f"{name:<36}{median * 1000:>10.1f}{median / eager:>10.2f}x")


if __name__ == "__main__":
    main()
