"""Draw the trend GAN's measured training curves (README and docs figure; reads data, trains nothing).

    python benchmarks/gan_curve.py --out docs/trend_curve.png

Reads ``benchmarks/gan_curve.json``: one point per evaluated snapshot of the main run and of the
DCGAN baseline (FD, probe accuracy, copy ratio), each a row of the tables in
docs/trend-training.md, added there when ``python -m fashiongen.metrics.evaluate_gan`` measured
it. Three panels:
- FD / floor against training images seen (log scale), with the goal's 2x floor;
- probe accuracy on samples / on real photos against images seen, with the goal's 0.8x;
- FD / floor against compute in baseline steps: a main step costs ``step_cost_ratio`` baseline
  steps (measured side by side by ``benchmarks/gan_step_cost.py``; one line per measured
  machine), with "30 % below the baseline" drawn from the baseline's own points.

It also prints the equal-compute table of docs/trend-training.md: for each baseline point, the
main run's FD at the same compute (linear between its points) and how much lower it is; then the
issue's goal, the shipped model against the baseline at the shipped model's compute (the baseline's
FD linear between its two points around it), or how far the baseline still has to train.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

CURVE = Path(__file__).with_name("gan_curve.json")
PANEL = (420, 320)  # (W, H) pixels per panel
MARGIN = (62, 30, 18, 46)  # left, top, right, bottom
MAIN, BASELINE, GOAL, GRID = (200, 40, 90), (40, 90, 200), (120, 120, 120), (225, 225, 225)


class Axes:
    """Maps data to pixels inside one panel; y may be logarithmic."""

    def __init__(self, draw: ImageDraw.ImageDraw, left: int, x_range: tuple[float, float],
                 y_range: tuple[float, float], log_y: bool = False):
        self.draw, self.log_y = draw, log_y
        self.x0, self.y0 = left + MARGIN[0], MARGIN[1]
        self.width = PANEL[0] - MARGIN[0] - MARGIN[2]
        self.height = PANEL[1] - MARGIN[1] - MARGIN[3]
        self.x_range, self.y_range = x_range, y_range

    def _y(self, value: float) -> float:
        low, high = self.y_range
        if self.log_y:
            value, low, high = math.log(value), math.log(low), math.log(high)
        return self.y0 + self.height * (1 - (value - low) / (high - low))

    def point(self, x: float, y: float) -> tuple[float, float]:
        low, high = self.x_range
        return self.x0 + self.width * (x - low) / (high - low), self._y(y)

    def frame(self, font, title: str, x_label: str, x_ticks: list[float], y_ticks: list[float],
              y_format: str = "{:g}") -> None:
        for tick in x_ticks:
            x, _ = self.point(tick, self.y_range[0])
            self.draw.line([(x, self.y0), (x, self.y0 + self.height)], fill=GRID)
            self.draw.text((x, self.y0 + self.height + 4), f"{tick:g}", fill="black", font=font, anchor="ma")
        for tick in y_ticks:
            _, y = self.point(self.x_range[0], tick)
            self.draw.line([(self.x0, y), (self.x0 + self.width, y)], fill=GRID)
            self.draw.text((self.x0 - 4, y), y_format.format(tick), fill="black", font=font, anchor="rm")
        self.draw.rectangle([self.x0, self.y0, self.x0 + self.width, self.y0 + self.height], outline="black")
        self.draw.text((self.x0 + self.width / 2, self.y0 + self.height + 22), x_label, fill="black",
                       font=font, anchor="ma")
        self.draw.text((self.x0, self.y0 - 18), title, fill="black", font=font)

    def line(self, xs: list[float], ys: list[float], colour, width: int = 2, dots: bool = True) -> None:
        points = [self.point(x, y) for x, y in zip(xs, ys)]
        self.draw.line(points, fill=colour, width=width)
        if dots:
            for x, y in points:
                self.draw.ellipse([x - 2.5, y - 2.5, x + 2.5, y + 2.5], fill=colour)

    def dashed(self, y: float, colour, label: str, font, label_left: bool = False) -> None:
        left, y_pixel = self.point(self.x_range[0], y)
        for start in range(int(left), int(left + self.width), 10):
            self.draw.line([(start, y_pixel), (start + 5, y_pixel)], fill=colour, width=1)
        if label_left:
            self.draw.text((left + 4, y_pixel - 3), label, fill=colour, font=font, anchor="lb")
        else:
            self.draw.text((left + self.width - 4, y_pixel - 3), label, fill=colour, font=font, anchor="rb")


def shipped_point(curve: dict) -> dict:
    """The main run's measured point for the shipped snapshot."""
    return next(point for point in curve["runs"]["main"] if point["steps"] == curve["shipped_steps"])


