"""Tests of mlcore.metrics, nn.EmbeddingBag and mlcore.data_recsys (Chapter 24)."""

import numpy as np
import pytest

import mlcore as mc
from mlcore import nn
from mlcore.data_recsys import make_recommendation_data, wide_features
from mlcore.metrics import log_loss, rankdata, roc_auc_score
from mlcore.nn.sparse import embedding_bag
from mlcore.nn.sparse_reference import embedding_bag_loops

sk = pytest.importorskip("sklearn.metrics")


@pytest.mark.parametrize("seed", range(5))
def test_auc_matches_sklearn_with_ties(seed):
    r = np.random.default_rng(seed)
    y = r.integers(0, 2, 200)
    s = r.integers(0, 6, 200).astype(float)  # many ties
    assert roc_auc_score(y, s) == pytest.approx(sk.roc_auc_score(y, s), abs=1e-12)
    s2 = r.standard_normal(200)
    assert roc_auc_score(y, s2) == pytest.approx(sk.roc_auc_score(y, s2), abs=1e-12)
    p = r.random(200)
    assert log_loss(y, p) == pytest.approx(sk.log_loss(y, p), rel=1e-12)


def test_rankdata_average_ties():
    np.testing.assert_allclose(rankdata([3.0, 1.0, 3.0, 2.0]), [3.5, 1.0, 3.5, 2.0])


