"""RandomShift and DataLoader(transform=...): values against a per-pixel
reference, determinism, sharding, and the errors."""

import numpy as np
import pytest

from minitorch_np.data import DataLoader, RandomShift


def shift_reference(x, shifts):
    """out[n, ..., h, w] = x[n, ..., h - dy, w - dx], zero outside, pixel by pixel."""
    out = np.zeros_like(x)
    height, width = x.shape[-2:]
    for n, (dy, dx) in enumerate(shifts):
        for h in range(height):
            for w in range(width):
                if 0 <= h - dy < height and 0 <= w - dx < width:
                    out[n, ..., h, w] = x[n, ..., h - dy, w - dx]
    return out


@pytest.mark.parametrize(
    "shape", [(5, 1, 6, 7), (4, 3, 5, 5), (3, 4, 9), (2, 2, 2, 3, 4)]
)
@pytest.mark.parametrize("max_shift", [0, 1, 2, 4, 12])
def test_apply_matches_the_pixel_by_pixel_reference(shape, max_shift):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    before = x.copy()
    transform = RandomShift(max_shift)
    shifts = transform.draw(len(x), rng)
    out = transform.apply(x, shifts)
    assert out.shape == x.shape and out.dtype == x.dtype
    np.testing.assert_array_equal(out, shift_reference(x, shifts))
    np.testing.assert_array_equal(x, before)  # the input is not changed


def test_draw_covers_every_shift_in_range_and_only_those():
    shifts = RandomShift(2).draw(5000, np.random.default_rng(1))
    assert shifts.shape == (5000, 2) and shifts.dtype.kind == "i"
    assert set(np.unique(shifts)) == {-2, -1, 0, 1, 2}


def test_a_shift_beyond_the_image_gives_zeros_and_zero_shift_the_image():
    x = np.ones((2, 1, 3, 3))
    out = RandomShift(3).apply(x, np.array([[3, 0], [0, 0]]))
    np.testing.assert_array_equal(out[0], 0)
    np.testing.assert_array_equal(out[1], x[1])


def test_a_huge_max_shift_pads_no_wider_than_the_image():
    x = np.random.default_rng(9).standard_normal((6, 2, 4, 5))
    transform = RandomShift(10**6)  # padding by it would need terabytes
    shifts = np.array([[10**6, 0], [-4, 5], [3, -(10**5)], [0, 0], [-1, 1], [4, 4]])
    np.testing.assert_array_equal(
        transform.apply(x, shifts), shift_reference(x, shifts)
    )


def test_shifts_may_be_a_list():
    x = np.arange(2 * 1 * 3 * 3, dtype=np.float32).reshape(2, 1, 3, 3)
    np.testing.assert_array_equal(
        RandomShift(1).apply(x, [[1, 0], [0, -1]]),
        shift_reference(x, np.array([[1, 0], [0, -1]])),
    )


def test_call_is_draw_then_apply():
    x = np.random.default_rng(2).standard_normal((6, 1, 5, 5))
    transform = RandomShift(1)
    expected = transform.apply(x, transform.draw(6, np.random.default_rng(3)))
    np.testing.assert_array_equal(transform(x, np.random.default_rng(3)), expected)


@pytest.mark.parametrize("max_shift", [-1, 1.5, "2", True])
def test_bad_max_shift_is_refused(max_shift):
    with pytest.raises((TypeError, ValueError), match="RandomShift.*max_shift"):
        RandomShift(max_shift)


def test_flat_images_are_refused_with_a_hint():
    with pytest.raises(
        ValueError,
        match=r"RandomShift\(max_shift=2\).*\(N, \.\.\., H, W\).*\(6, 784\).*flatten=False",
    ):
        RandomShift(2).apply(np.zeros((6, 784)), np.zeros((6, 2), int))


@pytest.mark.parametrize(
    ("shifts", "message"),
    [
        (np.zeros((5, 2), int), r"\(6, 2\) integer shifts, got shape \(5, 2\)"),
        (np.zeros((6, 2)), r"integer shifts, got shape \(6, 2\) dtype float64"),
        (np.full((6, 2), 3), r"shifts must lie in \[-2, 2\], got 3"),
    ],
)
def test_bad_shifts_are_refused(shifts, message):
    with pytest.raises(ValueError, match=message):
        RandomShift(2).apply(np.zeros((6, 1, 4, 4)), shifts)


def images(n=23):
    rng = np.random.default_rng(4)
    return rng.standard_normal((n, 1, 6, 6)).astype(np.float32), np.arange(n)