def draw_curves(curve: dict) -> Image.Image:
    """The three panels side by side as an RGB image (3 * PANEL[0] x PANEL[1])."""
    floor, real_probe, batch = curve["floor_fd"], curve["real_probe"], curve["batch"]
    main, baseline = curve["runs"]["main"], curve["runs"]["dcgan"]
    image = Image.new("RGB", (3 * PANEL[0], PANEL[1]), "white")
    draw, font = ImageDraw.Draw(image), ImageFont.load_default(size=12)
    seen = lambda run: [point["steps"] * batch / 1000 for point in run]  # thousands of images
    ratio_fd = lambda run: [point["fd"] / floor for point in run]
    x_max = max(seen(main) + seen(baseline)) * 1.05
    x_ticks = list(range(0, int(x_max) + 1, 200))

    fd_axes = Axes(draw, 0, (0, x_max), (1.5, 16), log_y=True)
    fd_axes.frame(font, "FD / floor (log)", "training images seen (thousands)", x_ticks, [2, 3, 4, 6, 8, 12])
    fd_axes.dashed(2.0, GOAL, "goal: 2x floor", font, label_left=True)
    fd_axes.line(seen(main), ratio_fd(main), MAIN)
    fd_axes.line(seen(baseline), ratio_fd(baseline), BASELINE)

    probe_axes = Axes(draw, PANEL[0], (0, x_max), (0, 1.1))
    probe_axes.frame(font, "probe accuracy / real photos'", "training images seen (thousands)", x_ticks,
                     [0, 0.2, 0.4, 0.6, 0.8, 1.0], "{:.1f}")
    probe_axes.dashed(0.8, GOAL, "goal: 0.8x", font)
    probe_axes.line(seen(main), [point["probe"] / real_probe for point in main], MAIN)
    probe_axes.line(seen(baseline), [point["probe"] / real_probe for point in baseline], BASELINE)

    ratios = curve["step_cost_ratio"]
    compute_max = max(max(point["steps"] for point in main) * max(ratios.values()),
                      max(point["steps"] for point in baseline)) / 1000 * 1.05
    compute_axes = Axes(draw, 2 * PANEL[0], (0, compute_max), (1.5, 16), log_y=True)
    compute_axes.frame(font, "FD / floor at equal compute (log)", "compute (thousands of baseline steps)",
                       list(range(0, int(compute_max) + 1, 10)), [2, 3, 4, 6, 8, 12])
    for index, ratio in enumerate(sorted(ratios.values())):
        compute_axes.line([point["steps"] * ratio / 1000 for point in main], ratio_fd(main), MAIN,
                          width=2 - index, dots=index == 0)
    compute_axes.line([point["steps"] / 1000 for point in baseline], ratio_fd(baseline), BASELINE)
    compute_axes.line([point["steps"] / 1000 for point in baseline], [0.7 * value for value in ratio_fd(baseline)],
                      BASELINE, width=1, dots=False)
    shipped = shipped_point(curve)
    for ratio in ratios.values():
        x, y = compute_axes.point(shipped["steps"] * ratio / 1000, shipped["fd"] / floor)
        draw.rectangle([x - 4, y - 4, x + 4, y + 4], outline=MAIN, width=2)

    legend = [(MAIN, "main (step = 1.72 baseline steps; thin: 1.96)"),
              (BASELINE, "DCGAN baseline (thin: 30 % below)")]
    for index, (colour, text) in enumerate(legend):
        x, y = 2 * PANEL[0] + MARGIN[0] + 60, MARGIN[1] + 8 + 15 * index
        draw.line([(x, y + 6), (x + 18, y + 6)], fill=colour, width=2)
        draw.text((x + 24, y), text, fill="black", font=font)
    return image


