"""DataLoader(shard=(rank, world_size)) and the trainer's collective helpers,
in one process (no MPI needed): the ranks' batches put together are the
single-process batches."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minitorch_np.data import DataLoader, RandomShift
from minitorch_np.data.sharding import shard_bounds
from minitorch_np.training import collective


def indexed(n: int) -> tuple[np.ndarray, np.ndarray]:
    i = np.arange(n)
    return np.stack([i, -i], axis=1).astype(np.float32), 3 * i + 1


@given(
    rows=st.integers(min_value=0, max_value=100),
    world_size=st.integers(min_value=1, max_value=9),
)
def test_shard_bounds_cut_rows_into_contiguous_near_equal_slices(
    rows: int, world_size: int
) -> None:
    bounds = [shard_bounds(rows, rank, world_size) for rank in range(world_size)]
    assert bounds[0][0] == 0 and bounds[-1][1] == rows
    assert all(stop == start for (_, stop), (start, _) in zip(bounds, bounds[1:]))
    sizes = [stop - start for start, stop in bounds]
    assert max(sizes) - min(sizes) <= 1 and sizes == sorted(sizes, reverse=True)


@given(
    n=st.integers(min_value=1, max_value=120),
    b=st.integers(min_value=3, max_value=40),
    world_size=st.integers(min_value=1, max_value=3),
    drop_last=st.booleans(),
    seed=st.integers(min_value=0, max_value=2**16),
)
def test_the_ranks_batches_together_are_the_single_process_batches(
    n: int, b: int, world_size: int, drop_last: bool, seed: int
) -> None:
    x, y = indexed(n)
    if not drop_last and n % b and n % b < world_size or n < b and drop_last:
        return  # refused (below) or no batch
    single = list(DataLoader(x, y, b, drop_last=drop_last, rng=seed))
    shards = [
        DataLoader(x, y, b, drop_last=drop_last, rng=seed, shard=(r, world_size))
        for r in range(world_size)
    ]
    epochs = [list(loader) for loader in shards]
    assert all(len(loader) == len(shards[0]) == len(single) for loader in shards)
    for step, (xb, yb) in enumerate(single):
        parts = [epoch[step] for epoch in epochs]
        np.testing.assert_array_equal(np.concatenate([p[0] for p in parts]), xb)
        np.testing.assert_array_equal(np.concatenate([p[1] for p in parts]), yb)
        assert all(len(p[0]) >= 1 for p in parts)


def test_global_batch_rows_is_the_row_count_of_the_whole_batch() -> None:
    x, y = indexed(11)
    loader = DataLoader(x, y, 4, rng=0, shard=(1, 2))
    seen = [(len(xb), loader.global_batch_rows) for xb, _ in loader]
    assert seen == [(2, 4), (2, 4), (1, 3)]
    assert repr(loader).endswith("drop_last=False, shard=(1, 2))")


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"shard": (2, 2)}, ValueError, "0 <= rank < world_size, got (2, 2)"),
        ({"shard": (0, 0)}, ValueError, "world_size >= 1"),
        ({"shard": [0, 2]}, TypeError, "None, 'auto' or a pair of ints"),
        ({"shard": "all"}, TypeError, "None, 'auto' or a pair of ints"),
        ({"shard": (0, True)}, TypeError, "pair of ints"),
        (
            {"shard": (0, 2), "rng": None},
            ValueError,
            "the same rng seed on every rank (e.g. rng=0), not rng=None",
        ),
        (
            {"shard": (0, 3), "batch_size": 5},
            ValueError,
            "needs at least 3 rows (one per rank), but 11 samples in batches of 5 "
            "give a batch of 1; use a larger batch_size, drop_last=True",
        ),
        (
            {"shard": (0, 3), "batch_size": 2, "drop_last": True},
            ValueError,
            "give a batch of 2",
        ),
    ],
)
def test_bad_shards_are_refused(kwargs: dict, error: type, message: str) -> None:
    x, y = indexed(11)
    arguments = {"batch_size": 4, "rng": 0, **kwargs}
    with pytest.raises(error, match="DataLoader") as caught:
        DataLoader(x, y, **arguments)
    assert message in str(caught.value)


def test_unshuffled_shards_need_no_seed() -> None:
    x, y = indexed(6)
    (xb, _), *_ = DataLoader(x, y, 4, shuffle=False, shard=(1, 2))
    np.testing.assert_array_equal(xb[:, 0], [2, 3])


def test_unshuffled_shards_with_a_transform_need_the_same_seed() -> None:
    # the transform's parameters are drawn for the global batch on every rank
    x, y = indexed(6)
    with pytest.raises(
        ValueError, match=r"needs the same random draws .* not rng=None"
    ):
        DataLoader(
            x.reshape(6, 1, 1, 2),
            y,
            4,
            shuffle=False,
            shard=(1, 2),
            transform=RandomShift(1),
        )
    images = np.arange(6 * 4, dtype=np.float32).reshape(6, 1, 2, 2)
    single = list(
        DataLoader(images, y, 4, shuffle=False, rng=3, transform=RandomShift(1))
    )
    shards = [
        list(
            DataLoader(
                images,
                y,
                4,
                shuffle=False,
                rng=3,
                shard=(r, 2),
                transform=RandomShift(1),
            )
        )
        for r in range(2)
    ]
    for step, (xb, _) in enumerate(single):
        np.testing.assert_array_equal(
            np.concatenate([shards[0][step][0], shards[1][step][0]]), xb
        )


def test_a_single_process_optimizer_makes_every_collective_operation_local() -> None:
    class Running:
        loss_sum, correct, seen = 1.5, 2, 3

    running = Running()
    optimizer = object()
    assert collective.collective_of(optimizer) is collective.SINGLE_PROCESS
    collective.reduce_running_sums(optimizer, running)
    assert (running.loss_sum, running.correct, running.seen) == (1.5, 2, 3)
    assert collective.slowest(optimizer, 2.5) == 2.5
    x, y = indexed(5)
    assert collective.local_share(optimizer, x, y)[0] is not None
    np.testing.assert_array_equal(collective.local_share(optimizer, x, y)[1], y)


def test_launched_world_size_reads_the_launchers_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for variable in collective.LAUNCHER_SIZE_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    assert collective.launched_world_size() == 1
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "4")
    assert collective.launched_world_size() == 4
    monkeypatch.setenv("PMI_SIZE", "2")
    assert collective.launched_world_size() == 2
