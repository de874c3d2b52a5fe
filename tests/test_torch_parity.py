"""mlcore against PyTorch: optimisers with parameter groups, a frozen parameter and a scheduler, and the new ops.

The reference numbers were made by tests/data/make_torch_refs.py with PyTorch
and are stored beside it, so these tests run without PyTorch; when PyTorch is
importable the same cases also run against it live.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import mlcore as mc
from mlcore import functional as F
from mlcore import ops, optim

DATA = Path(__file__).resolve().parent / "data"
_spec = importlib.util.spec_from_file_location("make_torch_refs", DATA / "make_torch_refs.py")
refs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(refs)

OPTIM_REFS = dict(np.load(DATA / "torch_optim_refs.npz"))
OPS_REFS = dict(np.load(DATA / "torch_ops_refs.npz"))
TOL = dict(rtol=1e-6, atol=1e-6)   # the brief's bar; the actual differences are ~1e-15


def mlcore_run(case):
    """The same run as ``refs.torch_run`` with mlcore: trajectories, learning rates and final state."""
    opt_name, sched_name = case
    cls, defaults, g0, g1 = refs.OPTIMIZERS[opt_name]
    params = [mc.Tensor(v, dtype=np.float64, requires_grad=(k != refs.FROZEN))
              for k, v in enumerate(refs.initial_values())]
    opt = getattr(optim, cls)([{"params": params[:2], **g0}, {"params": params[2:], **g1}], **defaults)
    sched_cls, sched_args = refs.SCHEDULERS[sched_name]
    sched = getattr(optim, sched_cls)(opt, **sched_args)
    traj = [[p.data.copy()] for p in params]
    lrs = []
    for _ in range(refs.STEPS):
        lrs.append([g["lr"] for g in opt.param_groups])
        for k, p in enumerate(params):
            if p.requires_grad:
                p.grad = refs.gradient(k, p.data)
        opt.step()
        sched.step()
        for k, p in enumerate(params):
            traj[k].append(p.data.copy())
    state = {f"{i}.{key}": np.asarray(value, dtype=np.float64)
             for i, s in opt.state_dict()["state"].items() for key, value in s.items()}
    return [np.array(t) for t in traj], np.array(lrs), state, opt


@pytest.mark.parametrize("case", refs.CASES, ids=["/".join(c) for c in refs.CASES])
def test_optimizer_matches_stored_pytorch_trajectory(case):
    traj, lrs, state, opt = mlcore_run(case)
    key = "/".join(case)
    for k, t in enumerate(traj):
        np.testing.assert_allclose(t, OPTIM_REFS[f"{key}/param{k}"], **TOL, err_msg=f"parameter {k}")
    np.testing.assert_array_equal(traj[refs.FROZEN][-1], traj[refs.FROZEN][0])   # frozen: untouched
    np.testing.assert_allclose(lrs, OPTIM_REFS[f"{key}/lrs"], rtol=1e-12)
    # The two groups' rates keep their ratio: each is scaled from its own initial rate.
    np.testing.assert_allclose(lrs[:, 0] / lrs[:, 1], lrs[0, 0] / lrs[0, 1], rtol=1e-12) \
        if refs.SCHEDULERS[case[1]][0] != "CosineAnnealingLR" else None
    stored = {name[len(key) + len("/state."):]: v for name, v in OPTIM_REFS.items()
              if name.startswith(key + "/state.")}
    assert sorted(state) == sorted(stored)           # same state entries, PyTorch's names and indices
    for name, value in stored.items():
        np.testing.assert_allclose(state[name], value, **TOL, err_msg=name)
    assert "1." not in "".join(k[:2] for k in state)  # the frozen parameter has no state


@pytest.mark.parametrize("case", refs.CASES[:: len(refs.SCHEDULERS) - 1], ids=lambda c: "/".join(c))
def test_optimizer_matches_live_pytorch(case):
    pytest.importorskip("torch")
    traj, lrs, state, _ = mlcore_run(case)
    t_traj, t_lrs, t_state = refs.torch_run(case)
    for a, b in zip(traj, t_traj):
        np.testing.assert_allclose(a, b, **TOL)
    np.testing.assert_allclose(lrs, t_lrs, rtol=1e-12)
    assert sorted(state) == sorted(t_state)


def mlcore_op(name, arrays):
    t = {k: (mc.Tensor(v) if v.dtype == bool else mc.Tensor(v, dtype=np.float64, requires_grad=True))
         for k, v in arrays.items()}
    x, y, z, pos, big, cond = t["x"], t["y"], t["z"], t["pos"], t["big"], t["cond"]
    outs = {
        "where": lambda: mc.where(cond, x, y),
        "maximum": lambda: mc.maximum(x, y),
        "minimum": lambda: mc.minimum(x, y),
        "minimum_bcast": lambda: mc.minimum(x, y[:1]),
        "clip": lambda: mc.clamp(x, -2.0, 1.0),
        "clip_min": lambda: z.clamp(min=0.0),
        "clip_max": lambda: z.clip(max=0.0),
        "abs": lambda: mc.abs(z),
        "sqrt": lambda: pos.sqrt(),
        "logsumexp1": lambda: mc.logsumexp(x, 1),
        "logsumexp01_keep": lambda: x.logsumexp((0, 1), keepdim=True),
        "logsumexp_big": lambda: mc.logsumexp(big, 1),
        "split_int": lambda: ops.concatenate([p.reshape(-1) * (i + 1) for i, p in enumerate(mc.split(x, 3, 1))]),
        "split_list": lambda: ops.concatenate([p.reshape(-1) * (i + 1) for i, p in enumerate(x.split([1, 2]))]),
        "huber": lambda: F.huber_loss(x, y, reduction="none", delta=0.7),
        "huber_sum": lambda: F.huber_loss(z, x, reduction="mean", delta=1.0),
        "smooth_l1": lambda: F.smooth_l1_loss(x, z, reduction="sum", beta=0.5),
    }
    out = outs[name]()
    r = np.cos(np.arange(out.size, dtype=np.float64)).reshape(out.shape)
    (out * r).sum().backward()
    return out.data, {k: v.grad for k, v in t.items() if v.grad is not None}


@pytest.mark.parametrize("name", refs.OP_CASES)
def test_op_matches_stored_pytorch(name):
    arrays = {k: v[0] for k, v in refs.op_inputs().items()}
    out, grads = mlcore_op(name, arrays)
    np.testing.assert_allclose(out, OPS_REFS[f"{name}/out"], rtol=1e-12, atol=1e-12)
    stored = {k[len(name) + len("/grad_"):]: v for k, v in OPS_REFS.items() if k.startswith(name + "/grad_")}
    assert sorted(grads) == sorted(stored)
    for k, g in stored.items():
        np.testing.assert_allclose(grads[k], g, rtol=1e-12, atol=1e-12, err_msg=k)


@pytest.mark.parametrize("name", refs.OP_CASES)
def test_op_matches_live_pytorch(name):
    pytest.importorskip("torch")
    arrays = {k: v[0] for k, v in refs.op_inputs().items()}
    out, grads = mlcore_op(name, arrays)
    t_out, t_grads = refs.torch_op(name, arrays)
    np.testing.assert_allclose(out, t_out, rtol=1e-12, atol=1e-12)
    assert sorted(grads) == sorted(t_grads)
    for k in grads:
        np.testing.assert_allclose(grads[k], t_grads[k], rtol=1e-12, atol=1e-12, err_msg=k)