def interpolate(run: list[dict], steps: float) -> float | None:
    """FD of ``run`` at ``steps``, linear between its two measured points; None outside them."""
    for before, after in zip(run, run[1:]):
        if before["steps"] <= steps <= after["steps"]:
            share = (steps - before["steps"]) / (after["steps"] - before["steps"])
            return before["fd"] + share * (after["fd"] - before["fd"])
    return None


def equal_compute_rows(curve: dict) -> list[dict]:
    """One row per baseline point and step-cost ratio: the main run's FD at the same compute.

    A main step costs ``ratio`` baseline steps, so ``baseline steps / ratio`` main steps; ``lower``
    is 1 - main FD / baseline FD (the goal asks >= 0.30). Points outside the main curve are left out.
    """
    rows = []
    for point in curve["runs"]["dcgan"]:
        for ratio in sorted(curve["step_cost_ratio"].values()):
            main_steps = point["steps"] / ratio
            main_fd = interpolate(curve["runs"]["main"], main_steps)
            if main_fd is not None:
                rows.append({"baseline_steps": point["steps"], "baseline_fd": point["fd"], "ratio": ratio,
                             "main_steps": main_steps, "main_fd": main_fd, "lower": 1 - main_fd / point["fd"]})
    return rows


def shipped_rows(curve: dict) -> list[dict]:
    """The goal: the shipped model against the baseline at the shipped model's compute, per ratio.

    ``baseline_fd`` is None while the baseline has not yet trained that far.
    """
    shipped = shipped_point(curve)
    rows = []
    for ratio in sorted(curve["step_cost_ratio"].values()):
        steps = shipped["steps"] * ratio
        baseline_fd = interpolate(curve["runs"]["dcgan"], steps)
        rows.append({"ratio": ratio, "baseline_steps": steps, "baseline_fd": baseline_fd, "shipped_fd": shipped["fd"],
                     "lower": None if baseline_fd is None else 1 - shipped["fd"] / baseline_fd})
    return rows


def print_tables(curve: dict) -> None:
    """The equal-compute table and the goal's rows, as Markdown."""
    print("| baseline steps | baseline FD | ratio | main steps | main FD | lower by |")
    print("| --- | --- | --- | --- | --- | --- |")
    for row in equal_compute_rows(curve):
        print(f"| {row['baseline_steps']:,} | {row['baseline_fd']:,} | {row['ratio']} | {row['main_steps']:,.0f} | "
              f"{row['main_fd']:,.0f} | {row['lower']:.1%} |")
    last = curve["runs"]["dcgan"][-1]["steps"]
    for row in shipped_rows(curve):
        where = f"shipped model ({curve['shipped_steps']:,} main steps = {row['baseline_steps']:,.0f} baseline steps at {row['ratio']})"
        if row["baseline_fd"] is None:
            print(f"{where}: baseline measured to {last:,} steps only")
        else:
            print(f"{where}: FD {row['shipped_fd']:,} against the baseline's {row['baseline_fd']:,.0f}: "
                  f"{row['lower']:.1%} lower (goal 30 %)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--curve", default=str(CURVE), help="measured points (JSON)")
    parser.add_argument("--out", default="docs/trend_curve.png")
    args = parser.parse_args(argv)
    curve = json.loads(Path(args.curve).read_text())
    draw_curves(curve).save(args.out)
    print(f"wrote {args.out}")
    print_tables(curve)


if __name__ == "__main__":
    main()
