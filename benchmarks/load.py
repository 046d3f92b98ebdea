"""Load on the running app (not a test): p50/p95 latency and throughput at 1, 4 and 16 clients,
and the server's memory before and after 200 requests.

    python benchmarks/load.py --requests 200

Starts `python app.py` on 127.0.0.1 (it stops by itself), mixes /sample (16 designs) and
/stylize (512 px) half and half.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from gradio_client import Client, handle_file
from PIL import Image

from fashiongen.patterns import PatternSpec, draw_pattern
from fashiongen.devtools import draw_garment, start_app, stop_app


def rss_mb(pid: int) -> float:
    """Resident memory of the app process (the python child of `timeout`)."""
    import subprocess

    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    target = children[0] if children else str(pid)
    for line in Path(f"/proc/{target}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200, help="requests for the memory check")
    parser.add_argument("--per-level", type=int, default=32, help="requests per concurrency level")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    garment, pattern = folder / "garment.png", folder / "pattern.png"
    Image.fromarray(draw_garment(400, 533)).save(garment)
    Image.fromarray(draw_pattern(PatternSpec("tartan", scale=32), 256, 256)).save(pattern)
    process, url = start_app(lifetime_s=3600)
    try:
        def one(index: int) -> float:
            client = clients[index % len(clients)]
            start = time.perf_counter()
            if index % 2:
                client.predict(classes=[], count=16, seed=index, api_name="/sample")
            else:
                client.predict(garment=handle_file(str(garment)), pattern=handle_file(str(pattern)), strength=1.0,
                               api_name="/stylize")
            return time.perf_counter() - start

        clients = [Client(url, verbose=False) for _ in range(16)]
        one(0), one(1)  # warm-up
        print(f"{'clients':>8}{'requests':>10}{'p50 s':>8}{'p95 s':>8}{'req/s':>8}")
        for level in (1, 4, 16):
            start = time.perf_counter()
            with ThreadPoolExecutor(level) as pool:
                latencies = sorted(pool.map(one, range(args.per_level)))
            elapsed = time.perf_counter() - start
            p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]
            print(f"{level:>8}{len(latencies):>10}{statistics.median(latencies):>8.2f}{p95:>8.2f}"
                  f"{len(latencies) / elapsed:>8.2f}")
        before = rss_mb(process.pid)
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(one, range(args.requests)))
        after = rss_mb(process.pid)
        print(f"\nserver RSS: {before:.0f} MB before, {after:.0f} MB after {args.requests} more requests "
              f"({100 * (after / before - 1):+.1f}%)")
    finally:
        stop_app(process)


if __name__ == "__main__":
    main()
