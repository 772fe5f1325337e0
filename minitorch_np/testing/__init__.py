"""Property tests for layers: hypothesis strategies and `check_layer`.

Put one call in your own pytest file to test a custom layer against the layer
contract (see docs/layer_contract.md and docs/custom_layer.md)::

    from minitorch_np.testing import batch_shapes, check_layer

    def test_my_layer():
        check_layer(lambda rng: MyLayer(3, rng=rng), batch_shapes(3))

`check_layer` draws input shapes, inputs and seeds with hypothesis and, for
every drawn example, checks:

* shapes and dtypes: output and dL/dx keep the input dtype, dL/dx has the
  input's shape, each ``.grad`` has its parameter's shape and dtype;
* nothing is re-allocated or overwritten: ``p.data``/``p.grad`` stay the same
  arrays, ``forward``/``backward`` leave ``x``, dL/dy and ``p.data`` untouched;
* accumulation: a second ``backward`` adds the same gradient again (2x);
* ``accumulate_grad`` (what `Trainer` calls on a model) adds the same
  parameter gradients as ``backward``;
* determinism: two identical copies give bit-identical outputs and gradients
  (``layer(x)`` and ``layer.forward(x)`` agree);
* registration: no Layer or Parameter hides in a list/tuple/dict attribute
  where ``parameters()``, ``train()`` and ``state_dict()`` cannot see it;
* train/eval: ``train()``/``eval()`` reach every sub-layer; eval mode gives the
  train-mode output (unless ``same_in_eval=False``), is repeatable, changes no
  parameter or buffer and treats every sample on its own
  (unless ``batch_independent=False``);
* gradients: `minitorch_np.gradcheck` (float64 central differences) for the
  input and every parameter.

Strategies for the inputs: `batch_shapes` (N, *features), `image_shapes`
(N, C, H, W) for 2-D layers, `array_shapes` and `float_arrays`.

The kit is three modules: `strategies`, `layer_check` (`check_layer`) and
`properties` (the checks of one example). hypothesis is imported only when one
of these functions is called, so ``import minitorch_np`` never needs it.
"""

from minitorch_np.testing.layer_check import check_layer
from minitorch_np.testing.strategies import (
    array_shapes,
    batch_shapes,
    float_arrays,
    image_shapes,
)

__all__ = [
    "array_shapes",
    "batch_shapes",
    "check_layer",
    "float_arrays",
    "image_shapes",
]
