"""minitorch_np.testing.image_shapes: NCHW shapes for testing 2-D layers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

from minitorch_np.layers import Conv2d, Layer
from minitorch_np.testing import check_layer, image_shapes


@given(image_shapes(max_batch=2, max_channels=4, min_side=2, max_side=5))
def test_image_shapes_are_nchw_within_the_bounds(shape):
    n, c, h, w = shape
    assert 1 <= n <= 2 and 1 <= c <= 4 and 2 <= h <= 5 and 2 <= w <= 5


@given(image_shapes(3))
def test_a_fixed_channel_count_is_kept(shape):
    assert shape[1] == 3


def test_bad_bounds_are_refused():
    with pytest.raises(
        ValueError, match=r"image_shapes: expected 1 <= min_side <= max_side"
    ):
        image_shapes(min_side=4, max_side=3)
    with pytest.raises(
        ValueError, match=r"image_shapes: expected channels >= 1 or None, got 0"
    ):
        image_shapes(0)


class ChannelScale(Layer):
    """A user's 2-D layer: y = x * s[c] with s a fixed per-channel scale
    (and a planted bug: the gradient forgets the scale of channel 0)."""

    def __init__(self, channels: int, bug: bool = False) -> None:
        super().__init__()
        self.scale = np.linspace(0.5, 2.0, channels)[:, None, None]
        self.bug = bug

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x * self.scale.astype(x.dtype)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        scale = self.scale.copy()
        if self.bug:
            scale[0] = 1.0
        return grad_output * scale.astype(grad_output.dtype)


def test_check_layer_tests_a_users_2d_layer_over_image_shapes():
    check_layer(lambda rng, shape: ChannelScale(shape[1]), image_shapes())
    check_layer(lambda rng: Conv2d(2, 3, 3, rng=rng), image_shapes(2, min_side=3))
    with pytest.raises(
        AssertionError, match="backward disagrees with float64 finite differences"
    ):
        check_layer(lambda rng, shape: ChannelScale(shape[1], bug=True), image_shapes())
