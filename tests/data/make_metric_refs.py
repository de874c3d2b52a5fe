"""Reference values of torch.nn.functional.triplet_margin_loss (PyTorch 2.13) for tests/test_metric.py.

Run once with torch installed: python tests/data/make_metric_refs.py
"""
import pathlib

import numpy as np
import torch

rng = np.random.default_rng(7)
a, p, n = (rng.standard_normal((6, 4)) for _ in range(3))
out = {"a": a, "p": p, "n": n}
for swap in (False, True):
    for pp in (1.0, 2.0, 3.0):
        for red in ("mean", "sum", "none"):
            ta, tp, tn = (torch.tensor(t, requires_grad=True) for t in (a, p, n))
            loss = torch.nn.functional.triplet_margin_loss(ta, tp, tn, margin=0.8, p=pp, swap=swap, reduction=red)
            loss.sum().backward()
            key = f"swap{int(swap)}_p{pp:g}_{red}"
            out[key] = loss.detach().numpy()
            out[key + "_ga"], out[key + "_gp"], out[key + "_gn"] = ta.grad.numpy(), tp.grad.numpy(), tn.grad.numpy()
out["pd"] = torch.nn.functional.pairwise_distance(torch.tensor(a), torch.tensor(p)).numpy()
np.savez(pathlib.Path(__file__).with_name("metric_refs.npz"), **out)
