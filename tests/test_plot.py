"""plot_history: lazy matplotlib import with an install hint, PNG output."""

from __future__ import annotations

import sys

import pytest

from minitorch_np.plot import plot_history
from minitorch_np.training import History

MATPLOTLIB_MODULES = (
    "matplotlib",
    "matplotlib.pyplot",
    "matplotlib.figure",
    "matplotlib.backends",
    "matplotlib.backends.backend_agg",
)


def history(with_val: bool = True, with_acc: bool = True) -> History:
    columns = {"loss": [1.0, 0.6, 0.4], "lr": [0.1] * 3, "seconds": [0.2] * 3}
    if with_acc:
        columns["acc"] = [0.6, 0.8, 0.9]
    if with_val:
        columns["val_loss"] = [0.9, 0.7, 0.5]
        if with_acc:
            columns["val_acc"] = [0.65, 0.75, 0.85]
    return History(columns)


def test_importing_the_package_does_not_import_matplotlib():
    import subprocess

    code = "import minitorch_np, minitorch_np.plot, minitorch_np.training, sys; print('matplotlib' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_missing_matplotlib_gives_the_install_command(monkeypatch, tmp_path):
    for name in MATPLOTLIB_MODULES:
        monkeypatch.setitem(
            sys.modules, name, None
        )  # "import matplotlib" now raises ImportError
    with pytest.raises(ImportError, match=r'pip install "minitorch_np\[plot\]"'):
        plot_history(history(), tmp_path / "curves.png")
    with pytest.raises(ImportError, match=r'pip install "minitorch_np\[plot\]"'):
        plot_history(history())
    assert not (tmp_path / "curves.png").exists()


def test_a_history_without_loss_is_rejected():
    with pytest.raises(ValueError, match="'loss'"):
        plot_history(History())


@pytest.mark.parametrize(
    ("with_val", "with_acc", "panels"),
    [(True, True, 2), (False, True, 2), (True, False, 1)],
)
def test_writes_a_png(tmp_path, with_val, with_acc, panels):
    pytest.importorskip(
        "matplotlib",
        reason='the plot extra is not installed (pip install "minitorch_np[plot]")',
    )
    path = tmp_path / "curves.png"
    figure = plot_history(history(with_val, with_acc), path, title="test run")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(figure.axes) == panels
    lines_per_panel = 2 if with_val else 1
    assert [len(axes.get_lines()) for axes in figure.axes] == [lines_per_panel] * panels


def test_accepts_a_plain_mapping(tmp_path):
    pytest.importorskip(
        "matplotlib",
        reason='the plot extra is not installed (pip install "minitorch_np[plot]")',
    )
    path = tmp_path / "keras.png"
    plot_history({"loss": [0.5, 0.4], "val_loss": [0.6, 0.5]}, path)
    assert path.stat().st_size > 0


def test_accepts_numpy_arrays_and_writes_the_default_format_without_a_suffix(tmp_path):
    pytest.importorskip("matplotlib", reason="the plot extra is not installed")
    import numpy as np

    figure = plot_history(
        {"loss": np.array([1.0, 0.5]), "acc": np.array([0.5, 0.7])}, tmp_path / "curves"
    )
    assert len(figure.axes) == 2
    assert (tmp_path / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_an_interrupted_save_leaves_the_earlier_file(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib", reason="the plot extra is not installed")
    from matplotlib.figure import Figure

    path = tmp_path / "curves.svg"
    plot_history(history(), path)
    good = path.read_bytes()
    real_savefig = Figure.savefig

    def interrupted(self, file, **options):
        real_savefig(self, file, **options)  # the bytes are written ...
        raise KeyboardInterrupt  # ... and then Ctrl-C, before the rename

    monkeypatch.setattr(Figure, "savefig", interrupted)
    with pytest.raises(KeyboardInterrupt):
        plot_history(history(with_acc=False), path)
    assert path.read_bytes() == good
    assert [p.name for p in tmp_path.iterdir()] == ["curves.svg"]  # no temporary left
