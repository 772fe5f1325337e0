"""DataLoader and ArrayDataset: epoch properties (hypothesis), datasets, argument errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minitorch_np.data import ArrayDataset, DataLoader, Dataset

sizes = st.integers(min_value=0, max_value=200)
batch_sizes = st.integers(min_value=1, max_value=64)
seeds = st.integers(min_value=0, max_value=2**32 - 1)


def indexed(n: int) -> tuple[np.ndarray, np.ndarray]:
    """x row i is (i, -i) as float32; y[i] = 3i + 1, so alignment is checkable."""
    i = np.arange(n)
    return np.stack([i, -i], axis=1).astype(np.float32), 3 * i + 1


def epoch(loader: DataLoader) -> list[tuple[np.ndarray, np.ndarray]]:
    return list(loader)


@settings(max_examples=50, deadline=None)
@given(n=sizes, b=batch_sizes, seed=seeds, shuffle=st.booleans())
def test_every_index_exactly_once_and_aligned(
    n: int, b: int, seed: int, shuffle: bool
) -> None:
    x, y = indexed(n)
    loader = DataLoader(x, y, b, shuffle=shuffle, rng=seed)
    batches = epoch(loader)
    assert len(batches) == len(loader) == -(-n // b)
    seen = np.concatenate([xb[:, 0] for xb, _ in batches]) if batches else np.empty(0)
    assert sorted(seen.astype(int).tolist()) == list(range(n))
    if not shuffle:
        assert seen.astype(int).tolist() == list(range(n))
    for xb, yb in batches:
        assert xb.dtype == np.float32 and xb.flags.c_contiguous and yb.dtype == y.dtype
        assert 1 <= len(xb) <= b and len(xb) == len(yb)
        np.testing.assert_array_equal(yb, 3 * xb[:, 0].astype(int) + 1)
        np.testing.assert_array_equal(xb[:, 1], -xb[:, 0])
    assert all(len(xb) == b for xb, _ in batches[:-1])


@settings(max_examples=50, deadline=None)
@given(n=sizes, b=batch_sizes, seed=seeds)
def test_drop_last_gives_full_batches_only(n: int, b: int, seed: int) -> None:
    x, y = indexed(n)
    loader = DataLoader(x, y, b, drop_last=True, rng=seed)
    batches = epoch(loader)
    assert len(batches) == len(loader) == n // b
    assert all(len(xb) == b and len(yb) == b for xb, yb in batches)
    seen = [int(v) for xb, _ in batches for v in xb[:, 0]]
    assert len(set(seen)) == len(seen) == (n // b) * b


@settings(max_examples=30, deadline=None)
@given(n=st.integers(min_value=0, max_value=100), b=batch_sizes, seed=seeds)
def test_same_seed_same_epochs(n: int, b: int, seed: int) -> None:
    x, y = indexed(n)
    a, c = (
        DataLoader(x, y, b, rng=seed),
        DataLoader(x, y, b, rng=np.random.default_rng(seed)),
    )
    for _ in range(3):
        ea, ec = epoch(a), epoch(c)
        assert len(ea) == len(ec)
        for (xa, ya), (xc, yc) in zip(ea, ec):
            np.testing.assert_array_equal(xa, xc)
            np.testing.assert_array_equal(ya, yc)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(min_value=12, max_value=100), b=batch_sizes, seed=seeds)
def test_each_epoch_draws_a_new_order(n: int, b: int, seed: int) -> None:
    x, y = indexed(n)
    loader = DataLoader(x, y, b, rng=seed)
    orders = [np.concatenate([yb for _, yb in loader]).tolist() for _ in range(3)]
    assert (
        orders[0] != orders[1] != orders[2]
    )  # 12! orders: a repeat is (almost) impossible


def test_order_is_drawn_at_iter_time() -> None:
    x, y = indexed(50)
    loader = DataLoader(x, y, 10, rng=0)
    first, second = iter(loader), iter(loader)
    a = np.concatenate([yb for _, yb in first])
    b = np.concatenate([yb for _, yb in second])
    reference = DataLoader(x, y, 10, rng=0)
    np.testing.assert_array_equal(a, np.concatenate([yb for _, yb in reference]))
    np.testing.assert_array_equal(b, np.concatenate([yb for _, yb in reference]))


def test_batches_are_independent_copies() -> None:
    x, y = indexed(10)
    original = x.copy()
    batches = epoch(DataLoader(x, y, 4, rng=1))
    kept = [xb.copy() for xb, _ in batches]
    for (xb, _), k in zip(batches, kept):
        np.testing.assert_array_equal(
            xb, k
        )  # later batches did not overwrite earlier ones
        xb[:] = 99
    np.testing.assert_array_equal(x, original)


def test_non_contiguous_input_gives_contiguous_batches() -> None:
    x = np.arange(60, dtype=np.float64).reshape(6, 10)[:, ::2]
    xb, _ = next(iter(DataLoader(x, np.arange(6), 4, shuffle=False)))
    assert xb.flags.c_contiguous and xb.dtype == np.float64
    np.testing.assert_array_equal(xb, x[:4])


def test_shared_generator_advances() -> None:
    rng = np.random.default_rng(5)
    x, y = indexed(30)
    loader = DataLoader(x, y, 30, rng=rng)
    assert loader.rng is rng
    state = rng.bit_generator.state
    iter(loader)
    assert rng.bit_generator.state != state


class Squares:
    """A user's own dataset: computes its batch from the index array at once."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.calls = 0

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self.calls += 1
        return index.astype(np.float32)[:, None] ** 2, index


