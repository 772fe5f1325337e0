"""Corrupt, crafted and oversized checkpoints get a ValueError naming the file,
with every object left as it was; memory stays bounded by the file's size."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

from minitorch_np.layers import Layer, Linear, Sequential
from minitorch_np.optim import SGD
from minitorch_np.optim.lr_scheduler import StepLR
from minitorch_np.training import load_checkpoint, save_checkpoint


def model_and_optimizer(seed: int = 0):
    model = Sequential(Linear(5, 8, rng=seed), Linear(8, 3, rng=seed + 1))
    optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9)
    optimizer.zero_grad()
    model.forward(np.ones((2, 5), np.float32))
    model.backward(np.ones((2, 3), np.float32))
    optimizer.step()
    return model, optimizer


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    model, optimizer = model_and_optimizer()
    return save_checkpoint(tmp_path / "run.npz", model, optimizer, epoch=2)


def entries(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rewrite(
    path: Path, contents: dict[str, bytes], compress: int = zipfile.ZIP_STORED
) -> None:
    with zipfile.ZipFile(path, "w", compression=compress) as archive:
        for name, data in contents.items():
            archive.writestr(name, data)


def npy_bytes(array: np.ndarray) -> bytes:
    from io import BytesIO

    buffer = BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def with_metadata(path: Path, edit) -> None:
    contents = entries(path)
    with np.load(path) as archive:
        metadata = json.loads(archive["metadata"].item())
    edit(metadata)
    contents["metadata.npy"] = npy_bytes(np.array(json.dumps(metadata)))
    rewrite(path, contents)


def assert_unchanged(model: Layer, optimizer: SGD, before) -> None:
    for name, array in before[0].items():
        np.testing.assert_array_equal(model.state_dict()[name], array)
    assert optimizer.step_count == before[1] and optimizer.lr == before[2]


def fresh():
    model, optimizer = model_and_optimizer(seed=7)
    return model, optimizer, (model.state_dict(), optimizer.step_count, optimizer.lr)


# ---------------------------------------------------------------------- size bombs
def test_a_compressed_oversized_entry_is_refused_from_its_header_in_bounded_memory(
    saved: Path,
) -> None:
    """64 MB of zeros declared as model/0.weight, deflated to a few hundred KB."""
    contents = entries(saved)
    path = saved.with_name("bomb.npz")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in contents.items():
            if name != "model/0.weight.npy":
                archive.writestr(name, data, compress_type=zipfile.ZIP_STORED)
        with archive.open("model/0.weight.npy", "w", force_zip64=True) as entry:
            header = npy_bytes(np.zeros((4096, 4096), np.float32))[:128]
            entry.write(header)
            for _ in range(64):
                entry.write(bytes(1 << 20))
    assert path.stat().st_size < 1 << 20
    model, optimizer, before = fresh()
    tracemalloc.start()
    with pytest.raises(
        ValueError, match=r"bomb\.npz.*'model/0\.weight\.npy' is compressed"
    ):
        load_checkpoint(path, model, optimizer)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 4 << 20
    assert_unchanged(model, optimizer, before)


def test_an_entry_of_another_shape_is_refused_before_its_data_is_read(
    saved: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    contents = entries(saved)
    contents["model/0.weight.npy"] = npy_bytes(np.zeros((500, 500), np.float32))
    rewrite(saved, contents)
    reads = []
    real = np.lib.format.read_array
    monkeypatch.setattr(
        np.lib.format, "read_array", lambda f, **k: reads.append(f.name) or real(f, **k)
    )
    model, optimizer, before = fresh()
    with pytest.raises(
        ValueError,
        match=r"shape mismatch for '0\.weight': expected \(8, 5\), got \(500, 500\)",
    ):
        load_checkpoint(saved, model, optimizer)
    assert reads == ["metadata.npy"]  # the arrays' data is never read
    assert_unchanged(model, optimizer, before)


def test_a_header_declaring_more_than_the_entry_holds_is_corrupt(saved: Path) -> None:
    contents = entries(saved)
    contents["model/0.weight.npy"] = npy_bytes(np.zeros((8, 5), np.float32))[:-40]
    rewrite(saved, contents)
    with pytest.raises(
        ValueError, match=r"run\.npz.*corrupt: entry 'model/0\.weight\.npy' declares"
    ):
        load_checkpoint(saved, *fresh()[:2])


# ---------------------------------------------------------------------- damaged files
def test_a_flipped_bit_anywhere_is_a_value_error_naming_the_file(saved: Path) -> None:
    data = bytearray(saved.read_bytes())
    for position in range(0, len(data), max(1, len(data) // 40)):
        damaged = saved.with_name(f"flip{position}.npz")
        flipped = bytearray(data)
        flipped[position] ^= 0x10
        damaged.write_bytes(bytes(flipped))
        model, optimizer, before = fresh()
        try:
            load_checkpoint(damaged, model, optimizer)
        except ValueError as error:
            assert str(damaged) in str(error)
            assert_unchanged(model, optimizer, before)


def test_a_flipped_bit_in_the_weights_is_caught_by_the_crc(saved: Path) -> None:
    contents = entries(saved)
    data = saved.read_bytes()
    start = data.index(contents["model/1.weight.npy"][-16:])
    flipped = bytearray(data)
    flipped[start] ^= 0x01
    saved.write_bytes(bytes(flipped))
    model, optimizer, before = fresh()
    with pytest.raises(ValueError, match=r"run\.npz.*corrupt.*CRC"):
        load_checkpoint(saved, model, optimizer)
    assert_unchanged(model, optimizer, before)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda m: m.update(epoch="abc"), r"'epoch' must be int, got 'abc'"),
        (lambda m: m.update(epoch=-3), r"'epoch' must be >= 0, got -3"),
        (lambda m: m.update(epoch=True), r"'epoch' must be int"),
        (lambda m: m.update(history=[1, 2]), r"'history' must be dict"),
        (
            lambda m: m.update(history={"loss": ["x"]}),
            r"history column 'loss' must be a list of numbers",
        ),
        (lambda m: m.update(history={"bogus": [1.0]}), r"history: .*unknown columns"),
        (lambda m: m.pop("model"), r"missing \['model'\]"),
        (lambda m: m.update(optimizer=3), r"'optimizer' must be dict or null"),
        (
            lambda m: m["model"].update({"0.weight": {"__array__": "nowhere"}}),
            r"missing arrays \['nowhere'\]",
        ),
        (
            lambda m: m["generators"].update(model={"x": {"bit_generator": "PCG64"}}),
            r"random generators",
        ),
        (
            lambda m: m["optimizer"].update(type="Adam"),
            r"does not fit: .*state is for 'Adam'",
        ),
        (lambda m: m["optimizer"]["hyperparameters"].update(lr="0.5"), r"does not fit"),
        (lambda m: m["optimizer"].update(state="x"), r"arrays nobody references"),
        (
            lambda m: m["generators"].update(model_by_rank="x"),
            r"'generators.model_by_rank' must be a list of one mapping per rank",
        ),
        (
            lambda m: m["generators"].update(model_by_rank=[{"x": {}}]),
            r"each with the names of 'generators.model'",
        ),
    ],
)
def test_malformed_metadata_is_a_value_error_and_changes_nothing(
    saved: Path, edit, message
) -> None:
    with_metadata(saved, edit)
    model, optimizer, before = fresh()
    with pytest.raises(
        ValueError, match=r"load_checkpoint\('.*run\.npz'\): .*" + message
    ):
        load_checkpoint(saved, model, optimizer)
    assert_unchanged(model, optimizer, before)


def test_metadata_that_is_not_json_or_not_an_object(saved: Path) -> None:
    contents = entries(saved)
    for text, message in [("{not json", "not JSON"), ("[1, 2]", "expected a JSON object"),
                          ("[" * 100000, "not JSON")]:  # fmt: skip
        contents["metadata.npy"] = npy_bytes(np.array(text))
        rewrite(saved, contents)
        with pytest.raises(
            ValueError, match=rf"run\.npz.*malformed metadata: .*{message}"
        ):
            load_checkpoint(saved, *fresh()[:2])


def test_a_crafted_generator_state_is_refused_before_the_model_changes(
    tmp_path: Path,
) -> None:
    class Noise(Layer):
        def __init__(self, seed: int) -> None:
            super().__init__()
            self.noise = np.random.default_rng(seed)

    model = Sequential(Linear(2, 2, rng=0), Noise(0))
    path = save_checkpoint(tmp_path / "g.npz", model)
    with_metadata(
        path, lambda m: m["generators"]["model"]["1.noise"]["state"].update(state="zz")
    )
    other = Sequential(Linear(2, 2, rng=1), Noise(1))
    weight, state = other[0].weight.data.copy(), other[1].noise.bit_generator.state
    with pytest.raises(
        ValueError, match=r"g\.npz.*generator '1\.noise': invalid generator state"
    ):
        load_checkpoint(path, other)
    np.testing.assert_array_equal(other[0].weight.data, weight)
    assert other[1].noise.bit_generator.state == state


# ---------------------------------------------------------------------- the layer contract
def test_generators_under_any_attribute_name_are_saved(tmp_path: Path) -> None:
    """named_generators(), not an attribute called rng, decides what is saved."""

    class Shaker(Layer):
        def __init__(self, seed: int) -> None:
            super().__init__()
            self.shuffler = np.random.default_rng(seed)

    model = Sequential(Linear(2, 2, rng=0), Shaker(3))
    model[1].shuffler.random(5)
    path = save_checkpoint(tmp_path / "s.npz", model)
    other = Sequential(Linear(2, 2, rng=0), Shaker(4))
    load_checkpoint(path, other)
    assert other[1].shuffler.random() == model[1].shuffler.random()


def test_the_optimizer_state_dict_is_stored_as_it_returns_it(tmp_path: Path) -> None:
    """Not re-packed into a schema of the checkpoint's own: extra keys survive."""

    class Counting(SGD):
        def state_dict(self):
            return {
                **super().state_dict(),
                "extra": {"calls": 3, "trace": np.arange(4.0)},
            }

        def load_state_dict(self, state):
            state = dict(state)
            self.extra = state.pop("extra")
            super().load_state_dict(state)

    model = Sequential(Linear(2, 2, rng=0))
    path = save_checkpoint(
        tmp_path / "c.npz", model, Counting(model.parameters(), lr=0.1)
    )
    fresh_optimizer = Counting(model.parameters(), lr=0.5)
    load_checkpoint(path, model, fresh_optimizer)
    assert fresh_optimizer.extra["calls"] == 3 and fresh_optimizer.lr == 0.1
    np.testing.assert_array_equal(fresh_optimizer.extra["trace"], np.arange(4.0))


