"""Parameter: data and grad side by side, same shape and dtype, updated in place."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minitorch_np.optim.sgd import SGD
from minitorch_np.parameter import Parameter
from minitorch_np.testing import array_shapes, float_arrays

float_dtypes = st.sampled_from([np.float32, np.float64])


@given(values=float_arrays(array_shapes(max_dims=3)), dtype=float_dtypes)
def test_grad_starts_at_zero_with_the_shape_and_dtype_of_data(values, dtype):
    param = Parameter(values.astype(dtype))
    assert param.data.dtype == param.grad.dtype == dtype
    assert param.data.shape == param.grad.shape == values.shape
    assert (
        param.shape == values.shape
        and param.dtype == dtype
        and param.size == values.size
    )
    assert not param.grad.any()
    np.testing.assert_array_equal(param.data, values.astype(dtype))


def test_data_is_a_private_contiguous_copy():
    source = np.arange(6, dtype=np.float32).reshape(2, 3).T  # not C-contiguous
    param = Parameter(source)
    assert param.data.flags.c_contiguous
    assert not np.shares_memory(param.data, source)
    source[0, 0] = 100
    assert param.data[0, 0] == 0


def test_dtype_argument_converts():
    param = Parameter([1.0, 2.0], dtype=np.float32)
    assert param.dtype == np.float32 and param.grad.dtype == np.float32


@pytest.mark.parametrize("bad", [np.arange(3), np.array([True, False]), [1, 2, 3]])
def test_non_float_data_is_refused_with_a_hint(bad):
    with pytest.raises(
        TypeError,
        match=r"Parameter: expected a floating-point array, got dtype (int|bool).*np\.asarray",
    ):
        Parameter(bad)


def test_zero_grad_resets_in_place():
    param = Parameter(np.ones((2, 2), dtype=np.float32))
    grad_array = param.grad
    param.grad += 3.0
    param.zero_grad()
    assert param.grad is grad_array
    assert not param.grad.any()


def test_cast_replaces_both_arrays_with_the_new_dtype():
    param = Parameter(np.ones(3, dtype=np.float32))
    param.grad += 2.0
    param._cast(np.float64)
    assert param.data.dtype == param.grad.dtype == np.float64
    np.testing.assert_array_equal(param.grad, [2.0, 2.0, 2.0])


def test_repr_names_shape_and_dtype():
    assert repr(Parameter(np.zeros((3, 4), dtype=np.float32))) == (
        "Parameter(shape=(3, 4), dtype=float32)"
    )


def test_zero_grad_reads_as_zeros_and_keeps_the_array():
    param = Parameter(np.ones((2, 3), dtype=np.float32))
    array = param.grad
    array += 5
    param.zero_grad()
    assert param.grad is array
    assert not param.grad.any()


def test_add_to_grad_overwrites_after_zero_grad_and_adds_otherwise():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    param = Parameter(np.zeros((3, 2)))
    param.grad += 100.0
    param.zero_grad()
    param.add_to_grad(np.matmul, a, b)
    np.testing.assert_array_equal(param.grad, a @ b)
    param.add_to_grad(np.matmul, a, b)
    np.testing.assert_allclose(param.grad, 2 * (a @ b), rtol=1e-15)
    param.add_to_grad(np.sum, a, axis=1, keepdims=True)  # options are passed through
    np.testing.assert_allclose(
        param.grad, 2 * (a @ b) + a.sum(axis=1)[:, None], rtol=1e-14
    )


def test_hand_written_accumulation_after_zero_grad_is_kept():
    param = Parameter(np.zeros(3))
    param.zero_grad()
    param.grad += 1.0  # reads the zeros first, then adds
    param.add_to_grad(np.multiply, np.ones(3), 2.0)  # must add, not overwrite
    np.testing.assert_array_equal(param.grad, [3.0, 3.0, 3.0])


def test_an_unused_parameter_is_updated_with_a_zero_gradient():
    used, unused = Parameter(np.ones(2)), Parameter(np.ones(2))
    optimizer = SGD([used, unused], lr=0.5)
    unused.grad += 7.0  # stale values from an earlier step
    optimizer.zero_grad()  # lazy: nothing written yet
    used.add_to_grad(np.add, np.zeros(2), 1.0)
    optimizer.step()
    np.testing.assert_array_equal(used.data, [0.5, 0.5])
    np.testing.assert_array_equal(unused.data, [1.0, 1.0])


def test_deepcopy_keeps_a_pending_zero():
    param = Parameter(np.ones(2))
    param.grad += 3.0
    param.zero_grad()
    twin = copy.deepcopy(param)
    assert not twin.grad.any()


def test_an_assigned_gradient_must_have_the_shape_and_dtype_of_data():
    p = Parameter(np.zeros((2, 2), dtype=np.float32))
    new = np.ones((2, 2), dtype=np.float32)
    p.grad = new
    assert p.grad is new
    # a (2,) or scalar gradient would broadcast over the (2, 2) weights in an update
    with pytest.raises(
        ValueError, match=r"Parameter.grad: expected shape \(2, 2\) .* got \(2,\)"
    ):
        p.grad = np.ones(2, dtype=np.float32)
    with pytest.raises(
        TypeError, match=r"expected an ndarray of dtype float32 .* got float"
    ):
        p.grad = 1.0
    with pytest.raises(
        TypeError, match=r"expected an ndarray of dtype float32 .* got float64"
    ):
        p.grad = np.ones((2, 2))
    assert p.grad is new  # unchanged after the refusals
