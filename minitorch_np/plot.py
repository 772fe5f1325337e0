"""Training curves with matplotlib (the optional ``plot`` extra).

matplotlib is imported inside the function, never when minitorch_np is
imported, so the library itself needs only numpy and tqdm.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from minitorch_np._typing import PathLike

INSTALL_HINT = 'pip install "minitorch_np[plot]"'


def plot_history(
    history: Any,
    path: PathLike | None = None,
    *,
    title: str | None = None,
    dpi: int = 100,
) -> Any:
    """Draw loss and accuracy per epoch, training and validation side by side.

    Args:
        history: a `History` (from ``Trainer.fit``) or any mapping of column
            name to per-epoch values with ``loss`` and optionally ``val_loss``,
            ``acc``, ``val_acc`` (e.g. Keras's ``history.history``).
        path: if given, the figure is saved there (format from the suffix,
            e.g. ``curves.png``) with matplotlib's Agg renderer, without
            pyplot, so it works with no display and leaves pyplot's state
            alone. If None, the figure is made with pyplot, ready for
            ``plt.show()``.
        title: optional title over both panels.
        dpi: resolution of the saved file.

    Returns the matplotlib ``Figure``: one panel for the loss, and one for
    the accuracy when ``acc`` was recorded.

    Raises:
        ImportError: matplotlib is not installed (install the ``plot`` extra).
    """
    columns = _columns(history)
    figure = _new_figure(saving=path is not None)
    panels = [("loss", "loss")] + ([("acc", "accuracy")] if columns.get("acc") else [])
    for index, (name, label) in enumerate(panels, start=1):
        axes = figure.add_subplot(1, len(panels), index)
        _draw_panel(axes, columns, name, label)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    if path is not None:
        figure.savefig(os.fspath(path), dpi=dpi)
    return figure


def _columns(history: Any) -> dict[str, Sequence[float]]:
    columns = history.to_dict() if hasattr(history, "to_dict") else history
    if not isinstance(columns, Mapping) or not columns.get("loss"):
        raise ValueError(
            "plot_history: expected a History or a mapping with a non-empty 'loss' "
            f"column, got {type(history).__name__}"
        )
    return dict(columns)


def _new_figure(saving: bool) -> Any:
    try:
        if saving:
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure

            figure = Figure(figsize=(10, 4))
            FigureCanvasAgg(figure)  # attaches the Agg canvas to the figure
            return figure
        from matplotlib import pyplot

        return pyplot.figure(figsize=(10, 4))
    except ImportError as error:
        raise ImportError(f"plot_history needs matplotlib: {INSTALL_HINT}") from error


def _draw_panel(
    axes: Any, columns: Mapping[str, Sequence[float]], name: str, label: str
) -> None:
    for prefix, kind in (("", "train"), ("val_", "validation")):
        values = columns.get(prefix + name)
        if values:
            epochs = range(1, len(values) + 1)
            axes.plot(
                epochs, values, marker="o" if len(values) <= 30 else None, label=kind
            )
    axes.set_xlabel("epoch")
    axes.set_ylabel(label)
    axes.grid(True, alpha=0.3)
    axes.legend()