def test_auc_extremes_and_errors():
    assert roc_auc_score([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4]) == 1.0
    assert roc_auc_score([0, 0, 1, 1], [0.4, 0.3, 0.2, 0.1]) == 0.0
    assert roc_auc_score([0, 1], [0.5, 0.5]) == 0.5
    with pytest.raises(ValueError, match="both classes"):
        roc_auc_score([1, 1], [0.1, 0.2])
    with pytest.raises(ValueError, match="same length"):
        roc_auc_score([0, 1, 1], [0.1, 0.2])
    with pytest.raises(ValueError, match="only 0 and 1"):
        roc_auc_score([0, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="finite"):
        roc_auc_score([0, 1], [0.1, np.nan])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        log_loss([0, 1], [0.1, 1.2])


def _bags():
    r = np.random.default_rng(0)
    W = r.standard_normal((9, 3))
    idx = np.array([1, 2, 2, 8, 0, 3, 3])
    off = np.array([0, 2, 2, 5])  # bag 1 is empty
    return r, W, idx, off


@pytest.mark.parametrize("mode", ["sum", "mean"])
def test_embedding_bag_matches_loops(mode):
    r, W, idx, off = _bags()
    got = embedding_bag(idx, mc.Tensor(W), off, mode).data
    np.testing.assert_allclose(got, embedding_bag_loops(idx, off, W, mode), atol=1e-5)
    a = r.standard_normal(idx.size)
    if mode == "sum":
        got = embedding_bag(idx, mc.Tensor(W), off, "sum", a).data
        np.testing.assert_allclose(got, embedding_bag_loops(idx, off, W, "sum", a), atol=1e-5)


def test_embedding_bag_2d_equals_one_hot_matmul():
    r = np.random.default_rng(1)
    W = r.standard_normal((6, 2))
    bags = np.array([[0, 5, 5], [1, 2, 3]])
    one_hot = np.zeros((2, 6))
    for b, row in enumerate(bags):
        np.add.at(one_hot[b], row, 1.0)
    np.testing.assert_allclose(embedding_bag(bags, mc.Tensor(W), mode="sum").data, one_hot @ W, atol=1e-5)
    np.testing.assert_allclose(embedding_bag(bags, mc.Tensor(W), mode="mean").data, one_hot @ W / 3, atol=1e-5)


@pytest.mark.parametrize("mode", ["sum", "mean"])
def test_embedding_bag_gradcheck(mode):
    r, W, idx, off = _bags()
    assert mc.gradcheck(lambda w: embedding_bag(idx, w, off, mode), [W]).passed
    if mode == "sum":
        a = r.standard_normal(idx.size)
        assert mc.gradcheck(lambda w, p: embedding_bag(idx, w, off, "sum", p), [W, a]).passed


def test_embedding_bag_module_and_errors():
    layer = nn.EmbeddingBag(10, 4, mode="sum", rng=0)
    assert layer(np.array([[1, 2], [3, 3]])).shape == (2, 4)
    assert nn.EmbeddingBag(10, 4).mode == "mean"  # PyTorch's default
    before = layer.weight.data.copy()
    with pytest.raises(ValueError, match="0..9"):
        layer(np.array([[1, 10]]))
    with pytest.raises(TypeError, match="integer"):
        layer(np.array([[1.0, 2.0]]))
    with pytest.raises(ValueError, match="offsets are required"):
        layer(np.array([1, 2]))
    with pytest.raises(ValueError, match="start at 0"):
        layer(np.array([1, 2]), offsets=np.array([1]))
    with pytest.raises(ValueError, match="offsets must be None"):
        layer(np.array([[1, 2]]), offsets=np.array([0]))
    with pytest.raises(ValueError, match="mode='sum'"):
        nn.EmbeddingBag(10, 4, mode="mean")(np.array([[1, 2]]), per_sample_weights=np.ones((1, 2)))
    with pytest.raises(ValueError, match="mode"):
        nn.EmbeddingBag(10, 4, mode="max")
    with pytest.raises(ValueError, match="num_embeddings"):
        nn.EmbeddingBag(0, 4)
    np.testing.assert_array_equal(layer.weight.data, before)


def test_embedding_bag_torch_parity():
    torch = pytest.importorskip("torch")
    r, W, idx, off = _bags()
    a = r.standard_normal(idx.size)
    for mode, psw in [("sum", None), ("mean", None), ("sum", a)]:
        ref = torch.nn.functional.embedding_bag(torch.tensor(idx), torch.tensor(W), torch.tensor(off), mode=mode,
                                                per_sample_weights=None if psw is None else torch.tensor(psw))
        np.testing.assert_allclose(embedding_bag(idx, mc.Tensor(W), off, mode, psw).data, ref.numpy(), atol=1e-5)


def test_recommendation_data_properties():
    d1 = make_recommendation_data(n_users=20, n_items=15, n_exceptions=10, n_train=3000, n_test=500, rng=3)
    d2 = make_recommendation_data(n_users=20, n_items=15, n_exceptions=10, n_train=3000, n_test=500, rng=3)
    np.testing.assert_array_equal(d1.train["user"], d2.train["user"])
    np.testing.assert_array_equal(d1.test["unseen"]["click"], d2.test["unseen"]["click"])
    tr = d1.train
    assert d1.seen[tr["user"], tr["item"]].all()                      # no unseen pair in training
    t = d1.test["unseen"]
    assert not d1.seen[t["user"], t["item"]].any()
    t = d1.test["exception"]
    assert d1.exception[t["user"], t["item"]].all()
    assert d1.exception.sum() == 10 and not (d1.exception & ~d1.seen).any()
    e = d1.exception
    assert np.all(np.sign(d1.logit[e]) == -np.sign(d1.smooth[e]))       # exceptions contradict the smooth part
    np.testing.assert_array_equal(d1.logit[~e], d1.smooth[~e])
    assert set(np.unique(tr["click"])) <= {0, 1}
    with pytest.raises(ValueError, match="n_users"):
        make_recommendation_data(n_users=1)
    with pytest.raises(ValueError, match="unseen_fraction"):
        make_recommendation_data(unseen_fraction=1.0)
    with pytest.raises(TypeError, match="rng"):
        make_recommendation_data(rng="seed")


def test_wide_features():
    f = wide_features(np.array([0, 2]), np.array([1, 0]), 3, 4)
    np.testing.assert_array_equal(f, [[0, 4, 3 + 4 + 1], [2, 3, 3 + 4 + 8]])
    with pytest.raises(ValueError, match="item in 0..3"):
        wide_features(np.array([0]), np.array([4]), 3, 4)
