"""BatchNorm1d: batch/running statistics, gradients, modes, dtypes, state, errors."""

from __future__ import annotations

import numpy as np
import pytest

from minitorch_np.gradcheck import gradcheck
from minitorch_np.layers.batchnorm import BatchNorm1d
from minitorch_np.layers.linear import Linear
from minitorch_np.layers.sequential import Sequential
from minitorch_np.testing import batch_shapes, check_layer


def batch(n=8, c=3, seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return (
        rng.standard_normal((n, c)) * [1.0, 3.0, 0.5][:c] + [0.0, 5.0, -2.0][:c]
    ).astype(dtype)


def randomised_affine(layer, rng):
    """Non-trivial gamma and beta, so their gradients are checked away from 1 and 0."""
    layer.weight.data[...] = rng.uniform(0.5, 1.5, layer.num_features)
    layer.bias.data[...] = rng.uniform(-1, 1, layer.num_features)
    return layer


def test_initial_parameters_and_buffers():
    layer = BatchNorm1d(4)
    assert (
        np.array_equal(layer.weight.data, np.ones(4))
        and layer.weight.dtype == np.float32
    )
    assert np.array_equal(layer.bias.data, np.zeros(4))
    assert np.array_equal(layer.running_mean, np.zeros(4))
    assert np.array_equal(layer.running_var, np.ones(4))
    assert (
        layer.num_batches_tracked.dtype == np.int64 and layer.num_batches_tracked == 0
    )
    assert list(layer.state_dict()) == [
        "weight",
        "bias",
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]


def test_train_mode_normalises_with_the_biased_batch_variance():
    x = batch(n=16, dtype=np.float64)
    layer = BatchNorm1d(3, eps=1e-5, dtype=np.float64)
    y = layer.forward(x)
    expected = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + 1e-5)
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


def test_affine_parameters_scale_and_shift():
    x = batch(dtype=np.float64)
    layer = randomised_affine(
        BatchNorm1d(3, dtype=np.float64), np.random.default_rng(0)
    )
    plain = BatchNorm1d(3, affine=False, dtype=np.float64)
    np.testing.assert_allclose(
        layer.forward(x),
        plain.forward(x) * layer.weight.data + layer.bias.data,
        rtol=1e-12,
    )


@pytest.mark.parametrize("momentum", [0.1, 0.5, 1.0])
def test_running_statistics_follow_the_pytorch_update(momentum):
    layer = BatchNorm1d(3, momentum=momentum, dtype=np.float64)
    mean, var = np.zeros(3), np.ones(3)
    for seed in range(4):
        x = batch(n=5 + seed, seed=seed, dtype=np.float64)
        layer.forward(x)
        mean = (1 - momentum) * mean + momentum * x.mean(axis=0)
        var = (1 - momentum) * var + momentum * x.var(axis=0, ddof=1)  # unbiased
    np.testing.assert_allclose(layer.running_mean, mean, rtol=1e-12)
    np.testing.assert_allclose(layer.running_var, var, rtol=1e-12)
    assert layer.num_batches_tracked == 4


def test_momentum_none_is_a_cumulative_average():
    layer = BatchNorm1d(3, momentum=None, dtype=np.float64)
    batches = [batch(n=6, seed=seed, dtype=np.float64) for seed in range(5)]
    for x in batches:
        layer.forward(x)
    np.testing.assert_allclose(
        layer.running_mean, np.mean([x.mean(0) for x in batches], 0), rtol=1e-12
    )
    np.testing.assert_allclose(
        layer.running_var, np.mean([x.var(0, ddof=1) for x in batches], 0), rtol=1e-12
    )


def test_running_buffers_are_updated_in_place():
    layer = BatchNorm1d(3)
    running_mean, running_var = layer.running_mean, layer.running_var
    counter = layer.num_batches_tracked
    layer.forward(batch())
    assert layer.running_mean is running_mean and layer.running_var is running_var
    assert layer.num_batches_tracked is counter and counter == 1
    assert dict(layer.named_buffers())["running_mean"] is running_mean


def test_eval_mode_uses_running_statistics_and_changes_nothing():
    layer = randomised_affine(
        BatchNorm1d(3, dtype=np.float64), np.random.default_rng(1)
    )
    for seed in range(3):
        layer.forward(batch(seed=seed, dtype=np.float64))
    layer.eval()
    before = layer.state_dict()
    x = batch(n=1, seed=9, dtype=np.float64)  # a single sample is fine in eval mode
    y = layer.forward(x)
    expected = (x - layer.running_mean) / np.sqrt(layer.running_var + layer.eps)
    np.testing.assert_allclose(
        y, expected * layer.weight.data + layer.bias.data, rtol=1e-12
    )
    after = layer.state_dict()
    assert all(np.array_equal(before[key], after[key]) for key in before)