def test_the_learning_rate_is_restored_by_the_objects_not_chosen_by_the_checkpoint(
    tmp_path: Path,
) -> None:
    """A scheduler that restores the lr it set, loaded before the optimizer: the
    optimizer's own saved lr is the one in use after the load."""
    model, optimizer = model_and_optimizer()
    scheduler = StepLR(optimizer, step_size=1, gamma=0.5)
    scheduler.step()
    optimizer.lr = 0.02  # changed by hand after the schedule
    path = save_checkpoint(tmp_path / "lr.npz", model, optimizer, scheduler=scheduler)
    model2, optimizer2 = model_and_optimizer()
    scheduler2 = StepLR(optimizer2, step_size=1, gamma=0.5)
    load_checkpoint(path, model2, optimizer2, scheduler=scheduler2)
    assert optimizer2.lr == 0.02 and scheduler2.get_last_lr() == 0.05


# ---------------------------------------------------------------------- temporaries
def test_temporaries_of_a_killed_save_are_removed_by_the_next_save(saved: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    stale = saved.with_name(f".run.npz.{child.pid}.0badc0de.tmp")
    stale.write_bytes(b"PK\x03\x04 half")
    mine = saved.with_name(f".run.npz.{os.getpid()}.12345678.tmp")
    mine.write_bytes(b"in progress")
    model, optimizer = model_and_optimizer()
    save_checkpoint(saved, model, optimizer, epoch=3)
    assert sorted(os.listdir(saved.parent)) == sorted(["run.npz", mine.name])


# ---------------------------------------------------------------------- crafted entries
def patch_central_directory(
    path: Path, name: str, *, file_size=None, flag=None
) -> None:
    """Overwrite, in the central directory only, the uncompressed size (or the
    flags) recorded for entry ``name``: the local data stays as written."""
    data = bytearray(path.read_bytes())
    record = data.rfind(b"PK\x01\x02" + b"", 0)
    while record != -1:
        name_length = int.from_bytes(data[record + 28 : record + 30], "little")
        if data[record + 46 : record + 46 + name_length] == name.encode():
            if file_size is not None:
                data[record + 24 : record + 28] = file_size.to_bytes(4, "little")
            if flag is not None:
                flags = int.from_bytes(data[record + 8 : record + 10], "little") | flag
                data[record + 8 : record + 10] = flags.to_bytes(2, "little")
            path.write_bytes(bytes(data))
            return
        record = data.rfind(b"PK\x01\x02", 0, record)
    raise AssertionError(f"no central directory record for {name}")


def test_a_central_directory_claiming_more_bytes_than_the_file_is_refused(
    saved: Path,
) -> None:
    patch_central_directory(saved, "metadata.npy", file_size=2**31)
    model, optimizer, before = fresh()
    with pytest.raises(
        ValueError, match=r"run\.npz.*corrupt: entry 'metadata\.npy' claims"
    ):
        load_checkpoint(saved, model, optimizer)
    assert_unchanged(model, optimizer, before)


def test_an_encrypted_entry_is_refused(saved: Path) -> None:
    patch_central_directory(saved, "metadata.npy", flag=0x1)
    with pytest.raises(ValueError, match=r"entry 'metadata\.npy' is encrypted"):
        load_checkpoint(saved, *fresh()[:2])


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (npy_bytes(np.zeros((10**6,), dtype="V0"))[:128], r"has dtype \|V0"),
        (b"\x93NUMPY\x01\x00" + (10).to_bytes(2, "little") + b"{'descr'  ", r"corrupt"),
    ],
)
def test_entries_of_empty_elements_or_malformed_headers_are_refused(
    saved: Path, payload: bytes, message: str
) -> None:
    contents = entries(saved)
    contents["extra.npy"] = payload
    rewrite(saved, contents)
    with pytest.raises(ValueError, match=r"run\.npz.*" + message):
        load_checkpoint(saved, *fresh()[:2])