def test_custom_dataset_one_call_per_batch() -> None:
    ds = Squares(25)
    assert isinstance(ds, Dataset)
    loader = DataLoader(ds, batch_size=10, rng=3)
    batches = epoch(loader)
    assert ds.calls == len(batches) == len(loader) == 3
    ys = np.concatenate([yb for _, yb in batches])
    assert sorted(ys.tolist()) == list(range(25))
    for xb, yb in batches:
        np.testing.assert_array_equal(xb[:, 0], yb.astype(np.float32) ** 2)


def test_array_dataset() -> None:
    x, y = indexed(5)
    w = np.linspace(0, 1, 5)
    ds = ArrayDataset(x, y, w)
    assert len(ds) == 5 and "float32[5, 2]" in repr(ds)
    _, yb, wb = ds[np.array([4, 0])]
    np.testing.assert_array_equal(yb, [13, 1])
    np.testing.assert_array_equal(wb, [1.0, 0.0])
    assert ds[1:3][1].tolist() == [4, 7]
    batches = list(DataLoader(ds, batch_size=2, shuffle=False))
    assert [len(b) for b in batches] == [3, 3, 3]  # three arrays per batch


def test_lists_are_accepted() -> None:
    batches = list(DataLoader([[1.0], [2.0], [3.0]], [0, 1, 2], 2, shuffle=False))
    assert batches[0][0].tolist() == [[1.0], [2.0]] and batches[1][1].tolist() == [2]


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        (
            (np.zeros(4), np.zeros(3), 2),
            {},
            ValueError,
            r"same length, got len\(x\)=4 and len\(y\)=3",
        ),
        (
            (np.zeros(4), np.float64(1.0), 2),
            {},
            ValueError,
            r"first \(sample\) dimension",
        ),
        ((np.zeros(4), np.zeros(4)), {}, TypeError, r"batch_size is required"),
        (
            (np.zeros(4), np.zeros(4), 0),
            {},
            ValueError,
            r"batch_size to be a positive int, got 0",
        ),
        ((np.zeros(4), np.zeros(4), -3), {}, ValueError, r"positive int, got -3"),
        ((np.zeros(4), np.zeros(4), 2.0), {}, ValueError, r"positive int, got 2\.0"),
        ((np.zeros(4), np.zeros(4), True), {}, ValueError, r"positive int, got True"),
        (
            (np.zeros(4), np.zeros(4), 2),
            {"shuffle": "yes"},
            TypeError,
            r"shuffle to be True or False, got 'yes'",
        ),
        (
            (np.zeros(4), np.zeros(4), 2),
            {"drop_last": 1},
            TypeError,
            r"drop_last to be True or False",
        ),
        (
            (np.zeros(4), np.zeros(4), 2),
            {"rng": 1.5},
            TypeError,
            r"rng to be a numpy\.random\.Generator.*got float",
        ),
        (
            (np.zeros(4), np.zeros(4), 2),
            {"rng": -1},
            ValueError,
            r"non-negative int, got -1",
        ),
        (
            (np.zeros(4), np.zeros(4), 2),
            {"rng": np.random.RandomState(0)},
            TypeError,
            r"got RandomState",
        ),
        (
            (np.zeros(4),),
            {"batch_size": 2},
            TypeError,
            r"y is required when x is an array",
        ),
        (
            (Squares(4), 2),
            {},
            TypeError,
            r"looks like a batch size.*DataLoader\(dataset, batch_size=2\)",
        ),
        (
            (object(),),
            {"batch_size": 2},
            TypeError,
            r"dataset with __len__ and __getitem__, got object",
        ),
    ],
)
def test_argument_errors(
    args: tuple[Any, ...], kwargs: dict[str, Any], error: type, message: str
) -> None:
    with pytest.raises(error, match=message) as info:
        DataLoader(*args, **kwargs)
    assert str(info.value).startswith("DataLoader: ")


@pytest.mark.parametrize("batch_size", [2.0, 0, True, "2"])
def test_batch_size_errors_are_those_of_the_trainer(batch_size: Any) -> None:
    """One validator for the same argument everywhere (issue 11, item 3)."""
    from minitorch_np.layers import Linear
    from minitorch_np.losses import SoftmaxCrossEntropy
    from minitorch_np.optim import SGD
    from minitorch_np.training import Trainer

    x, y = np.zeros((4, 2), np.float32), np.zeros(4, np.int64)
    model = Linear(2, 2, rng=0)
    trainer = Trainer(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1))
    with pytest.raises(Exception) as from_loader:
        DataLoader(x, y, batch_size=batch_size)
    with pytest.raises(Exception) as from_trainer:
        trainer.evaluate(x, y, batch_size=batch_size)
    assert type(from_loader.value) is type(from_trainer.value) is ValueError
    assert (
        str(from_loader.value).split(": ", 1)[1]
        == str(from_trainer.value).split(": ", 1)[1]
    )


@pytest.mark.parametrize(
    ("arrays", "message"),
    [((), r"at least one array"), ((np.float32(1),), r"array 0 with a first dimension"),
     ((np.zeros(2), np.zeros(3)), r"same length .* got lengths \[2, 3\]")],
)  # fmt: skip
def test_array_dataset_errors(arrays: tuple[Any, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ArrayDataset(*arrays)


@pytest.mark.parametrize("x", [(np.zeros((4, 2)), np.zeros(4)), [1.0, 2.0, 3.0]])
def test_a_tuple_or_list_without_y_is_refused_when_built(x):
    with pytest.raises(
        TypeError, match=r"DataLoader: y is required when x is an array .* no y"
    ):
        DataLoader(x, batch_size=2)