def test_eval_backward_is_the_affine_map():
    layer = randomised_affine(
        BatchNorm1d(3, dtype=np.float64), np.random.default_rng(2)
    )
    layer.forward(batch(dtype=np.float64))
    layer.eval()
    layer.forward(batch(seed=1, dtype=np.float64))
    grad = np.random.default_rng(3).standard_normal((8, 3))
    expected = grad * layer.weight.data / np.sqrt(layer.running_var + layer.eps)
    np.testing.assert_allclose(layer.backward(grad), expected, rtol=1e-12)


def test_train_backward_matches_the_compact_formula():
    layer = randomised_affine(
        BatchNorm1d(3, dtype=np.float64), np.random.default_rng(4)
    )
    x = batch(n=7, dtype=np.float64)
    layer.forward(x)
    grad = np.random.default_rng(5).standard_normal((7, 3))
    grad_x = layer.backward(grad)
    inv_std = 1 / np.sqrt(x.var(axis=0) + layer.eps)
    x_hat = (x - x.mean(axis=0)) * inv_std
    d_x_hat = grad * layer.weight.data
    expected = (
        inv_std / 7 * (7 * d_x_hat - d_x_hat.sum(0) - x_hat * (d_x_hat * x_hat).sum(0))
    )
    np.testing.assert_allclose(grad_x, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.weight.grad, (grad * x_hat).sum(0), rtol=1e-12)
    np.testing.assert_allclose(layer.bias.grad, grad.sum(0), rtol=1e-12)


def test_train_input_gradient_ignores_shifts_and_scalings_of_a_feature():
    # y does not change when a feature is shifted (and, for eps -> 0, scaled),
    # so per feature dL/dx sums to 0 and is orthogonal to x_hat.
    layer = BatchNorm1d(3, eps=1e-15, dtype=np.float64)
    x = batch(n=9, dtype=np.float64)
    layer.forward(x)
    grad_x = layer.backward(np.random.default_rng(8).standard_normal((9, 3)))
    x_hat = (x - x.mean(axis=0)) / x.std(axis=0)
    np.testing.assert_allclose(grad_x.sum(0), 0, atol=1e-12)
    np.testing.assert_allclose((grad_x * x_hat).sum(0), 0, atol=1e-12)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"affine": False},
        {"track_running_stats": False},
        {"affine": False, "track_running_stats": False},
        {"momentum": None},
    ],
)
@pytest.mark.parametrize("training", [True, False])
def test_gradcheck_all_configurations(kwargs, training):
    rng = np.random.default_rng(6)
    layer = BatchNorm1d(3, **kwargs)
    if layer.affine:
        randomised_affine(layer, rng)
    layer.forward(batch(seed=1))  # non-trivial running statistics
    layer.train(training)
    gradcheck(layer, rng.standard_normal((5, 3)))


def _well_spread(x: np.ndarray) -> bool:
    # Near-constant features make x_hat extremely curved in x (var -> 0) and
    # central differences inaccurate; keep every feature's std well above 0.
    return bool(np.all(x.std(axis=0) > 0.2))


def test_layer_contract_properties():
    check_layer(
        lambda rng: randomised_affine(BatchNorm1d(3), rng),
        batch_shapes(3, min_batch=2, max_batch=5),
        input_filter=_well_spread,
        same_in_eval=False,
        max_examples=25,
    )


def test_without_running_stats_eval_mode_still_uses_the_batch():
    layer = BatchNorm1d(3, track_running_stats=False)
    assert layer.running_mean is None and layer.state_dict().keys() == {
        "weight",
        "bias",
    }
    x = batch()
    train_output = layer.forward(x)
    np.testing.assert_array_equal(layer.eval().forward(x), train_output)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept_end_to_end(dtype):
    layer = BatchNorm1d(3, dtype=dtype)
    x = batch(dtype=dtype)
    y = layer.forward(x)
    grad_x = layer.backward(np.ones_like(y))
    assert y.dtype == grad_x.dtype == layer.weight.grad.dtype == dtype
    assert layer.running_mean.dtype == layer.running_var.dtype == dtype
    layer.eval()
    assert layer.forward(x).dtype == layer.backward(np.ones_like(y)).dtype == dtype


