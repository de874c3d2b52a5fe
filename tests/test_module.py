"""Module, Parameter, Sequential and Linear: discovery of parameters, modes, state, errors."""

from __future__ import annotations

import numpy as np
import pytest

import mlcore as mc
from mlcore import nn


class TwoLayer(nn.Module):
    def __init__(self):
        self.hidden = nn.Linear(3, 4, rng=0)
        self.out = nn.Linear(4, 2, bias=False, rng=1)
        self.blocks = nn.ModuleList([nn.Linear(2, 2, rng=2)])

    def forward(self, x):
        return self.blocks[0](self.out(self.hidden(x).relu()))


def test_named_parameters_in_assignment_order():
    names = [name for name, _ in TwoLayer().named_parameters()]
    assert names == ["hidden.weight", "hidden.bias", "out.weight", "blocks.0.weight", "blocks.0.bias"]


def test_shared_parameter_listed_once():
    layer = nn.Linear(2, 2, rng=0)
    model = nn.Sequential(layer, nn.ReLU(), layer)
    assert len(model.parameters()) == 2


def test_parameters_require_grad_and_take_default_dtype():
    p = nn.Parameter(np.ones(3))
    assert p.requires_grad and p.dtype == np.float32 and p.is_leaf
    assert nn.Parameter(np.ones(3), dtype=np.float64).dtype == np.float64


def test_linear_shapes_and_values():
    layer = nn.Linear(3, 5, rng=0)
    assert layer.weight.shape == (3, 5) and layer.bias.shape == (5,)
    bound = 1 / np.sqrt(3)
    assert np.abs(layer.weight.data).max() <= bound
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_allclose(layer(mc.Tensor(x)).data, x @ layer.weight.data + layer.bias.data, rtol=1e-6)
    assert nn.Linear(3, 5, rng=0).weight.data.tolist() == layer.weight.data.tolist()  # same seed


def test_linear_rejects_wrong_input_width():
    with pytest.raises(ValueError, match=r"Linear\(3, 5\): expected input with last dimension 3, got shape \(2, 4\)"):
        nn.Linear(3, 5, rng=0)(mc.Tensor(np.ones((2, 4))))
    with pytest.raises(ValueError, match="positive"):
        nn.Linear(0, 5)


def test_sequential_applies_in_order_and_validates():
    model = nn.Sequential(nn.Linear(2, 3, rng=0), nn.Tanh(), nn.Linear(3, 1, rng=1))
    x = mc.Tensor(np.ones((4, 2)))
    expected = np.tanh(x.data @ model[0].weight.data + model[0].bias.data) @ model[2].weight.data + model[2].bias.data
    np.testing.assert_allclose(model(x).data, expected, rtol=1e-6)
    assert len(model) == 3
    with pytest.raises(TypeError, match="argument 1 is a ufunc, not a Module"):
        nn.Sequential(nn.ReLU(), np.tanh)


def test_train_eval_propagate():
    model = TwoLayer().eval()
    assert not model.training and not model.hidden.training and not model.blocks[0].training
    model.train()
    assert model.training and model.blocks[0].training


def test_state_dict_round_trip_and_errors():
    a, b = TwoLayer(), TwoLayer()
    for p in b.parameters():
        p.data = p.data + 1.0
    b.load_state_dict(a.state_dict())
    for (na, pa), (nb, pb) in zip(a.named_parameters(), b.named_parameters()):
        assert na == nb and np.array_equal(pa.data, pb.data)
    state = a.state_dict()
    state["hidden.weight"] = np.zeros((2, 2))
    with pytest.raises(ValueError, match=r"'hidden.weight' has shape \(2, 2\) in the state but \(3, 4\)"):
        b.load_state_dict(state)
    del state["hidden.weight"]
    with pytest.raises(ValueError, match="missing keys \\['hidden.weight'\\]"):
        b.load_state_dict(state)


def test_failed_load_leaves_model_unchanged():
    model = TwoLayer()
    before = model.state_dict()
    state = {name: value + 1 for name, value in before.items()}
    state["blocks.0.bias"] = np.zeros(5)  # the last parameter is wrong
    with pytest.raises(ValueError, match="blocks.0.bias"):
        model.load_state_dict(state)
    for name, value in model.state_dict().items():
        assert np.array_equal(value, before[name])


def test_state_dict_holds_copies():
    model = TwoLayer()
    state = model.state_dict()
    state["hidden.bias"][:] = 123.0
    assert not np.any(model.hidden.bias.data == 123.0)