def test_loader_applies_the_shifts_drawn_from_its_generator_after_the_order():
    x, y = images()
    loader = DataLoader(x, y, batch_size=8, rng=5, transform=RandomShift(2))
    twin = np.random.default_rng(5)  # the loader's draws, in the loader's order
    order = twin.permutation(len(x))
    for start, (xb, yb) in zip(range(0, len(x), 8), loader):
        index = order[start : start + 8]
        np.testing.assert_array_equal(yb, y[index])  # labels untouched
        shifts = RandomShift(2).draw(len(index), twin)
        np.testing.assert_array_equal(xb, shift_reference(x[index], shifts))


def test_same_seed_same_augmented_epochs_and_a_new_draw_each_epoch():
    x, y = images()
    first = DataLoader(
        x, y, batch_size=8, rng=6, shuffle=False, transform=RandomShift(2)
    )
    second = DataLoader(
        x, y, batch_size=8, rng=6, shuffle=False, transform=RandomShift(2)
    )
    epoch1 = [xb for xb, _ in first]
    for a, (b, _) in zip(epoch1, second):
        np.testing.assert_array_equal(a, b)
    epoch2 = [xb for xb, _ in first]
    assert not all(np.array_equal(a, b) for a, b in zip(epoch1, epoch2))


@pytest.mark.parametrize("world_size", [2, 3])
def test_sharded_loaders_together_yield_the_single_process_batches(world_size):
    x, y = images(25)
    single = DataLoader(x, y, batch_size=10, rng=7, transform=RandomShift(1))
    ranks = [
        DataLoader(
            x, y, batch_size=10, rng=7, shard=(r, world_size), transform=RandomShift(1)
        )
        for r in range(world_size)
    ]
    for whole, *parts in zip(single, *ranks):
        np.testing.assert_array_equal(whole[0], np.concatenate([p[0] for p in parts]))
        np.testing.assert_array_equal(whole[1], np.concatenate([p[1] for p in parts]))


def test_a_dataset_returning_one_array_gets_it_transformed():
    class Pixels:
        def __init__(self, x):
            self.x = x

        def __len__(self):
            return len(self.x)

        def __getitem__(self, index):
            return self.x[index]

    x, _ = images(4)
    loader = DataLoader(
        Pixels(x), batch_size=4, shuffle=False, rng=8, transform=RandomShift(1)
    )
    (xb,) = list(loader)
    shifts = RandomShift(1).draw(4, np.random.default_rng(8))
    np.testing.assert_array_equal(xb, shift_reference(x, shifts))


def test_a_transform_without_draw_and_apply_is_refused():
    x, y = images(4)
    with pytest.raises(TypeError, match="transform must have draw.*got function"):
        DataLoader(x, y, batch_size=2, transform=lambda xb: xb)


def test_repr_names_the_transform():
    x, y = images(4)
    loader = DataLoader(x, y, batch_size=2, transform=RandomShift(2))
    assert repr(loader).endswith("transform=RandomShift(max_shift=2))")


def test_a_resumed_run_draws_the_shifts_of_an_uninterrupted_one(tmp_path):
    from minitorch_np.layers import Flatten, Linear, Sequential
    from minitorch_np.losses import SoftmaxCrossEntropy
    from minitorch_np.optim import SGD
    from minitorch_np.training import ModelCheckpoint, Trainer

    x, _ = images(40)
    y = (x[:, 0, 2:4, 2:4].sum(axis=(1, 2)) > 0).astype(np.int64)

    def make(seed):
        model = Sequential(Flatten(), Linear(36, 2, rng=seed))
        trainer = Trainer(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1))
        loader = DataLoader(x, y, batch_size=8, rng=seed, transform=RandomShift(2))
        return trainer, loader

    straight, loader = make(0)
    straight.fit(loader, 3, progress=False)
    first, loader = make(0)
    path = tmp_path / "last.npz"
    first.fit(loader, 2, callbacks=[ModelCheckpoint(path)], progress=False)
    # other weights and loader seed: all restored from the file
    resumed, loader = make(9)
    resumed.fit(loader, 3, resume_from=path, progress=False)
    for (name, a), (_, b) in zip(
        straight.model.named_parameters(), resumed.model.named_parameters()
    ):
        np.testing.assert_array_equal(b.data, a.data, err_msg=name)


@pytest.mark.parametrize("dtype", [np.float32, np.uint8])
def test_an_empty_batch_gives_an_empty_batch(dtype):
    empty = np.zeros((0, 1, 3, 3), dtype=dtype)
    out = RandomShift(1)(empty, np.random.default_rng(0))
    assert out.shape == empty.shape and out.dtype == empty.dtype
