"""Reading version-1 checkpoints (written by minitorch_np 0.1.0).

Version 1 kept the model's arrays as entries ``model/<name>`` without listing
them in the metadata, the optimizer's buffers as ``optimizer/<i>/<name>`` with
their names under ``optimizer.buffers``, and layer generators under
``rng.layers`` by the name of the layer that held an ``rng`` attribute.
`upgrade` rewrites such metadata into the version-2 layout (which refers to
entries by name, so the version-1 entries are read as they are); the loader
then validates and restores it like any other checkpoint.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: A version-1 layer generator lived in the ``rng`` attribute of its layer.
_GENERATOR_ATTRIBUTE = "rng"


def upgrade(metadata: Mapping[str, Any], entries: Mapping[str, Any]) -> dict[str, Any]:
    """The version-2 metadata equivalent to version-1 ``metadata``, whose
    archive holds ``entries`` (names -> anything). Raises ValueError when the
    version-1 document lacks a part it always had."""
    try:
        rng, saved = metadata["rng"], metadata["optimizer"]
        upgraded = {
            **{
                key: metadata[key]
                for key in ("format", "minitorch_np", "epoch", "history")
            },
            "version": 2,
            "model": {
                name[len("model/") :]: {"__array__": name}
                for name in entries
                if name.startswith("model/")
            },
            "generators": {
                "model": {
                    _generator_name(layer): state
                    for layer, state in rng["layers"].items()
                },
                "train_loader": rng["train_loader"],
            },
            "optimizer": None if saved is None else _optimizer(saved),
            "scheduler": metadata["scheduler"],
            "callbacks": {},
        }
    except (KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"malformed version-1 metadata ({error!r})") from None
    return upgraded


def _generator_name(layer: str) -> str:
    return f"{layer}.{_GENERATOR_ATTRIBUTE}" if layer else _GENERATOR_ATTRIBUTE


def _optimizer(saved: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "type": saved["type"],
        "hyperparameters": saved["hyperparameters"],
        "step_count": saved["step_count"],
        "state": [
            {name: {"__array__": f"optimizer/{index}/{name}"} for name in names}
            for index, names in enumerate(saved["buffers"])
        ],
    }