def test_metadata_nested_too_deeply_is_a_value_error(saved: Path) -> None:
    deep: list = []
    for _ in range(800):
        deep = [deep]
    with_metadata(saved, lambda m: m.update(scheduler={"a": deep}))
    with pytest.raises(ValueError, match=r"run\.npz.*(nested too deeply|malformed)"):
        load_checkpoint(saved, *fresh()[:2])


def test_ctrl_c_while_restoring_puts_every_object_back(
    saved: Path, monkeypatch
) -> None:
    model, optimizer, before = fresh()
    monkeypatch.setattr(
        type(optimizer),
        "load_state_dict",
        lambda self, state: (_ for _ in ()).throw(KeyboardInterrupt),
    )
    with pytest.raises(KeyboardInterrupt):
        load_checkpoint(saved, model, optimizer)
    monkeypatch.undo()
    assert_unchanged(model, optimizer, before)


def test_a_folder_is_not_a_checkpoint_and_a_missing_folder_is_named(
    tmp_path: Path,
) -> None:
    with pytest.raises(ValueError, match=r"is a folder, not a checkpoint file"):
        load_checkpoint(tmp_path, *fresh()[:2])
    model, optimizer = model_and_optimizer()
    with pytest.raises(
        FileNotFoundError, match=r"the folder '.*nowhere' does not exist"
    ):
        save_checkpoint(tmp_path / "nowhere" / "run.npz", model, optimizer)
