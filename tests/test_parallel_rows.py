"""for_each_row_slice, and the layers that share their samples among the
library's threads with it: the same values bit for bit on one thread and on
several."""

import threading
import time

import numpy as np
import pytest

from minitorch_np import parallel
from minitorch_np.layers import AvgPool2d, Conv2d, MaxPool2d


@pytest.fixture
def many_threads(monkeypatch):
    """A thread for every 8 elements, three threads: small batches are cut
    into many slices taken by several threads."""
    monkeypatch.setattr(parallel, "MIN_ELEMENTS_PER_THREAD", 8)
    parallel.set_num_threads(3)
    yield
    parallel.set_num_threads(None)


@pytest.mark.parametrize("rows", [0, 1, 2, 7, 40, 101])
def test_the_slices_cover_every_row_once(many_threads, rows):
    counts = np.zeros(rows, int)
    lock = threading.Lock()
    workers = set()

    def work(part):
        with lock:
            counts[part] += 1
            workers.add(threading.get_ident())
        time.sleep(0.005)  # long enough for the pool's threads to take slices too

    parallel.for_each_row_slice(rows, 5, work)
    np.testing.assert_array_equal(counts, 1)
    if rows >= 40:
        assert len(workers) > 1  # the work really was shared


def test_work_that_shares_out_work_itself_finishes(many_threads):
    """A slice that calls for_each_row_slice again, on a pool thread, runs
    its inner slices itself instead of waiting for the busy pool."""
    counts = np.zeros((20, 20), int)

    def inner(row, cols):
        counts[row, cols] += 1  # each cell written by one slice only

    def outer(rows):
        for row in range(rows.start, rows.stop):
            parallel.for_each_row_slice(20, 5, lambda cols, row=row: inner(row, cols))

    finished = threading.Event()

    def run():
        parallel.for_each_row_slice(20, 5, outer)
        finished.set()

    threading.Thread(
        target=run, daemon=True
    ).start()  # daemon: a hang fails, not stalls
    assert finished.wait(timeout=10)
    np.testing.assert_array_equal(counts, 1)


def test_small_work_stays_on_the_calling_thread():
    calls = []
    parallel.for_each_row_slice(
        10, 10, lambda part: calls.append((part, threading.get_ident()))
    )
    assert calls == [(slice(0, 10), threading.get_ident())]


def run_layer(layer, x, grad):
    y = layer.forward(x)
    return y.copy(), layer.backward(grad).copy()


@pytest.mark.parametrize(
    "build",
    [
        lambda: Conv2d(
            3, 4, 3, stride=2, padding=1, dilation=1, rng=0, dtype=np.float64
        ),
        lambda: Conv2d(
            3, 5, (2, 3), padding=(0, 2), dilation=(2, 1), rng=1, dtype=np.float64
        ),
        lambda: MaxPool2d(3, stride=2, padding=1),
        lambda: MaxPool2d(2),
        lambda: AvgPool2d(3, stride=1, padding=1),
    ],
    ids=["conv-strided", "conv-dilated", "maxpool-overlapping", "maxpool-2", "avgpool"],
)
def test_threaded_layers_equal_one_thread_bit_for_bit(monkeypatch, build):
    rng = np.random.default_rng(0)
    # rounded values: many ties inside max-pool windows
    x = np.round(rng.standard_normal((11, 3, 9, 8)), 1)
    layer = build()
    y_one, dx_one = run_layer(layer, x, np.ones_like(layer.forward(x)))
    grad = rng.standard_normal(y_one.shape)
    y_one, dx_one = run_layer(layer, x, grad)
    monkeypatch.setattr(parallel, "MIN_ELEMENTS_PER_THREAD", 8)
    parallel.set_num_threads(3)
    try:
        y_many, dx_many = run_layer(layer, x, grad)
    finally:
        parallel.set_num_threads(None)
    np.testing.assert_array_equal(y_many, y_one)
    np.testing.assert_array_equal(dx_many, dx_one)
