"""BatchNorm2d: per-channel statistics over N, H, W; the layer contract in
both modes; running statistics and state; PyTorch parity; errors."""

from __future__ import annotations

import numpy as np
import pytest

from minitorch_np.layers import BatchNorm1d, BatchNorm2d
from minitorch_np.testing import check_layer, image_shapes


def images(shape=(4, 3, 5, 6), seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    scale = np.array([1.0, 3.0, 0.5])[: shape[1], None, None]
    shift = np.array([0.0, 5.0, -2.0])[: shape[1], None, None]
    return (rng.standard_normal(shape) * scale + shift).astype(dtype)


def with_random_affine(layer, rng):
    layer.weight.data[...] = rng.uniform(0.5, 1.5, layer.num_features)
    layer.bias.data[...] = rng.uniform(-1, 1, layer.num_features)
    return layer


def test_batchnorm2d_passes_the_layer_contract_in_train_and_eval_mode():
    # eval mode uses running statistics updated by one training batch first
    def make(rng, shape):
        layer = with_random_affine(BatchNorm2d(shape[1], dtype=np.float64), rng)
        layer(rng.standard_normal((4, *shape[1:])) * 2 + 1)
        return layer

    check_layer(
        make,
        image_shapes(min_batch=2, max_side=5),
        same_in_eval=False,
        batch_independent=False,
    )


def test_training_normalises_each_channel_over_batch_and_pixels():
    x = images()
    y = BatchNorm2d(3)(x)
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1, atol=1e-3)


def test_it_is_batchnorm1d_on_the_channel_rows():
    x = images(dtype=np.float64)
    rows = x.transpose(0, 2, 3, 1).reshape(-1, 3)
    two_d, one_d = BatchNorm2d(3, dtype=np.float64), BatchNorm1d(3, dtype=np.float64)
    y = two_d(x)
    np.testing.assert_allclose(
        y.transpose(0, 2, 3, 1).reshape(-1, 3), one_d(rows), rtol=1e-12
    )
    g = np.random.default_rng(1).standard_normal(y.shape)
    grad_rows = one_d.backward(g.transpose(0, 2, 3, 1).reshape(-1, 3))
    np.testing.assert_allclose(
        two_d.backward(g).transpose(0, 2, 3, 1).reshape(-1, 3), grad_rows, rtol=1e-10
    )
    np.testing.assert_allclose(two_d.running_var, one_d.running_var, rtol=1e-12)


def test_running_statistics_use_the_unbiased_variance_over_n_h_w():
    x = images(dtype=np.float64)
    layer = BatchNorm2d(3, momentum=0.5, dtype=np.float64)
    layer(x)
    values = x.transpose(1, 0, 2, 3).reshape(3, -1)
    np.testing.assert_allclose(layer.running_mean, 0.5 * values.mean(axis=1))
    np.testing.assert_allclose(
        layer.running_var, 0.5 + 0.5 * values.var(axis=1, ddof=1)
    )
    assert int(layer.num_batches_tracked) == 1
    layer.eval()
    y = layer(x)
    expected = (x - layer.running_mean[:, None, None]) / np.sqrt(
        layer.running_var[:, None, None] + layer.eps
    )
    np.testing.assert_allclose(y, expected, rtol=1e-12)


def test_state_dict_holds_pytorchs_keys_and_round_trips():
    layer = BatchNorm2d(3)
    layer(images())
    state = layer.state_dict()
    assert sorted(state) == sorted(
        ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    )
    fresh = BatchNorm2d(3)
    fresh.load_state_dict(state)
    np.testing.assert_array_equal(fresh.running_var, layer.running_var)
    assert repr(fresh) == (
        "BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)"
    )


def test_bad_inputs_are_refused_naming_the_layer():
    layer = BatchNorm2d(3)
    with pytest.raises(
        ValueError,
        match=r"BatchNorm2d\(3, .*\): expected a 4-D input of shape \(N, 3, H, W\) \(NCHW\), got \(4, 3\)",
    ):
        layer(np.zeros((4, 3), np.float32))
    with pytest.raises(
        ValueError,
        match=r"expected input of shape \(N, 3, H, W\) \(3 channels, NCHW\), got \(2, 4, 5, 5\) with 4 channels",
    ):
        layer(np.zeros((2, 4, 5, 5), np.float32))
    with pytest.raises(TypeError, match=r"expected input of a float dtype, got int32"):
        layer(np.zeros((2, 3, 5, 5), np.int32))
    with pytest.raises(
        TypeError, match=r"expected input of dtype float32 \(the layer's\), got float64"
    ):
        layer(np.zeros((2, 3, 5, 5)))
    with pytest.raises(
        ValueError, match=r"expected more than 1 value per channel in training mode"
    ):
        layer(np.zeros((1, 3, 1, 1), np.float32))
    layer.eval()(np.zeros((1, 3, 1, 1), np.float32))  # fine in eval mode
    with pytest.raises(
        ValueError, match=r"expected grad_output of shape \(1, 3, 1, 1\)"
    ):
        layer.backward(np.zeros((1, 3), np.float32))
    with pytest.raises(RuntimeError, match=r"backward\(\) called before forward\(\)"):
        BatchNorm2d(3).backward(np.zeros((1, 3, 1, 1), np.float32))


def test_train_and_eval_match_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    ours = with_random_affine(BatchNorm2d(3, dtype=np.float64), rng)
    theirs = torch.nn.BatchNorm2d(3).double()
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.data))
        theirs.bias.copy_(torch.tensor(ours.bias.data))
    for training in (True, False):
        ours.train(training)
        theirs.train(training)
        x = images(dtype=np.float64, seed=int(training))
        x_t = torch.tensor(x, requires_grad=True)
        y_t = theirs(x_t)
        y = ours(x)
        np.testing.assert_allclose(y, y_t.detach().numpy(), rtol=1e-10, atol=1e-12)
        g = rng.standard_normal(y.shape)
        y_t.backward(torch.tensor(g))
        np.testing.assert_allclose(
            ours.backward(g), x_t.grad.numpy(), rtol=1e-9, atol=1e-12
        )
        np.testing.assert_allclose(
            ours.running_var, theirs.running_var.numpy(), rtol=1e-12
        )
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-10)
