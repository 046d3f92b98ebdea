import cv2
import numpy as np
from fashiongen.metrics.mask_benchmark import Cutout

def _plain_background(side: int, rng: np.random.Generator) -> np.ndarray:
    """A smooth two-colour gradient, the way a sheet or wall looks under uneven light."""
    a = rng.uniform(0, 255, 3)
    b = np.clip(a + rng.normal(0, 25, 3), 0, 255)
    angle = rng.uniform(0, 2 * np.pi)
    ys, xs = np.mgrid[0:side, 0:side] / side
    t = (np.cos(angle) * xs + np.sin(angle) * ys)[..., None]
    t = (t - t.min()) / max(float(np.ptp(t)), 1e-6)
    return (a * (1 - t) + b * t).astype(np.float32)


def _photo_background(backgrounds: list[np.ndarray], side: int, rng: np.random.Generator) -> np.ndarray:
    """A random crop of a stored background, scaled and maybe flipped to (side, side)."""
    source = backgrounds[rng.integers(len(backgrounds))]
    height, width = source.shape[:2]
    crop = int(rng.uniform(0.5, 1.0) * min(height, width))
    y, x = rng.integers(0, height - crop + 1), rng.integers(0, width - crop + 1)
    patch = cv2.resize(source[y:y + crop, x:x + crop], (side, side), interpolation=cv2.INTER_AREA)
    return (patch[:, ::-1] if rng.random() < 0.5 else patch).astype(np.float32)


def make_composite(cutouts: list[Cutout], backgrounds: list[np.ndarray], side: int, rng: np.random.Generator,
                   pair_share: float = 0.3, plain_share: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """One training picture: -> (image (side, side, 3) uint8, mask (side, side) float32 in {0, 1})."""
    plain = rng.random() < plain_share or not backgrounds
    image = _plain_background(side, rng) if plain else _photo_background(backgrounds, side, rng)
    image *= rng.uniform(0.75, 1.2)  # the background's own exposure
    truth = np.zeros((side, side), np.float32)
    pair = rng.random() < pair_share
    for index in range(2 if pair else 1):
        cutout = cutouts[rng.integers(len(cutouts))]
        scale = rng.uniform(0.3, 0.55) if pair else rng.uniform(0.4, 0.95)
        stretch = np.exp(rng.uniform(-0.25, 0.25))
        ch, cw = cutout.mask.shape
        factor = scale * side / max(ch, cw)
        new_w = int(np.clip(round(cw * factor * stretch), 4, side))
        new_h = int(np.clip(round(ch * factor / stretch), 4, side))
        piece = cv2.resize(cutout.image, (new_w, new_h), interpolation=cv2.INTER_AREA).astype(np.float32)
        alpha = cv2.resize(cutout.mask, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
        if rng.random() < 0.5:
            piece, alpha = piece[:, ::-1], alpha[:, ::-1]
        piece = piece * rng.uniform(0.8, 1.2) * rng.uniform(0.92, 1.08, 3)  # exposure and white balance
        if pair:  # side by side, as shoes lie in a photo
            x_low, x_high = (0, side // 2 - new_w // 2) if index == 0 else (side // 2 - new_w // 2, side - new_w)
            x0 = int(rng.integers(max(0, x_low), max(1, x_high + 1)))
        else:
            x0 = int(rng.integers(0, side - new_w + 1))
        y0 = int(rng.integers(0, side - new_h + 1))
        a = alpha[..., None]
        region = image[y0:y0 + new_h, x0:x0 + new_w]
        image[y0:y0 + new_h, x0:x0 + new_w] = piece * a + region * (1 - a)
        truth[y0:y0 + new_h, x0:x0 + new_w] = np.maximum(truth[y0:y0 + new_h, x0:x0 + new_w], alpha > 0.5)
    blur = rng.uniform(0.0, 1.0)
    if blur > 0.3:  # soften the pasted edge like a camera would
        image = cv2.GaussianBlur(image, (0, 0), sigmaX=blur)
    image += rng.normal(0.0, rng.uniform(0.0, 4.0), image.shape)
    return np.clip(image + 0.5, 0, 255).astype(np.uint8), truth


