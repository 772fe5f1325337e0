"""minitorch_np.im2col: window geometry, im2col against its definition, and
col2im as im2col's adjoint."""

from __future__ import annotations

import numpy as np
import pytest
from conv_reference import conv_config
from hypothesis import given
from hypothesis import strategies as st

from minitorch_np import parallel
from minitorch_np.im2col import (
    WindowGeometry,
    col2im,
    col2im_by_rows,
    im2col,
    sum_windows_into,
)
from minitorch_np.testing import image_shapes


def geometry_for(shape, seed):
    config = conv_config(np.random.default_rng(seed), shape)
    return WindowGeometry(
        shape[2:],
        config["kernel_size"],
        config["stride"],
        config["padding"],
        config["dilation"],
    )


def test_output_size_is_floor_division_and_zero_when_empty():
    geometry = WindowGeometry((28, 28), (3, 3), (1, 1), (1, 1), (1, 1))
    assert geometry.output_size == (28, 28) and geometry.padded_size == (30, 30)
    assert WindowGeometry((7, 6), (3, 2), (2, 2), (0, 0), (1, 2)).output_size == (3, 2)
    assert WindowGeometry((2, 9), (3, 3), (1, 1), (0, 0), (1, 1)).output_size == (0, 7)


@given(shape=image_shapes(max_side=6), seed=st.integers(0, 2**32 - 1))
def test_im2col_copies_each_window_into_one_row(shape, seed):
    geometry = geometry_for(shape, seed)
    x = np.random.default_rng(seed).standard_normal(shape)
    n, c, h, w = shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = (
        geometry.kernel, geometry.stride, geometry.padding, geometry.dilation,
    )  # fmt: skip
    oh, ow = geometry.output_size
    x_pad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    cols = im2col(x, geometry).reshape(n, oh, ow, kh, kw, c)
    for s, a, b, i, j in np.ndindex(n, oh, ow, kh, kw):
        np.testing.assert_array_equal(
            cols[s, a, b, i, j], x_pad[s, :, a * sh + i * dh, b * sw + j * dw]
        )


@given(shape=image_shapes(max_side=6), seed=st.integers(0, 2**32 - 1))
def test_col2im_is_the_adjoint_of_im2col(shape, seed):
    """<im2col(x), B> = <x, col2im(B)> for every x and B: col2im adds every
    window value back onto the pixel it was copied from."""
    geometry = geometry_for(shape, seed)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    kh, kw = geometry.kernel
    blocks = rng.standard_normal((kh * kw, shape[0], *geometry.output_size, shape[1]))
    cols = im2col(x, geometry).reshape(shape[0], *geometry.output_size, kh * kw, -1)
    left = np.sum(cols * blocks.transpose(1, 2, 3, 0, 4))
    grad = col2im(blocks, geometry)
    assert grad.shape == shape
    np.testing.assert_allclose(left, np.sum(x * grad), rtol=1e-10, atol=1e-10)


def test_col2im_names_what_it_takes_and_where_iterables_go():
    geometry = WindowGeometry((4, 4), (3, 3), (1, 1), (1, 1), (1, 1))
    blocks = [np.zeros((2, 4, 4, 3))] * 9
    with pytest.raises(
        ValueError,
        match=r"col2im: expected an array of blocks.*got list.*sum_windows_into",
    ):
        col2im(blocks, geometry)
    padded = np.empty((2, 6, 6, 3))
    sum_windows_into(padded, iter(blocks), geometry)
    np.testing.assert_array_equal(padded, 0)
    with pytest.raises(ValueError, match=r"expected 9 blocks.*got 8"):
        sum_windows_into(padded, blocks[:8], geometry)


@pytest.mark.parametrize("threads", [1, 3])
def test_col2im_by_rows_sums_generated_blocks_like_col2im(monkeypatch, threads):
    """Blocks computed per slice of samples (a generator per slice) give
    col2im's result bit for bit, whichever the threads and slices."""
    monkeypatch.setattr(parallel, "MIN_ELEMENTS_PER_THREAD", 1)
    parallel.set_num_threads(threads)
    try:
        geometry = WindowGeometry((5, 4), (3, 2), (1, 2), (1, 1), (1, 1))
        kh, kw = geometry.kernel
        rng = np.random.default_rng(0)
        blocks = rng.standard_normal((kh * kw, 7, *geometry.output_size, 3))
        slices = []

        def blocks_of(rows):
            slices.append(rows)
            return (block[rows] for block in blocks)

        got = col2im_by_rows(blocks_of, 7, 3, blocks.dtype, geometry)
        np.testing.assert_array_equal(got, col2im(blocks, geometry))
        assert sorted(i for rows in slices for i in range(7)[rows]) == list(range(7))
        assert (len(slices) > 1) == (threads > 1)
    finally:
        parallel.set_num_threads(None)
