"""Parameter groups, frozen parameters, optimiser and scheduler state dicts, and saving them with mlcore.io."""

from __future__ import annotations

import numpy as np
import pytest

import mlcore as mc
from mlcore import io, nn, optim
from mlcore.nn import Parameter

ALL = {
    "SGD": lambda ps, **kw: optim.SGD(ps, lr=0.1, momentum=0.9, **kw),
    "Adagrad": lambda ps, **kw: optim.Adagrad(ps, lr=0.1, **kw),
    "Adadelta": lambda ps, **kw: optim.Adadelta(ps, **kw),
    "RMSprop": lambda ps, **kw: optim.RMSprop(ps, lr=0.01, momentum=0.5, **kw),
    "Adam": lambda ps, **kw: optim.Adam(ps, lr=0.05, **kw),
    "AdamW": lambda ps, **kw: optim.AdamW(ps, lr=0.05, **kw),
}


class Net(nn.Module):
    def __init__(self):
        self.trunk = nn.Linear(3, 4, rng=0)
        self.head = nn.Linear(4, 2, rng=1)

    def forward(self, x):
        return self.head(self.trunk(x).relu())


def train_steps(model, opt, steps=3, sched=None):
    rng = np.random.default_rng(0)
    for _ in range(steps):
        x = mc.Tensor(rng.normal(size=(5, 3)))
        opt.zero_grad()
        (model(x) ** 2).mean().backward()
        opt.step()
        if sched is not None:
            sched.step()


def test_issue_example_two_groups_fill_defaults():
    model = Net()
    opt = optim.Adam([{"params": model.trunk.parameters(), "lr": 1e-4},
                      {"params": model.head.parameters()}], lr=1e-3)
    assert [g["lr"] for g in opt.param_groups] == [1e-4, 1e-3]
    for g in opt.param_groups:
        assert set(g) == {"params", "lr", "betas", "eps", "weight_decay"}
        assert g["betas"] == (0.9, 0.999) and g["eps"] == 1e-8 and g["weight_decay"] == 0.0
    assert opt.param_groups[0]["params"] == model.trunk.parameters()
    assert opt.params == model.parameters()


def test_groups_use_their_own_rate():
    a, b = (Parameter(np.zeros(2), dtype=np.float64) for _ in range(2))
    opt = optim.SGD([{"params": [a], "lr": 0.5}, {"params": b}], lr=0.1)
    a.grad = b.grad = np.ones(2)
    opt.step()
    np.testing.assert_array_equal(a.data, [-0.5, -0.5])
    np.testing.assert_array_equal(b.data, [-0.1, -0.1])


def test_add_param_group_and_its_errors_leave_the_optimizer_unchanged():
    a, b, c = (Parameter(np.zeros(2)) for _ in range(3))
    opt = optim.SGD([a], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": [b], "momentum": 0.5})
    assert opt.param_groups[1]["momentum"] == 0.5 and opt.param_groups[1]["lr"] == 0.1
    bad = [
        ({"params": [a]}, ValueError, "more than one parameter group"),
        ({"params": [c, c]}, ValueError, "listed twice"),
        ({"params": [c], "lr": -1}, ValueError, "SGD: lr (parameter group 2) must be positive, got -1"),
        ({"params": [c], "momentum": 1.0}, ValueError, "momentum (parameter group 2) must be in [0, 1)"),
        ({"params": [c], "nesterov": True, "momentum": 0}, ValueError, "nesterov=True needs momentum > 0"),
        ({"params": [c], "lrr": 0.1}, ValueError, "unknown hyper-parameter(s) ['lrr']"),
        ({"params": [np.zeros(2)]}, TypeError, "not a Tensor"),
        ({"params": [mc.Tensor(np.zeros(2, dtype=np.int64))]}, TypeError, "floating-point"),
        ({"params": [Parameter(np.ones(1)) * 2]}, ValueError, "not a leaf"),
        ({"lr": 0.1}, TypeError, "'params' entry"),
    ]
    for group, error, message in bad:
        with pytest.raises(error) as info:
            opt.add_param_group(group)
        assert message in str(info.value)
        assert len(opt.param_groups) == 2 and len(opt.params) == 2 and len(opt.state) == 2
    with pytest.raises(TypeError, match="got a single Parameter"):
        optim.SGD(a, lr=0.1)
    with pytest.raises(TypeError, match="mixes tensors and dicts"):
        optim.SGD([a, {"params": [b]}], lr=0.1)


def test_lr_property_single_and_multiple_groups():
    a, b = Parameter(np.zeros(1)), Parameter(np.zeros(1))
    opt = optim.SGD([a], lr=0.1)
    opt.lr = 0.2
    assert opt.param_groups[0]["lr"] == 0.2
    with pytest.raises(ValueError, match="lr must be a positive number"):
        opt.lr = 0
    two = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.3}], lr=0.1)
    assert two.lr == 0.1
    with pytest.raises(AttributeError, match="ambiguous"):
        two.lr = 0.5


