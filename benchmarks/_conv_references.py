"""What benchmarks/bench_conv.py times the example CNN against: PyTorch
(the same network, loss and optimizer, its fastest loop) and the matrix-product
floor (the epoch's products alone). See bench_conv.py's docstring."""

from __future__ import annotations

from typing import Any

import numpy as np

BATCH = 128


def torch_model(torch: Any) -> Any:
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.MaxPool2d(2), nn.ReLU(),
        nn.Conv2d(32, 64, 3, padding=1), nn.MaxPool2d(2), nn.ReLU(),
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10),
    )  # fmt: skip


def torch_layer(torch: Any, name: str) -> Any:
    nn = torch.nn
    kind = name.split()[0]
    return {
        "conv1": lambda: nn.Conv2d(1, 32, 3, padding=1),
        "conv2": lambda: nn.Conv2d(32, 64, 3, padding=1),
        "linear1": lambda: nn.Linear(3136, 128),
        "relu1": nn.ReLU,
    }.get(kind, lambda: nn.MaxPool2d(2))()


class MatmulFloor:
    """The matrix products of an epoch of the example CNN, back to back, into
    preallocated outputs. Per batch of n and per layer, with rows = n * pixels
    (one row per output pixel of a convolution, per sample of a Linear):

    * forward cols (rows, inner) @ W^T (inner, outer);
    * weight gradient G^T (outer, rows) @ cols;
    * input gradient, for every layer but the first: G @ W, or for the second
      convolution G @ W[:, :, i, j] for its 9 kernel offsets (as `Conv2d`).
    """

    #: (pixels per sample, inner, outer) of each layer's products
    LAYERS = [(784, 9, 32), (196, 288, 64), (1, 3136, 128), (1, 128, 10)]

    def __init__(self, n_samples: int, limit: int | None) -> None:
        rng = np.random.default_rng(0)
        full, last = divmod(n_samples, BATCH)
        self.batches = ([BATCH] * full + ([last] if last else []))[:limit]

        def array(*shape: int) -> np.ndarray:
            return rng.standard_normal(shape, dtype=np.float32)

        self.blocks = array(9, 64, 32)  # W[:, :, i, j] of the second convolution
        #: per batch size: per layer (cols, W, G, output, weight grad, input grad)
        self.arrays: dict[int, list[tuple[np.ndarray, ...]]] = {}
        for n in set(self.batches):
            self.arrays[n] = []
            for pixels, inner, outer in self.LAYERS:
                rows = n * pixels
                input_grad_shape = (9, rows, 32) if inner == 288 else (rows, inner)
                self.arrays[n].append((
                    array(rows, inner), array(outer, inner), array(rows, outer),
                    np.empty((rows, outer), np.float32), np.empty((outer, inner), np.float32),
                    np.empty(input_grad_shape, np.float32),
                ))  # fmt: skip

    def epoch(self) -> None:
        for n in self.batches:
            for layer, (cols, w, g, out, grad_w, grad_x) in enumerate(self.arrays[n]):
                np.matmul(cols, w.T, out=out)
                np.matmul(g.T, cols, out=grad_w)
                if layer == 1:
                    np.matmul(g, self.blocks, out=grad_x)
                elif layer > 1:
                    np.matmul(g, w, out=grad_x)


class TorchLoop:
    def __init__(
        self, x: np.ndarray, y: np.ndarray, threads: int, limit: int | None
    ) -> None:
        import torch

        torch.set_num_threads(threads)
        torch.manual_seed(0)
        self.torch = torch
        self.x, self.y = torch.from_numpy(x), torch.from_numpy(y)
        self.model = torch_model(torch)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-3)
        self.loss_fn = torch.nn.CrossEntropyLoss()
        self.generator = torch.Generator().manual_seed(0)
        self.limit = limit

    def epoch(self) -> None:
        order = self.torch.randperm(len(self.x), generator=self.generator)
        for step, start in enumerate(range(0, len(self.x), BATCH)):
            if step == self.limit:
                break
            index = order[start : start + BATCH]
            xb, yb = self.x.index_select(0, index), self.y.index_select(0, index)
            self.optimizer.zero_grad()
            self.loss_fn(self.model(xb), yb).backward()
            self.optimizer.step()