def test_sgd_plain_step_and_errors():
    p = nn.Parameter(np.array([1.0, 2.0]), dtype=np.float64)
    opt = mc.optim.SGD([p], lr=0.1)
    p.grad = np.array([1.0, -1.0])
    opt.step()
    np.testing.assert_allclose(p.data, [0.9, 2.1])
    opt.zero_grad()
    assert p.grad is None
    with pytest.raises(ValueError, match="lr must be positive"):
        mc.optim.SGD([p], lr=0.0)
    with pytest.raises(ValueError, match="empty parameter list"):
        mc.optim.SGD([], lr=0.1)


# -- containers ---------------------------------------------------------------------------------

class Towers(nn.Module):
    def __init__(self):
        self.blocks = nn.ModuleList([nn.Linear(2, 2, rng=0), nn.Linear(2, 2, rng=1)])
        self.heads = nn.ModuleDict({"a": nn.Linear(2, 1, rng=2), "b": nn.Linear(2, 3, rng=3)})

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return {name: head(x) for name, head in self.heads.items()}


def test_module_list_and_dict_parameter_names_like_pytorch():
    model = Towers()
    assert [n for n, _ in model.named_parameters()] == [
        "blocks.0.weight", "blocks.0.bias", "blocks.1.weight", "blocks.1.bias",
        "heads.a.weight", "heads.a.bias", "heads.b.weight", "heads.b.bias"]
    assert set(model.state_dict()) == {n for n, _ in model.named_parameters()}
    model.eval()
    assert not any(m.training for m in model.modules())
    assert [n for n, _ in model.named_modules()] == ["", "blocks", "blocks.0", "blocks.1", "heads", "heads.a", "heads.b"]
    assert model(mc.Tensor(np.ones((1, 2))))["b"].shape == (1, 3)


def test_module_list_api():
    a, b, c = (nn.Linear(1, 1, rng=i) for i in range(3))
    ml = nn.ModuleList()
    assert ml.append(a) is ml and len(ml) == 1
    ml.extend([b])
    ml.insert(0, c)
    assert list(ml) == [c, a, b] and ml[-1] is b
    assert isinstance(ml[1:], nn.ModuleList) and list(ml[1:]) == [a, b]
    ml[0] = b
    del ml[0]
    assert list(ml) == [a, b]
    assert [n for n, _ in ml.named_parameters()] == ["0.weight", "0.bias", "1.weight", "1.bias"]
    with pytest.raises(TypeError, match="ModuleList: item 2 is a int, not a Module"):
        ml.append(3)
    with pytest.raises(TypeError, match="item 3 is a str"):
        ml.extend([c, "x"])
    assert len(ml) == 2   # a failed extend adds nothing
    with pytest.raises(NotImplementedError, match="container"):
        ml(mc.Tensor([1.0]))


def test_module_dict_api():
    a, b = nn.Linear(1, 1, rng=0), nn.Linear(1, 1, rng=1)
    md = nn.ModuleDict([("x", a)])
    md["y"] = b
    assert list(md) == ["x", "y"] and list(md.keys()) == ["x", "y"]
    assert list(md.values()) == [a, b] and "y" in md and len(md) == 2
    assert md.pop("x") is a and list(md) == ["y"]
    md.update({"z": a})
    del md["y"]
    assert list(md.items()) == [("z", a)]
    with pytest.raises(ValueError, match="without '.'"):
        md["a.b"] = a
    with pytest.raises(TypeError, match="not a Module"):
        md["w"] = 1
    with pytest.raises(KeyError, match="no module 'q'"):
        md["q"]


def test_plain_containers_of_modules_are_refused():
    class Bad(nn.Module):
        def __init__(self, container):
            self.layers = container

    for container, fix in [([nn.Linear(1, 1)], "ModuleList"), ((nn.Linear(1, 1),), "ModuleList"),
                           ({"a": nn.Linear(1, 1)}, "ModuleDict")]:
        with pytest.raises(TypeError, match=f"invisible to parameters.*nn.{fix}"):
            Bad(container)
    late = Bad([])        # an empty list is fine until a module goes in
    late.layers.append(nn.Linear(1, 1))
    with pytest.raises(TypeError, match="Bad.layers: a plain list of modules"):
        late.parameters()
    ok = Bad([1, 2, 3])   # lists of other things are left alone
    assert ok.parameters() == []


def test_sequential_is_a_module_list_with_forward():
    model = nn.Sequential(nn.Linear(2, 3, rng=0), nn.ReLU())
    assert model.layers == list(model) and isinstance(model[:1], nn.Sequential)
    model.append(nn.Linear(3, 1, rng=1))
    assert model(mc.Tensor(np.ones((4, 2)))).shape == (4, 1)
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
