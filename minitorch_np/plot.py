"""Training curves with matplotlib (the optional ``plot`` extra).

matplotlib is imported inside the function, never when minitorch_np is
imported, so the library itself needs only numpy and tqdm.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from minitorch_np._atomic import atomic_write
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
    panels = [("loss", "loss")] + (
        [("acc", "accuracy")] if _filled(columns, "acc") else []
    )
    for index, (name, label) in enumerate(panels, start=1):
        axes = figure.add_subplot(1, len(panels), index)
        _draw_panel(axes, columns, name, label)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    if path is not None:
        _save(figure, Path(os.fspath(path)), dpi)
    return figure


def _save(figure: Any, path: Path, dpi: int) -> None:
    """Save atomically: an interrupted save leaves an older file as it was.
    The format comes from the suffix; without one it is matplotlib's default
    (``savefig.format``, png), added to the name as matplotlib does."""
    import matplotlib

    suffix = path.suffix[1:].lower()
    if not suffix:
        suffix = str(matplotlib.rcParams["savefig.format"])
        path = path.with_name(f"{path.name}.{suffix}")
    with atomic_write(path) as (file, _):
        figure.savefig(file, dpi=dpi, format=suffix)


def _columns(history: Any) -> dict[str, Sequence[float]]:
    columns = history.to_dict() if hasattr(history, "to_dict") else history
    if not isinstance(columns, Mapping) or not _filled(columns, "loss"):
        raise ValueError(
            "plot_history: expected a History or a mapping with a non-empty 'loss' "
            f"column, got {type(history).__name__}"
        )
    return dict(columns)


def _filled(columns: Mapping[str, Any], name: str) -> bool:
    """Whether column ``name`` is there with at least one value (a list or an array)."""
    values = columns.get(name)
    return values is not None and len(values) > 0


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
        if _filled(columns, prefix + name):
            values = columns[prefix + name]
            epochs = range(1, len(values) + 1)
            axes.plot(
                epochs, values, marker="o" if len(values) <= 30 else None, label=kind
            )
    axes.set_xlabel("epoch")
    axes.set_ylabel(label)
    axes.grid(True, alpha=0.3)
    axes.legend()
