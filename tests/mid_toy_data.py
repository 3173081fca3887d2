"""Small two-class data with a spurious attribute, shared by the MIDExplorer tests.

Python, Chromium and Voila tests use the same samples, so a behaviour seen in one can be
looked for in the others.
"""

from __future__ import annotations

import numpy as np


def toy_shortcut(n: int = 240, seed: int = 0, image_size: int = 16):
    """(features, logits, labels, groups, images) with groups = label * 2 + attribute.

    Feature 0 carries the label weakly, feature 1 the attribute strongly; the logits lean on
    the attribute, so the minority groups (12 %) sit near the intercept. Images show the
    attribute as colour (red / blue) and the label as a bright or dark bar, so galleries are
    meaningful to look at.
    """
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    spur = np.where(rng.random(n) < 0.12, 1 - y, y)
    x = rng.normal(size=(n, 6)).astype(np.float32)
    x[:, 0] += 2 * y - 1
    x[:, 1] += 3 * (2 * spur - 1)
    logits = (0.5 * x[:, 0] + 1.5 * x[:, 1]).astype(np.float32)
    images = np.zeros((n, image_size, image_size, 3), dtype=np.uint8)
    images[spur == 1, :, :, 2] = 200
    images[spur == 0, :, :, 0] = 200
    bar = slice(image_size // 4, 3 * image_size // 4), slice(image_size // 2 - 1, image_size // 2 + 1)
    images[:, bar[0], bar[1], :] = np.where(y[:, None, None, None] == 1, 255, 40)
    return x, logits, y, y * 2 + spur, images
