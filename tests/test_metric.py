"""Metric-learning losses: finite differences in float64, PyTorch 2.13 references, mining, errors."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

import mlcore as mc
from mlcore import functional as F
from mlcore import metric as M

TOL = 1e-6
REFS = np.load(pathlib.Path(__file__).parent / "data" / "metric_refs.npz")


def check(fn, *arrays):
    result = mc.gradcheck(fn, arrays)
    assert result.max_error < TOL, f"relative errors {result.errors}"


def test_exported_from_functional():
    assert F.triplet_margin_loss is M.triplet_margin_loss
    assert F.contrastive_loss is M.contrastive_loss
    assert F.pairwise_distance is M.pairwise_distance


@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_triplet_matches_torch(swap, p, reduction):
    a, pos, neg = (mc.Tensor(REFS[k], requires_grad=True, dtype=np.float64) for k in "apn")
    loss = M.triplet_margin_loss(a, pos, neg, margin=0.8, p=p, swap=swap, reduction=reduction)
    key = f"swap{int(swap)}_p{p:g}_{reduction}"
    np.testing.assert_allclose(loss.data, REFS[key], rtol=1e-10, atol=1e-12)
    loss.sum().backward()
    for t, g in ((a, "_ga"), (pos, "_gp"), (neg, "_gn")):
        np.testing.assert_allclose(t.grad, REFS[key + g], rtol=1e-8, atol=1e-12)


def test_pairwise_distance_matches_torch():
    np.testing.assert_allclose(M.pairwise_distance(REFS["a"].astype(np.float64), REFS["p"]).data, REFS["pd"],
                               rtol=1e-6)


def test_triplet_torch_live():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    a, p, n = (rng.standard_normal((5, 3)) for _ in range(3))
    ref = torch.nn.functional.triplet_margin_loss(*(torch.tensor(t) for t in (a, p, n)), margin=0.5, swap=True)
    ours = M.triplet_margin_loss(*(mc.Tensor(t, dtype=np.float64) for t in (a, p, n)), margin=0.5, swap=True)
    assert abs(ours.item() - ref.item()) < 1e-10


@pytest.mark.parametrize("p", [1.5, 2.0, 3.0])
def test_gradcheck_pairwise_distance(p):
    rng = np.random.default_rng(0)
    check(lambda x, y: M.pairwise_distance(x, y, p=p), rng.standard_normal((4, 3)), rng.standard_normal((4, 3)))


@pytest.mark.parametrize("swap", [False, True])
def test_gradcheck_triplet(swap):
    rng = np.random.default_rng(1)
    a, p, n = (rng.standard_normal((5, 3)) for _ in range(3))
    hinge = M.triplet_margin_loss(a, p, n, margin=4.0, swap=swap, reduction="none").data
    assert np.all(hinge > 1e-3)  # every triplet active, away from the hinge's kink
    check(lambda a, p, n: M.triplet_margin_loss(a, p, n, margin=4.0, swap=swap, reduction="sum"), a, p, n)


def test_gradcheck_contrastive():
    rng = np.random.default_rng(2)
    x1, x2 = rng.standard_normal((6, 3)), rng.standard_normal((6, 3))
    target = np.array([1, 0, 1, 0, 0, 1])
    check(lambda a, b: M.contrastive_loss(a, b, target, margin=2.0), x1, x2)


def test_contrastive_values():
    x1 = mc.Tensor(np.array([[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]), dtype=np.float64)
    x2 = mc.Tensor(np.array([[3.0, 4.0], [0.3, 0.4], [3.0, 4.0]]), dtype=np.float64)
    losses = M.contrastive_loss(x1, x2, [1, 0, 0], margin=1.0, eps=0.0, reduction="none").data
    # similar pair: d^2/2; dissimilar inside the margin: (m-d)^2/2; dissimilar outside: 0
    np.testing.assert_allclose(losses, [12.5, 0.125, 0.0])


def test_distance_matrix_and_gradcheck():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((5, 3))
    d = M.distance_matrix(mc.Tensor(x, dtype=np.float64), eps=0.0).data
    np.testing.assert_allclose(d, np.sqrt(((x[:, None] - x[None]) ** 2).sum(-1)), atol=1e-12)
    check(lambda t: M.distance_matrix(t), x)


def test_batch_hard_against_loops_and_gradcheck():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((8, 3))
    y = np.array([0, 0, 1, 1, 1, 2, 2, 3])  # class 3 has no positive: anchor 7 is left out
    d = np.sqrt(((x[:, None] - x[None] + 1e-6) ** 2).sum(-1))
    expected = []
    for i in range(8):
        pos = [d[i, j] for j in range(8) if y[j] == y[i] and j != i]
        neg = [d[i, k] for k in range(8) if y[k] != y[i]]
        if pos and neg:
            expected.append(max(0.0, max(pos) - min(neg) + 1.5))
    got = M.batch_hard_triplet_loss(mc.Tensor(x, dtype=np.float64), y, margin=1.5, reduction="none").data
    np.testing.assert_allclose(got, expected, rtol=1e-10)
    check(lambda t: M.batch_hard_triplet_loss(t, y, margin=3.0), x)


def test_semi_hard_triplets_rule():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((12, 2))
    y = np.repeat(np.arange(4), 3)
    a, p, n = M.semi_hard_triplets(x, y)
    assert len(a) == 4 * 3 * 2
    d = np.sqrt(((x[:, None] - x[None]) ** 2).sum(-1))
    for i, j, k in zip(a, p, n):
        assert y[i] == y[j] and i != j and y[k] != y[i]
        negs = [m for m in range(12) if y[m] != y[i]]
        farther = [m for m in negs if d[i, m] > d[i, j]]
        if farther:
            assert k == min(farther, key=lambda m: d[i, m])
        else:
            assert k == max(negs, key=lambda m: d[i, m])


def test_collapsed_embedding_costs_the_margin():
    # all embeddings equal: every distance is the same, the triplet loss is exactly the margin
    x = mc.Tensor(np.ones((6, 3)), dtype=np.float64)
    y = np.array([0, 0, 1, 1, 2, 2])
    assert abs(M.batch_hard_triplet_loss(x, y, margin=0.7).item() - 0.7) < 1e-12


@pytest.mark.parametrize("call, error", [
    (lambda: M.triplet_margin_loss(np.ones((2, 3)), np.ones((2, 3)), np.ones((3, 3))), ValueError),
    (lambda: M.triplet_margin_loss(np.ones((2, 3)), np.ones((2, 3)), np.ones((2, 3)), margin=-1), ValueError),
    (lambda: M.triplet_margin_loss(np.ones((2, 3)), np.ones((2, 3)), np.ones((2, 3)), reduction="avg"), ValueError),
    (lambda: M.triplet_margin_loss(np.ones((2, 3)), np.ones((2, 3)), np.ones((2, 3)), swap=1), TypeError),
    (lambda: M.triplet_margin_loss(np.ones((2, 3), int), np.ones((2, 3)), np.ones((2, 3))), TypeError),
    (lambda: M.pairwise_distance(np.ones((2, 3)), np.ones((2, 4))), ValueError),
    (lambda: M.pairwise_distance(np.ones((2, 3)), np.ones((2, 3)), p=0), ValueError),
    (lambda: M.contrastive_loss(np.ones((2, 3)), np.ones((2, 3)), [1, 2]), ValueError),
    (lambda: M.contrastive_loss(np.ones((2, 3)), np.ones((2, 3)), [1, 0, 1]), ValueError),
    (lambda: M.batch_hard_triplet_loss(np.ones((3, 2)), np.array([0, 1, 2])), ValueError),
    (lambda: M.batch_hard_triplet_loss(np.ones((3, 2)), np.array([0.0, 1.0, 1.0])), TypeError),
    (lambda: M.batch_hard_triplet_loss(np.ones((3, 2)), np.array([0, 1])), ValueError),
    (lambda: M.semi_hard_triplets(np.ones((3, 2)), np.array([0, 0, 0])), ValueError),
])
def test_bad_arguments(call, error):
    with pytest.raises(error):
        call()
