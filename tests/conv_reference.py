"""Plain nested-loop references for the 2-D layers (tiny inputs only), and a
helper that draws a Conv2d configuration that fits an input shape."""

from __future__ import annotations

import numpy as np


def reference_conv2d(x, weight, bias, stride, padding, dilation):
    """y[n, o, a, b] = bias[o] + sum_{c, i, j} weight[o, c, i, j] * x_pad[n, c, a*sh + i*dh, b*sw + j*dw]."""
    n, c, h, w = x.shape
    o, _, kh, kw = weight.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    x_pad = np.zeros((n, c, h + 2 * ph, w + 2 * pw))
    x_pad[:, :, ph : ph + h, pw : pw + w] = x
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((n, o, oh, ow))
    for s in range(n):
        for out in range(o):
            for a in range(oh):
                for b in range(ow):
                    total = 0.0 if bias is None else float(bias[out])
                    for ch in range(c):
                        for i in range(kh):
                            for j in range(kw):
                                pixel = x_pad[s, ch, a * sh + i * dh, b * sw + j * dw]
                                total += weight[out, ch, i, j] * pixel
                    y[s, out, a, b] = total
    return y


def reference_pool2d(x, kernel, stride, padding, reduce, pad_value):
    """y[n, c, a, b] = reduce(window of x_pad) with the border filled with pad_value."""
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    x_pad = np.full((n, c, h + 2 * ph, w + 2 * pw), pad_value)
    x_pad[:, :, ph : ph + h, pw : pw + w] = x
    oh, ow = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    y = np.zeros((n, c, oh, ow))
    for s in range(n):
        for ch in range(c):
            for a in range(oh):
                for b in range(ow):
                    window = x_pad[s, ch, a * sh : a * sh + kh, b * sw : b * sw + kw]
                    y[s, ch, a, b] = reduce(window)
    return y


def conv_config(rng: np.random.Generator, shape: tuple[int, ...]) -> dict:
    """kernel 1..3, stride 1..2, dilation 1..2, padding 0..2 per side, with the
    padding raised where needed so that the output is not empty."""
    _, _, h, w = shape
    kernel = tuple(int(k) for k in rng.integers(1, 4, size=2))
    stride = tuple(int(s) for s in rng.integers(1, 3, size=2))
    dilation = tuple(int(d) for d in rng.integers(1, 3, size=2))
    padding = []
    for side, k, d, p in zip((h, w), kernel, dilation, rng.integers(0, 3, size=2)):
        extent = d * (k - 1) + 1
        padding.append(max(int(p), -(-(extent - side) // 2)))
    return {
        "kernel_size": kernel,
        "stride": stride,
        "padding": tuple(padding),
        "dilation": dilation,
    }


def distinct_neighbours(x: np.ndarray, reach: int = 2, margin: float = 1e-4) -> bool:
    """True if any two pixels of an image closer than ``reach`` + 1 rows and
    columns differ by more than ``margin``: then no window of a max-pool with
    a kernel up to reach + 1 holds a near-tie that finite differences could
    step across."""
    h, w = x.shape[2:]
    for di in range(reach + 1):
        for dj in range(-reach, reach + 1):
            if (di, dj) <= (0, 0) or di >= h or abs(dj) >= w:
                continue
            a = x[:, :, di:, max(dj, 0) : w + min(dj, 0)]
            b = x[:, :, : h - di, max(-dj, 0) : w - max(dj, 0)]
            if np.any(np.abs(a - b) <= margin):
                return False
    return True
