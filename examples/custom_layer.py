"""A user-written layer: a residual block y = x + f(x) around Linear-GELU-Linear.

Two new layers are defined here, outside the library, and used like built-in
ones:

* `GELU`, an activation with its own backward (the tanh form of GELU);
* `Residual`, a layer that holds another layer (its "branch" f) and adds the
  branch's output to its input, so the gradient reaches x along two paths.

Both are checked against float64 finite differences with `gradcheck`, then
property-tested with `minitorch_np.testing.check_layer` (needs hypothesis:
``pip install "minitorch_np[test]"``), then trained in a small net on MNIST if
the files are found (--data, $MINITORCH_NP_DATA, the user cache; nothing is
downloaded), otherwise on a synthetic 2-D problem (three interleaved spirals).
Run::

    python examples/custom_layer.py
    python examples/custom_layer.py --synthetic
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time

# One BLAS thread, unless you say otherwise (as in the other examples): when the
# cores are shared, OpenBLAS's spin-waiting threads can make a run several times
# slower (docs/benchmarks.md). Must be set before numpy is imported.
for variable in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

import numpy as np  # noqa: E402

from minitorch_np.cli import (  # noqa: E402
    add_debug_flag,
    non_negative_int,
    positive_float,
    positive_int,
    run_main,
)
from minitorch_np.data import DataLoader, load_mnist  # noqa: E402
from minitorch_np.gradcheck import gradcheck  # noqa: E402
from minitorch_np.layers import Layer, Linear, Sequential  # noqa: E402
from minitorch_np.losses import SoftmaxCrossEntropy  # noqa: E402
from minitorch_np.optim import Adam  # noqa: E402
from minitorch_np.training import Trainer  # noqa: E402

# Python floats, not np.float64 scalars: a float64 scalar would turn a float32
# activation into float64 (numpy's promotion rules).
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
CUBIC = 0.044715


class GELU(Layer):
    """Gaussian error linear unit, tanh form (PyTorch's ``approximate="tanh"``).

    Elementwise, any shape, keeps the input dtype::

        u = sqrt(2/pi) * (x + 0.044715 x^3),   t = tanh(u)
        y = 0.5 x (1 + t)

    Backward, by the product and chain rules (dt/du = 1 - t^2)::

        dy/dx = 0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2)
        dL/dx = dL/dy * dy/dx
    """

    def __init__(self) -> None:
        super().__init__()
        self._x: np.ndarray | None = None
        self._t: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        t = np.tanh(SQRT_2_OVER_PI * (x + CUBIC * x**3))  # tanh never overflows
        self._x, self._t = x, t
        return 0.5 * x * (1 + t)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        if self._x is None or self._t is None:
            raise RuntimeError(f"{self!r}: backward called before forward")
        x, t = self._x, self._t
        du_dx = SQRT_2_OVER_PI * (1 + 3 * CUBIC * x * x)
        return grad_output * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du_dx)


class Residual(Layer):
    """y = x + f(x) for a branch layer f that keeps the shape (a skip connection).

    Shapes: x (N, D) -> y (N, D). The branch is a registered sub-layer, so its
    parameters appear as ``branch.0.weight``, ... in ``parameters()`` and
    ``state_dict()``, and ``train()``/``eval()`` reach it.

    Backward: the sum passes dL/dy unchanged to both terms, so::

        dL/dx = dL/dy + f.backward(dL/dy)

    and f adds its own parameter gradients while running its backward.
    """

    def __init__(self, branch: Layer) -> None:
        super().__init__()
        if not isinstance(branch, Layer):
            raise TypeError(
                f"Residual: expected the branch to be a Layer, got {type(branch).__name__}"
            )
        self.branch = branch

    def forward(self, x: np.ndarray) -> np.ndarray:
        fx = self.branch.forward(x)
        if fx.shape != x.shape:
            raise ValueError(
                f"Residual: the branch must keep the input's shape to be added to it; "
                f"input {x.shape}, branch output {fx.shape}"
            )
        return x + fx

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        return grad_output + self.branch.backward(grad_output)


def residual_block(width: int, hidden: int, rng: np.random.Generator) -> Residual:
    """x + Linear(hidden, width)(GELU(Linear(width, hidden)(x)))."""
    return Residual(
        Sequential(
            Linear(width, hidden, rng=rng), GELU(), Linear(hidden, width, rng=rng)
        )
    )


def build_model(
    in_features: int, width: int, classes: int, rng: np.random.Generator
) -> Sequential:
    """Linear -> GELU -> two residual blocks -> Linear: (N, in_features) -> (N, classes) logits."""
    return Sequential(
        Linear(in_features, width, rng=rng),
        GELU(),
        residual_block(width, width, rng),
        residual_block(width, width, rng),
        Linear(width, classes, rng=rng),
    )


# ---------------------------------------------------------------------- checks
def check_gradients(rng: np.random.Generator) -> None:
    """`gradcheck` both layers on small random inputs: input and every parameter."""
    x = rng.uniform(-2, 2, size=(4, 3))
    for name, layer in (
        ("GELU", GELU()),
        ("Residual(Linear-GELU-Linear)", residual_block(3, 5, rng)),
    ):
        report = gradcheck(layer, x)  # raises GradcheckError if any tensor disagrees
        tensors = ", ".join(report.errors)
        print(f"gradcheck {name}: {tensors}: max relative error {report.max_error:.1e}")


def check_contract() -> None:
    """`check_layer`: many random shapes, inputs and seeds against the whole
    layer contract (gradients, dtypes, accumulation, determinism, eval mode)."""
    try:
        from minitorch_np.testing import array_shapes, batch_shapes, check_layer

        check_layer(
            GELU, array_shapes(max_dims=3), elements=(-4.0, 4.0), max_examples=25
        )
        print("check_layer GELU: passed on 25 random shapes and inputs")
        check_layer(
            lambda rng: residual_block(3, 5, rng), batch_shapes(3), max_examples=25
        )
        print(
            "check_layer Residual: passed on 25 random batch sizes, inputs and weights"
        )
    except ImportError as error:  # hypothesis is a test dependency, not a runtime one
        print(f"check_layer skipped: {error}")


# ---------------------------------------------------------------------- data
def spirals(
    n_per_class: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Three interleaved 2-D spirals of 1.5 turns each, with angular noise:
    x (3n, 2) float32 in about [-2, 2], y (3n,) int64 class 0..2."""
    classes, turns = 3, 1.5
    y = np.repeat(np.arange(classes), n_per_class)
    radius = rng.uniform(0.05, 1.0, size=y.size)
    noise = rng.normal(0.0, 0.3, size=y.size)
    angle = 2 * np.pi * (y / classes + turns * radius) + noise
    x = 2 * radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    order = rng.permutation(y.size)  # mix the classes, so any prefix has all three
    return x[order].astype(np.float32), y[order].astype(np.int64)