@pytest.mark.parametrize("name", ALL)
def test_frozen_parameters_are_accepted_and_skipped(name):
    model = Net()
    model.trunk.requires_grad_(False)
    assert all(not p.requires_grad for p in model.trunk.parameters())
    assert all(p.requires_grad for p in model.head.parameters())
    before = {k: v.copy() for k, v in model.state_dict().items()}
    opt = ALL[name](model.parameters())
    train_steps(model, opt)
    after = model.state_dict()
    assert all(np.array_equal(after[k], before[k]) for k in before if k.startswith("trunk."))
    assert all(not np.array_equal(after[k], before[k]) for k in before if k.startswith("head."))
    assert all(p.grad is None for p in model.trunk.parameters())
    assert opt.state[0] == {} and opt.state[1] == {} and opt.state[2] != {}
    assert model.requires_grad_(True) is model and all(p.requires_grad for p in model.parameters())


@pytest.mark.parametrize("name", ALL)
def test_state_dict_round_trip_continues_identically(name, tmp_path):
    def fresh():
        model = Net()
        opt = ALL[name]([{"params": model.trunk.parameters(), "lr": 0.01, "weight_decay": 0.1},
                         {"params": model.head.parameters()}])
        return model, opt, optim.StepLR(opt, step_size=2, gamma=0.5)

    model, opt, sched = fresh()
    train_steps(model, opt, 3, sched)
    saved = opt.state_dict()
    assert sorted(saved) == ["param_groups", "state"]
    assert [g["params"] for g in saved["param_groups"]] == [[0, 1], [2, 3]]
    assert sorted(saved["state"]) == [0, 1, 2, 3]
    io.save_optimizer(opt, tmp_path / "opt.npz", scheduler=sched)
    model_state = model.state_dict()
    # Continue the original, and a copy rebuilt from the file: identical numbers.
    train_steps(model, opt, 2, sched)
    model2, opt2, sched2 = fresh()
    model2.load_state_dict(model_state)
    io.load_optimizer(opt2, tmp_path / "opt.npz", scheduler=sched2)
    assert sched2.last_epoch == 3 and opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"] * 2
    train_steps(model2, opt2, 2, sched2)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(model2.state_dict()[k], v, err_msg=k)
    # state_dict holds copies.
    for entry in saved["state"][0].values():
        if isinstance(entry, np.ndarray):
            entry[...] = 1e9
    assert not any(np.any(v == 1e9) for v in opt.state[0].values() if isinstance(v, np.ndarray))


def test_failed_load_state_dict_raises_and_changes_nothing():
    model = Net()
    opt = optim.Adam([{"params": model.trunk.parameters(), "lr": 0.01}, {"params": model.head.parameters()}])
    train_steps(model, opt, 2)
    good = opt.state_dict()

    def snapshot():
        return opt.state_dict()

    before = snapshot()

    def broken(change):
        sd = opt.state_dict()
        change(sd)
        return sd

    cases = [
        (None, TypeError, "expected a dict"),
        ({"state": {}}, ValueError, "expected keys"),
        (broken(lambda sd: sd["param_groups"].pop()), ValueError, "has 1 parameter groups"),
        (broken(lambda sd: sd["param_groups"][1]["params"].pop()), ValueError, "has 1 parameters in the state"),
        (broken(lambda sd: sd["param_groups"][0].pop("eps")), ValueError, "hyper-parameters"),
        (broken(lambda sd: sd["param_groups"][1].update(lr=-1.0)), ValueError, "lr (parameter group 1) must be positive"),
        (broken(lambda sd: sd["state"][3].update(exp_avg=np.zeros(7))), ValueError, "has shape (7,)"),
        (broken(lambda sd: sd["state"][2].pop("exp_avg_sq")), ValueError, "has entries"),
        (broken(lambda sd: sd["state"][0].update(step=-1)), ValueError, "non-negative integer"),
        (broken(lambda sd: sd["state"].update({9: sd["state"][0]})), ValueError, "which no group lists"),
    ]
    for sd, error, message in cases:
        with pytest.raises(error) as info:
            opt.load_state_dict(sd)
        assert message in str(info.value), str(info.value)
        after = snapshot()
        assert after["param_groups"] == before["param_groups"]
        for i, s in before["state"].items():
            for k, v in s.items():
                np.testing.assert_array_equal(after["state"][i][k], v)
    opt.load_state_dict(good)   # the untouched dict still loads