def test_to_casts_parameters_and_running_stats_but_not_the_counter():
    layer = BatchNorm1d(3)
    layer.forward(batch())
    layer.to(np.float64)
    assert (
        layer.weight.dtype
        == layer.running_mean.dtype
        == layer.running_var.dtype
        == np.float64
    )
    assert layer.num_batches_tracked.dtype == np.int64
    layer.forward(
        batch(dtype=np.float64)
    )  # running buffers are still updated after the cast
    assert layer.num_batches_tracked == 2
    assert dict(layer.named_buffers())["running_mean"] is layer.running_mean


def test_state_dict_round_trip_restores_running_statistics():
    trained = BatchNorm1d(3)
    for seed in range(3):
        trained.forward(batch(seed=seed))
    fresh = BatchNorm1d(3)
    fresh.load_state_dict(trained.state_dict())
    assert fresh.num_batches_tracked == 3
    x = batch(seed=7)
    np.testing.assert_array_equal(fresh.eval().forward(x), trained.eval().forward(x))


def test_mode_switch_through_a_container():
    model = Sequential(Linear(4, 3, rng=0), BatchNorm1d(3))
    x = np.random.default_rng(0).standard_normal((6, 4)).astype(np.float32)
    model.eval()
    model.forward(x)
    assert model[1].num_batches_tracked == 0
    model.train()
    model.forward(x)
    assert model[1].num_batches_tracked == 1


def test_single_sample_in_training_mode_is_an_error():
    with pytest.raises(ValueError, match="more than 1 sample"):
        BatchNorm1d(3).forward(batch(n=1))


@pytest.mark.parametrize(
    "x, error, message",
    [
        (np.ones((4, 5), dtype=np.float32), ValueError, r"\(N, 3\)"),
        (np.ones((4, 3, 2), dtype=np.float32), ValueError, r"\(N, 3\)"),
        (np.ones((4, 3), dtype=np.float64), TypeError, "float32"),
        (np.ones((4, 3), dtype=np.int32), TypeError, "float dtype"),
    ],
)
def test_bad_input_is_rejected(x, error, message):
    with pytest.raises(error, match=message):
        BatchNorm1d(3).forward(x)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_features": 0}, "num_features"),
        ({"num_features": 2.0}, "num_features"),
        ({"num_features": 3, "eps": 0}, "eps"),
        ({"num_features": 3, "momentum": 1.5}, "momentum"),
        ({"num_features": 3, "dtype": np.int32}, "float dtype"),
    ],
)
def test_bad_arguments_are_rejected(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        BatchNorm1d(**kwargs)


def test_backward_errors():
    layer = BatchNorm1d(3)
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.ones((4, 3), dtype=np.float32))
    layer.forward(batch(n=4))
    with pytest.raises(ValueError, match=r"\(4, 3\)"):
        layer.backward(np.ones((3, 3), dtype=np.float32))


def test_without_running_statistics_eval_still_needs_two_samples():
    # no running statistics: eval normalises with the batch's, as training does,
    # and one sample would come out as zeros
    layer = BatchNorm1d(3, track_running_stats=False).eval()
    with pytest.raises(
        ValueError,
        match=r"expected more than 1 sample per feature without running statistics "
        r"\(track_running_stats=False\) .* got input of shape \(1, 3\); use a batch "
        r"of N >= 2$",
    ):
        layer(np.array([[1.0, 2.0, 3.0]], dtype=np.float32))
    out = layer(np.array([[1.0, 2.0, 3.0], [3.0, 4.0, 5.0]], dtype=np.float32))
    np.testing.assert_allclose(np.abs(out), 1.0, rtol=1e-4)
    with pytest.raises(ValueError, match=r"in training mode .* or call \.eval\(\)$"):
        BatchNorm1d(3)(np.ones((1, 3), dtype=np.float32))


@pytest.mark.parametrize("name", ["affine", "track_running_stats"])
def test_flags_must_be_booleans(name):
    with pytest.raises(
        TypeError, match=rf"BatchNorm1d: expected {name} to be True or False, got 'no'"
    ):
        BatchNorm1d(3, **{name: "no"})


def test_a_batch_variance_that_overflows_is_an_error_not_zeros():
    layer = BatchNorm1d(1, dtype=np.float16)
    x = np.array([[300.0], [-300.0], [100.0], [0.0]], dtype=np.float16)
    message = (
        r"BatchNorm1d\(1.*\): the batch variance of 1 features is not finite in float16"
    )
    # np.errstate(all="raise"): no warning leaks, the error says it
    with np.errstate(all="raise"), pytest.raises(FloatingPointError, match=message):
        layer(x)
    assert layer.running_var[0] == 1  # nothing was blended in
