"""Saving and loading parameters as .npz: exact round trips, clear errors, no pickle."""

import numpy as np
import pytest

from mlcore import io
from mlcore.nn import Linear, Module, Sequential, Tanh


def test_round_trip_is_bitwise_exact(tmp_path):
    rng = np.random.default_rng(0)
    state = {
        "a.float32": rng.normal(size=(3, 4)).astype(np.float32),
        "b.float64": np.array([np.pi, -0.0, np.inf, np.nan, 5e-324]),
        "c.int64": np.array([[-(2**62), 7]], dtype=np.int64),
        "d.uint8": np.arange(5, dtype=np.uint8),
        "file": np.array(1.5),      # a name that np.savez would take as its own argument
        "empty": np.zeros((0, 3)),
    }
    io.save(state, tmp_path / "state.npz")
    loaded = io.load(tmp_path / "state.npz")
    assert list(loaded) == list(state)
    for name, array in state.items():
        assert loaded[name].dtype == array.dtype and loaded[name].shape == array.shape
        assert loaded[name].tobytes() == array.tobytes(), name


def model(seed):
    return Sequential(Linear(3, 4, rng=seed), Tanh(), Linear(4, 2, rng=seed + 1))


def test_module_round_trip(tmp_path):
    source, target = model(0), model(10)
    io.save(source, tmp_path / "weights.npz")
    io.load_into(target, tmp_path / "weights.npz")
    for (name, p), (_, q) in zip(source.named_parameters(), target.named_parameters()):
        assert q.dtype == np.float32 and q.data.tobytes() == p.data.tobytes(), name
    assert set(io.load(tmp_path / "weights.npz")) == {"0.weight", "0.bias", "2.weight", "2.bias"}


def test_load_into_names_every_problem_and_changes_nothing(tmp_path):
    class Other(Module):
        def __init__(self):
            self.first = Linear(3, 5, rng=0)
            self.extra = Linear(2, 2, rng=0)

    io.save(model(0), tmp_path / "weights.npz")
    target = model(1)
    before = target.state_dict()
    with pytest.raises(ValueError) as info:
        io.load_into(Other(), tmp_path / "weights.npz")
    message = str(info.value)
    assert "missing from the file: first.weight, first.bias, extra.weight, extra.bias" in message
    assert "in the file but not in the model: 0.weight, 0.bias, 2.weight, 2.bias" in message

    state = io.load(tmp_path / "weights.npz")
    state["2.bias"] = np.zeros(3, dtype=np.float32)
    io.save(state, tmp_path / "wrong_shape.npz")
    with pytest.raises(ValueError, match=r"'2.bias' has shape \(3,\) in the file but \(2,\) in the model"):
        io.load_into(target, tmp_path / "wrong_shape.npz")
    for name, value in target.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_refuses_object_arrays(tmp_path):
    with pytest.raises(TypeError, match="'bad' has dtype object"):
        io.save({"bad": np.array([{"a": 1}], dtype=object)}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="names must be strings"):
        io.save({1: np.zeros(2)}, tmp_path / "x.npz")
    # A file that does hold a pickled array (written by NumPy with its default allow_pickle=True).
    np.savez(tmp_path / "pickled.npz", fine=np.zeros(2), bad=np.array([None, 1], dtype=object))
    with pytest.raises(ValueError, match="'bad' in .* is a pickled object array"):
        io.load(tmp_path / "pickled.npz")


def test_load_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        io.load(tmp_path / "missing.npz")
    (tmp_path / "garbage.npz").write_bytes(b"PK\x03\x04 not really a zip file")
    with pytest.raises(ValueError, match="is not an .npz archive"):
        io.load(tmp_path / "garbage.npz")
    np.save(tmp_path / "single.npy", np.zeros(3))
    with pytest.raises(ValueError, match="holds a single array"):
        io.load(tmp_path / "single.npy")


def test_round_trip_of_a_model_with_buffers(tmp_path):
    """Batch norm's running statistics are buffers: saved and restored with the parameters."""
    import mlcore as mc

    rng = np.random.default_rng(0)
    model = mc.nn.Sequential(mc.nn.Linear(3, 4, rng=0), mc.nn.BatchNorm1d(4))
    model(mc.Tensor(rng.standard_normal((16, 3))))  # updates the running statistics
    io.save(model, tmp_path / "m.npz")
    fresh = mc.nn.Sequential(mc.nn.Linear(3, 4, rng=1), mc.nn.BatchNorm1d(4))
    io.load_into(fresh, tmp_path / "m.npz")
    for (name, a), (_, b) in zip(sorted(model.state_dict().items()), sorted(fresh.state_dict().items())):
        assert np.array_equal(a, b), name
    assert not np.allclose(fresh.layers[1].running_mean, 0)
