"""Reference numbers from PyTorch for mlcore's optimisers, schedulers and new operations.

Run once with PyTorch installed (``python tests/data/make_torch_refs.py``); it
writes ``torch_optim_refs.npz`` and ``torch_ops_refs.npz`` beside itself, which
tests/test_torch_parity.py compares against without needing PyTorch. The case
definitions below are shared with that test, which also runs them against live
PyTorch when it is importable.

Optimiser cases: three float64 parameters in two groups with different
learning rates and weight decays, the second parameter frozen
(``requires_grad=False``), a learning-rate scheduler stepped after every
update, 25 steps. The gradients are a fixed NumPy function of the current
parameter values, computed identically for both libraries, so only the
optimisers differ.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
STEPS = 25
SHAPES = [(3, 4), (4,), (2, 3)]   # parameter 1 is frozen
FROZEN = 1

# name -> (optimizer class name, defaults, overrides of group 0, overrides of group 1)
OPTIMIZERS = {
    "sgd": ("SGD", dict(lr=0.05), dict(lr=0.01, weight_decay=0.01), dict(weight_decay=0.1)),
    "sgd_momentum": ("SGD", dict(lr=0.05, momentum=0.9), dict(lr=0.01, weight_decay=0.01),
                     dict(weight_decay=0.1, momentum=0.5)),
    "sgd_nesterov": ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True), dict(lr=0.01, weight_decay=0.01),
                     dict(weight_decay=0.1)),
    "adagrad": ("Adagrad", dict(lr=0.1), dict(lr=0.02, weight_decay=0.01), dict(weight_decay=0.1, eps=1e-6)),
    "adadelta": ("Adadelta", dict(lr=1.0), dict(lr=0.5, weight_decay=0.01), dict(weight_decay=0.1, rho=0.8)),
    "rmsprop": ("RMSprop", dict(lr=0.01), dict(lr=0.002, weight_decay=0.01), dict(weight_decay=0.1, alpha=0.9)),
    "rmsprop_momentum": ("RMSprop", dict(lr=0.01, momentum=0.8), dict(lr=0.002, weight_decay=0.01),
                         dict(weight_decay=0.1)),
    "adam": ("Adam", dict(lr=0.01), dict(lr=0.001, weight_decay=0.01), dict(weight_decay=0.1, betas=(0.8, 0.99))),
    "adamw": ("AdamW", dict(lr=0.01), dict(lr=0.001, weight_decay=0.01), dict(weight_decay=0.1)),
}
# name -> (scheduler class name, arguments)
SCHEDULERS = {
    "step": ("StepLR", dict(step_size=7, gamma=0.5)),
    "exponential": ("ExponentialLR", dict(gamma=0.9)),
    "cosine": ("CosineAnnealingLR", dict(T_max=30, eta_min=1e-4)),   # T_max > STEPS: mlcore's = PyTorch's
}
CASES = [(o, s) for o in OPTIMIZERS for s in SCHEDULERS]


def initial_values() -> list[np.ndarray]:
    rng = np.random.default_rng(2026)
    return [rng.normal(size=shape) for shape in SHAPES]


def gradient(k: int, w: np.ndarray) -> np.ndarray:
    """The gradient fed for parameter ``k`` at value ``w``: a curved, non-separable-in-time field."""
    c = np.linspace(-1.0, 1.0, w.size).reshape(w.shape) * (k + 1)
    return (1.0 + k) * (w - c) + 0.3 * np.cos(3.0 * w) + 0.1 * w**3


def torch_run(case: tuple[str, str]):
    """Run one case in PyTorch; return (trajectory per parameter, lrs per step and group, final state)."""
    import torch

    opt_name, sched_name = case
    cls, defaults, g0, g1 = OPTIMIZERS[opt_name]
    params = [torch.tensor(v, dtype=torch.float64, requires_grad=(k != FROZEN))
              for k, v in enumerate(initial_values())]
    opt = getattr(torch.optim, cls)([{"params": params[:2], **g0}, {"params": params[2:], **g1}], **defaults)
    sched_cls, sched_args = SCHEDULERS[sched_name]
    sched = getattr(torch.optim.lr_scheduler, sched_cls)(opt, **sched_args)
    traj = [[p.detach().numpy().copy()] for p in params]
    lrs = []
    for _ in range(STEPS):
        lrs.append([g["lr"] for g in opt.param_groups])
        for k, p in enumerate(params):
            if p.requires_grad:
                p.grad = torch.from_numpy(gradient(k, p.detach().numpy()))
        opt.step()
        sched.step()
        for k, p in enumerate(params):
            traj[k].append(p.detach().numpy().copy())
    state = {}
    for i, s in opt.state_dict()["state"].items():
        if "step" in s and float(s["step"]) == 0:
            continue   # Adagrad creates state for every parameter up front, the frozen one too
        for key, value in s.items():
            if value is None:   # SGD without momentum keeps momentum_buffer = None
                continue
            state[f"{i}.{key}"] = np.asarray(value.numpy() if hasattr(value, "numpy") else value, dtype=np.float64)
    return [np.array(t) for t in traj], np.array(lrs), state


# -- operations ---------------------------------------------------------------------

def op_inputs() -> dict[str, list[np.ndarray]]:
    """Inputs of every operation case, ties and boundaries included on purpose."""
    rng = np.random.default_rng(7)
    x = rng.normal(size=(3, 4))
    x[0, :2] = [1.0, -2.0]           # clip boundaries below
    y = rng.normal(size=(3, 4))
    y[0, 0], y[1, 1] = x[0, 0], x[1, 1]   # ties for maximum/minimum
    z = np.array([[0.0, 1.5, -0.5, 0.0], [2.0, -3.0, 0.0, 1.0], [0.25, -0.25, 4.0, -1.0]])
    big = np.array([[1000.0, 1001.0, 999.0], [-1000.0, -1001.0, -999.0]])
    return {"x": [x], "y": [y], "z": [z], "big": [big], "pos": [np.abs(x) + 0.1],
            "cond": [x > y]}


OP_CASES = ["where", "maximum", "minimum", "minimum_bcast", "clip", "clip_min", "clip_max", "abs", "sqrt",
            "logsumexp1", "logsumexp01_keep", "logsumexp_big", "split_int", "split_list", "huber",
            "huber_sum", "smooth_l1"]


def torch_op(name: str, arrays: dict[str, np.ndarray]):
    """Forward output(s) and input gradients of one op case in PyTorch (upstream gradient: ``r``)."""
    import torch
    import torch.nn.functional as TF

    t = {k: torch.tensor(v) if v.dtype == bool else torch.tensor(v, dtype=torch.float64, requires_grad=True)
         for k, v in arrays.items()}
    x, y, z, pos, big, cond = t["x"], t["y"], t["z"], t["pos"], t["big"], t["cond"]
    outs = {
        "where": lambda: torch.where(cond, x, y),
        "maximum": lambda: torch.maximum(x, y),
        "minimum": lambda: torch.minimum(x, y),
        "minimum_bcast": lambda: torch.minimum(x, y[:1]),
        "clip": lambda: torch.clamp(x, -2.0, 1.0),
        "clip_min": lambda: torch.clamp(z, min=0.0),
        "clip_max": lambda: torch.clamp(z, max=0.0),
        "abs": lambda: torch.abs(z),
        "sqrt": lambda: torch.sqrt(pos),
        "logsumexp1": lambda: torch.logsumexp(x, 1),
        "logsumexp01_keep": lambda: torch.logsumexp(x, (0, 1), keepdim=True),
        "logsumexp_big": lambda: torch.logsumexp(big, 1),
        "split_int": lambda: torch.cat([p.reshape(-1) * (i + 1) for i, p in enumerate(torch.split(x, 3, 1))]),
        "split_list": lambda: torch.cat([p.reshape(-1) * (i + 1) for i, p in enumerate(torch.split(x, [1, 2], 0))]),
        "huber": lambda: TF.huber_loss(x, y, reduction="none", delta=0.7),
        "huber_sum": lambda: TF.huber_loss(z, x, reduction="mean", delta=1.0),
        "smooth_l1": lambda: TF.smooth_l1_loss(x, z, reduction="sum", beta=0.5),
    }
    out = outs[name]()
    r = torch.from_numpy(np.cos(np.arange(out.numel(), dtype=np.float64)).reshape(out.shape))
    (out * r).sum().backward()
    grads = {k: v.grad.numpy().copy() for k, v in t.items() if v.grad is not None}
    return out.detach().numpy().copy(), grads


def main() -> None:
    import torch

    refs = {}
    for case in CASES:
        traj, lrs, state = torch_run(case)
        key = "/".join(case)
        for k, tr in enumerate(traj):
            refs[f"{key}/param{k}"] = tr
        refs[f"{key}/lrs"] = lrs
        for name, value in state.items():
            refs[f"{key}/state.{name}"] = value
    np.savez_compressed(HERE / "torch_optim_refs.npz", **refs)
    arrays = {k: v[0] for k, v in op_inputs().items()}
    ops = {}
    for name in OP_CASES:
        out, grads = torch_op(name, arrays)
        ops[f"{name}/out"] = out
        for k, g in grads.items():
            ops[f"{name}/grad_{k}"] = g
    np.savez_compressed(HERE / "torch_ops_refs.npz", **ops)
    print(f"PyTorch {torch.__version__}: {len(CASES)} optimiser cases, {len(OP_CASES)} op cases written")


if __name__ == "__main__":
    main()