def load_data(
    args: argparse.Namespace, rng: np.random.Generator
) -> tuple[str, list[np.ndarray]]:
    """("MNIST", [x, y, x_test, y_test]) if the MNIST files are already on disk
    (nothing is downloaded), else the same for spirals."""
    if not args.synthetic:
        try:
            train = load_mnist("train", root=args.data, download=False)
            test = load_mnist("test", root=args.data, download=False)
            return "MNIST", [*train, *test]
        except FileNotFoundError:
            print(
                "MNIST not found (pass --data or set MINITORCH_NP_DATA); using spirals"
            )
    return "spirals", [*spirals(500, rng), *spirals(500, rng)]


# ---------------------------------------------------------------------- main
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--synthetic",
        action="store_true",
        help="train on 2-D spirals even if MNIST is available",
    )
    parser.add_argument(
        "--epochs",
        type=positive_int,
        default=None,
        help="default: 2 on MNIST, 30 on spirals",
    )
    parser.add_argument(
        "--lr",
        type=positive_float,
        default=None,
        help="Adam learning rate; default: 1e-3 on MNIST, 1e-2 on spirals",
    )
    parser.add_argument("--batch-size", type=positive_int, default=64)
    parser.add_argument(
        "--seed",
        type=non_negative_int,
        default=0,
        help="seed of the initialisation, data and shuffling",
    )
    parser.add_argument(
        "--data",
        default=None,
        help="folder with mnist/ (default: $MINITORCH_NP_DATA, then the library's lookup)",
    )
    parser.add_argument(
        "--limit-train",
        type=positive_int,
        default=None,
        metavar="N",
        help="train on the first N samples only",
    )
    add_debug_flag(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> float:
    args = parse_args(argv)
    start = time.perf_counter()  # the reported time covers checks, loading, training
    rng = np.random.default_rng(args.seed)
    check_gradients(rng)
    check_contract()

    name, (x, y, x_test, y_test) = load_data(args, rng)
    x, y = x[: args.limit_train], y[: args.limit_train]
    mnist = name == "MNIST"
    epochs = args.epochs if args.epochs is not None else (2 if mnist else 30)
    lr = args.lr if args.lr is not None else (1e-3 if mnist else 1e-2)
    model = build_model(x.shape[1], 128 if mnist else 64, 10 if mnist else 3, rng)
    print(model)
    trainer = Trainer(model, SoftmaxCrossEntropy(), Adam(model.parameters(), lr=lr))
    trainer.fit(DataLoader(x, y, batch_size=args.batch_size, rng=rng), epochs)
    test_accuracy = trainer.evaluate(x_test, y_test)["acc"]
    seconds = time.perf_counter() - start
    print(f"{name}: {len(x)} training samples, {epochs} epochs")
    print(f"test accuracy {test_accuracy:.2%} in {seconds:.1f} s")
    return test_accuracy


if __name__ == "__main__":
    sys.exit(run_main(main))