def test_load_optimizer_rejects_foreign_files(tmp_path):
    model = Net()
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    io.save(model, tmp_path / "model.npz")
    with pytest.raises(ValueError, match="not part of an optimizer state"):
        io.load_optimizer(opt, tmp_path / "model.npz")
    other = optim.SGD(Net().trunk.parameters(), lr=0.1)
    io.save_optimizer(other, tmp_path / "other.npz")
    with pytest.raises(ValueError, match="has 2 parameters in the state, 4 in the optimizer"):
        io.load_optimizer(opt, tmp_path / "other.npz")


def test_scheduler_scales_every_group_from_its_initial_rate():
    a, b = Parameter(np.zeros(1)), Parameter(np.zeros(1))
    opt = optim.SGD([{"params": [a], "lr": 0.01}, {"params": [b]}], lr=0.1)
    sched = optim.CosineAnnealingLR(opt, T_max=4)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.01, 0.1] and sched.base_lrs == [0.01, 0.1]
    for _ in range(2):
        sched.step()
    np.testing.assert_allclose(sched.get_last_lr(), [0.005, 0.05])
    warm = optim.LinearWarmup(opt, warmup_steps=2)   # a second scheduler keeps initial_lr
    np.testing.assert_allclose(warm.get_last_lr(), [0.005, 0.05])
    state = sched.state_dict()
    assert state == {"last_epoch": 2, "base_lrs": [0.01, 0.1]}
    with pytest.raises(ValueError, match="last_epoch must be a non-negative integer"):
        sched.load_state_dict({"last_epoch": -1, "base_lrs": [0.01, 0.1]})
    with pytest.raises(ValueError, match="base_lrs must be 2 positive numbers"):
        sched.load_state_dict({"last_epoch": 1, "base_lrs": [0.01]})
    assert sched.last_epoch == 2
    opt.add_param_group({"params": [Parameter(np.zeros(1))]})
    with pytest.raises(RuntimeError, match="after add_param_group"):
        sched.step()


def test_zero_grad_set_to_none_false_keeps_zero_arrays():
    p = Parameter(np.ones(2))
    opt = optim.SGD([p], lr=0.1)
    p.grad = np.ones(2, dtype=np.float32)
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad, [0, 0])


def test_load_optimizer_with_a_bad_scheduler_state_changes_nothing(tmp_path):
    model = Net()
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = optim.StepLR(opt, step_size=1, gamma=0.5)
    train_steps(model, opt, 2, sched)
    io.save_optimizer(opt, tmp_path / "opt.npz", scheduler=sched)
    state = io.load(tmp_path / "opt.npz")
    state["scheduler.last_epoch"] = np.array(-3)
    io.save(state, tmp_path / "bad.npz")
    fresh_model = Net()
    fresh = optim.SGD(fresh_model.parameters(), lr=0.1, momentum=0.9)
    fresh_sched = optim.StepLR(fresh, step_size=1, gamma=0.5)
    with pytest.raises(ValueError, match="last_epoch must be a non-negative integer"):
        io.load_optimizer(fresh, tmp_path / "bad.npz", scheduler=fresh_sched)
    assert all(s == {} for s in fresh.state) and fresh.lr == 0.1 and fresh_sched.last_epoch == 0
    with pytest.raises(ValueError, match="holds a scheduler state; pass scheduler="):
        io.load_optimizer(fresh, tmp_path / "opt.npz")
    io.load_optimizer(fresh, tmp_path / "opt.npz", scheduler=fresh_sched)
    assert fresh.lr == opt.lr == 0.025 and fresh_sched.last_epoch == 2
