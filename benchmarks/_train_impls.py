"""The implementations `bench_train.py` times: the minitorch_np step loop and
``Trainer.fit``, the matrix-product floor and PyTorch's two loops, each as an
object whose ``epoch()`` trains (or computes) one epoch.

A configuration: hidden widths, batch size and optimizer (see `Config`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from minitorch_np.data import DataLoader
from minitorch_np.layers import Layer, Linear, ReLU, Sequential
from minitorch_np.losses import SoftmaxCrossEntropy
from minitorch_np.optim import SGD, Adam, Optimizer
from minitorch_np.training import Trainer


@dataclass(frozen=True)
class Config:
    """One benchmarked training setup."""

    name: str
    sizes: tuple[
        int, ...
    ]  # layer widths, input first: (784, 10) or (784, 256, 256, 10)
    batch_size: int
    optimizer: str  # "sgd" (with momentum) or "adam"

    @property
    def is_mlp(self) -> bool:
        return len(self.sizes) > 2

    def matmul_flops_per_sample(self) -> int:
        """Forward x W^T and weight gradient G^T x for every layer, input
        gradient G W for all but the first: 2 * in * out FLOPs each."""
        layers = list(zip(self.sizes[:-1], self.sizes[1:]))
        products = [2 * 2 * n_in * n_out for n_in, n_out in layers]
        products += [2 * n_in * n_out for n_in, n_out in layers[1:]]
        return sum(products)


# ---------------------------------------------------------------------- minitorch_np
def build_model(config: Config, rng: np.random.Generator) -> Sequential:
    if not config.is_mlp:
        return Sequential(Linear(784, 10, init="zeros"))  # as examples/softmax_mnist.py
    layers: list[Layer] = []
    widths = config.sizes
    for index, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(Linear(n_in, n_out, rng=rng))
        if index < len(widths) - 2:
            layers.append(ReLU())
    return Sequential(*layers)


def build_optimizer(config: Config, model: Layer) -> Optimizer:
    if config.optimizer == "adam":
        return Adam(model.parameters(), lr=1e-3)
    if config.is_mlp:
        return SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
    return SGD(model.parameters(), lr=0.1, momentum=0.9)


class StepLoop:
    """The five calls of a training step, over one shuffled epoch."""

    def __init__(self, config: Config, x: np.ndarray, y: np.ndarray, seed: int) -> None:
        self.model = build_model(config, np.random.default_rng(seed))
        self.optimizer = build_optimizer(config, self.model)
        self.loss_fn = SoftmaxCrossEntropy()
        self.loader = DataLoader(x, y, batch_size=config.batch_size, rng=seed)

    def epoch(self) -> None:
        for xb, yb in self.loader:
            self.optimizer.zero_grad()
            outputs = self.model(xb)
            self.loss_fn(outputs, yb)
            self.model.accumulate_grad(self.loss_fn.backward())
            self.optimizer.step()


class TrainerEpoch:
    """``Trainer.fit`` for one epoch at a time (the model keeps training)."""

    def __init__(self, config: Config, x: np.ndarray, y: np.ndarray, seed: int) -> None:
        model = build_model(config, np.random.default_rng(seed))
        self.trainer = Trainer(
            model, SoftmaxCrossEntropy(), build_optimizer(config, model)
        )
        self.loader = DataLoader(x, y, batch_size=config.batch_size, rng=seed)

    def epoch(self) -> None:
        self.trainer.fit(self.loader, 1, progress=False)


# ---------------------------------------------------------------------- floor
class MatmulFloor:
    """Only the matrix products of an epoch, back to back, into preallocated arrays."""

    def __init__(self, config: Config, n_samples: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        widths = config.sizes

        def random(*shape: int) -> np.ndarray:
            return rng.standard_normal(shape, dtype=np.float32)

        self.weights = [
            random(n_out, n_in) for n_in, n_out in zip(widths[:-1], widths[1:])
        ]
        self.weight_grads = [np.empty_like(w) for w in self.weights]
        full, last = divmod(n_samples, config.batch_size)
        self.batch_sizes = [config.batch_size] * full + ([last] if last else [])
        # Per batch size: layer inputs x, output gradients G, outputs, input gradients.
        self.arrays: dict[int, tuple[list[np.ndarray], ...]] = {}
        for n in set(self.batch_sizes):
            inputs = [random(n, width) for width in widths[:-1]]
            grads = [random(n, width) for width in widths[1:]]
            outputs = [np.empty((n, width), np.float32) for width in widths[1:]]
            input_grads = [np.empty((n, width), np.float32) for width in widths[:-1]]
            self.arrays[n] = (inputs, grads, outputs, input_grads)

    def epoch(self) -> None:
        weights, weight_grads = self.weights, self.weight_grads
        for n in self.batch_sizes:
            inputs, grads, outputs, input_grads = self.arrays[n]
            for layer, w in enumerate(weights):
                np.matmul(inputs[layer], w.T, out=outputs[layer])
            for layer in range(len(weights) - 1, -1, -1):
                np.matmul(grads[layer].T, inputs[layer], out=weight_grads[layer])
                if layer > 0:
                    np.matmul(grads[layer], weights[layer], out=input_grads[layer])


# ---------------------------------------------------------------------- PyTorch
class TorchLoop:
    """The same network and step in PyTorch.

    ``tuned=False``: batches from ``torch.utils.data.DataLoader(TensorDataset(x, y),
    batch_size, shuffle=True)``, the loop of PyTorch's tutorials (the loader
    indexes the dataset once per sample and stacks the samples of a batch).
    ``tuned=True``: batches gathered with ``index_select`` from a shuffled
    ``randperm``, as fast as a torch loop over in-memory tensors gets.
    """

    def __init__(
        self,
        config: Config,
        x: np.ndarray,
        y: np.ndarray,
        seed: int,
        threads: int,
        tuned: bool,
    ) -> None:
        import torch

        torch.set_num_threads(threads)
        torch.manual_seed(seed)
        self.torch = torch
        self.x, self.y = torch.from_numpy(x), torch.from_numpy(y)
        self.batch_size = config.batch_size
        self.generator = torch.Generator().manual_seed(seed)
        widths = config.sizes
        layers: list[Any] = []
        for index, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:])):
            layers.append(torch.nn.Linear(n_in, n_out))
            if index < len(widths) - 2:
                layers.append(torch.nn.ReLU())
        self.model = torch.nn.Sequential(*layers)
        params = self.model.parameters()
        if config.optimizer == "adam":
            self.optimizer = torch.optim.Adam(params, lr=1e-3)
        elif config.is_mlp:
            self.optimizer = torch.optim.SGD(
                params, lr=0.05, momentum=0.9, nesterov=True
            )
        else:
            self.optimizer = torch.optim.SGD(params, lr=0.1, momentum=0.9)
        self.loss_fn = torch.nn.CrossEntropyLoss()
        self.loader = torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(self.x, self.y),
            batch_size=config.batch_size,
            shuffle=True,
            generator=self.generator,
        )
        self.batches = self.tuned_batches if tuned else self.loader.__iter__

    def tuned_batches(self) -> Iterator[tuple[Any, Any]]:
        order = self.torch.randperm(len(self.x), generator=self.generator)
        for start in range(0, len(self.x), self.batch_size):
            index = order[start : start + self.batch_size]
            yield self.x.index_select(0, index), self.y.index_select(0, index)

    def epoch(self) -> None:
        for xb, yb in self.batches():
            self.optimizer.zero_grad()
            loss = self.loss_fn(self.model(xb), yb)
            loss.backward()
            self.optimizer.step()


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True
