"""A generated recommendation data set in which memorisation and generalisation can each be measured.

Chapter 24: Wide and deep learning for recommender systems needs clicks whose
probability has two parts: a *smooth* preference structure that an embedding
model can learn from some user-item combinations and carry over to
combinations it has never seen, and *exception crosses*, single user-item
pairs that contradict the smooth structure and can only be memorised.

The generator (:func:`make_recommendation_data`):

* users ``u`` (think of segments) and items ``i`` (categories) get latent
  factors :math:`p_u, q_i \\sim \\mathcal N(0, I_r/r)` and the smooth logit
  is :math:`s_{ui} = \\text{strength}\\cdot p_u^\\top q_i` (low rank ``r``,
  no main effects, so popularity alone predicts nothing);
* a fraction ``unseen_fraction`` of the pairs is held out: those pairs never
  appear in training and test generalisation;
* ``n_exceptions`` of the remaining pairs, drawn in proportion to their
  popularity (frequent co-occurrences), get the opposite sign:
  :math:`z_{ui} = -\\operatorname{sign}(s_{ui})\\,\\text{exception\\_logit}`;
* users and items have Zipf popularities :math:`\\propto k^{-\\text{zipf}}`;
  a training example is a pair drawn with probability proportional to the
  product of popularities (restricted to the seen pairs) and a click
  :math:`y \\sim \\text{Bernoulli}(\\sigma(z_{ui}))`.

Three test sets are drawn with fresh clicks: ``unseen`` (uniform over the
held-out pairs), ``exception`` (uniform over the exception crosses) and
``seen`` (regular seen pairs, drawn like the training set).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlcore._checks import check_int, check_number

__all__ = ["RecommendationData", "make_recommendation_data", "wide_features"]


@dataclass
class RecommendationData:
    """What :func:`make_recommendation_data` returns (Chapter 24: Wide and deep learning for recommender systems).

    ``train`` and each ``test[name]`` are dicts with ``user`` (N,), ``item``
    (N,) integer arrays and ``click`` (N,) 0/1 labels; ``logit`` (U, I) is the
    true click logit of every pair, ``smooth`` (U, I) its smooth part,
    ``seen`` (U, I) marks pairs that may appear in training and
    ``exception`` (U, I) the exception crosses.
    """

    n_users: int
    n_items: int
    train: dict
    test: dict
    logit: np.ndarray
    smooth: np.ndarray
    seen: np.ndarray
    exception: np.ndarray
    user_popularity: np.ndarray = field(repr=False)
    item_popularity: np.ndarray = field(repr=False)


def _rng(rng: Any) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, (int, np.integer)) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    raise TypeError(f"make_recommendation_data: rng must be a numpy.random.Generator, an int seed or None, "
                    f"got {type(rng).__name__}")


def _draw(rng: np.random.Generator, weights: np.ndarray, n: int, logit: np.ndarray, n_items: int) -> dict:
    flat = rng.choice(weights.size, size=n, p=weights.ravel() / weights.sum())
    user, item = np.divmod(flat, n_items)
    click = (rng.random(n) < 1 / (1 + np.exp(-logit[user, item]))).astype(np.int64)
    return {"user": user.astype(np.int64), "item": item.astype(np.int64), "click": click}


def make_recommendation_data(n_users: int = 40, n_items: int = 40, rank: int = 3, strength: float = 4.0,
                             n_exceptions: int = 80, exception_logit: float = 4.0, unseen_fraction: float = 0.3,
                             zipf: float = 0.8, n_train: int = 40000, n_test: int = 4000,
                             rng: Any = None) -> RecommendationData:
    """Generate clicks with a smooth low-rank structure and memorisable exception crosses (module docstring).

    Parameters
    ----------
    n_users, n_items : int
        Number of users (segments) ``U`` and items (categories) ``I``.
    rank : int
        Rank ``r`` of the smooth preference structure.
    strength : float
        Scale of the smooth logit.
    n_exceptions : int
        Number of seen pairs whose click logit contradicts the smooth structure.
    exception_logit : float
        Size of the exceptions' logit (its sign is opposite to the smooth logit's).
    unseen_fraction : float
        Fraction of the regular pairs held out of training entirely.
    zipf : float
        Exponent of the user and item popularities.
    n_train, n_test : int
        Number of training examples and of examples in each test set.
    rng : numpy.random.Generator or int, optional
        Source of all randomness; the same seed gives the same data.

    Returns
    -------
    RecommendationData
        Training set, test sets ``"seen"``, ``"unseen"`` and ``"exception"``,
        and the ground truth.  Chapter 24: Wide and deep learning for
        recommender systems.
    """
    fn = "make_recommendation_data"
    U, I = check_int(fn, "n_users", n_users, 2), check_int(fn, "n_items", n_items, 2)
    r = check_int(fn, "rank", rank)
    strength = check_number(fn, "strength", strength, 0)
    E = check_int(fn, "n_exceptions", n_exceptions, 0)
    exception_logit = check_number(fn, "exception_logit", exception_logit, 0)
    unseen_fraction = check_number(fn, "unseen_fraction", unseen_fraction, 0, 1, high_open=True)
    zipf = check_number(fn, "zipf", zipf, 0)
    n_train, n_test = check_int(fn, "n_train", n_train), check_int(fn, "n_test", n_test)
    n_unseen = int(round(unseen_fraction * U * I))
    if E + n_unseen >= U * I:
        raise ValueError(f"{fn}: n_exceptions + unseen pairs must be fewer than n_users*n_items={U * I}, "
                         f"got {E} + {n_unseen}")
    g = _rng(rng)

    p = g.standard_normal((U, r)) / np.sqrt(r)
    q = g.standard_normal((I, r)) / np.sqrt(r)
    smooth = strength * p @ q.T                                            # (U, I)
    user_pop = g.permutation(np.arange(1, U + 1) ** -zipf)
    item_pop = g.permutation(np.arange(1, I + 1) ** -zipf)
    popularity = np.outer(user_pop, item_pop)                              # (U, I)

    order = g.permutation(U * I)
    unseen = np.zeros(U * I, bool)
    unseen[order[:n_unseen]] = True
    candidates = order[n_unseen:]
    w = popularity.ravel()[candidates]
    exc_flat = g.choice(candidates, size=E, replace=False, p=w / w.sum())
    exception = np.zeros(U * I, bool)
    exception[exc_flat] = True
    unseen, exception = unseen.reshape(U, I), exception.reshape(U, I)
    seen = ~unseen

    logit = smooth.copy()
    logit[exception] = -np.sign(smooth[exception]) * exception_logit

    train = _draw(g, popularity * seen, n_train, logit, I)
    test = {
        "seen": _draw(g, popularity * (seen & ~exception), n_test, logit, I),
        "unseen": _draw(g, unseen.astype(float), n_test, logit, I),
        "exception": _draw(g, exception.astype(float), n_test, logit, I) if E else None,
    }
    return RecommendationData(U, I, train, test, logit, smooth, seen, exception, user_pop, item_pop)


def wide_features(user: Any, item: Any, n_users: int, n_items: int) -> np.ndarray:
    """Active feature indices of the wide model, one bag (row) per example: (N,) -> (N, 3).

    Column 0 is the one-hot user ``u``, column 1 the one-hot item
    ``U + i``, column 2 the crossed feature ``U + I + u*I + i`` (one weight per
    user-item pair), so the table has ``U + I + U*I`` rows.
    Chapter 24: Wide and deep learning for recommender systems.
    """
    u, i = np.asarray(user), np.asarray(item)
    if u.shape != i.shape or u.ndim != 1:
        raise ValueError(f"wide_features: user and item must be 1-D of the same length, got {u.shape} and {i.shape}")
    if u.dtype.kind not in "iu" or i.dtype.kind not in "iu":
        raise TypeError("wide_features: user and item must be integer arrays")
    if u.size and (u.min() < 0 or u.max() >= n_users or i.min() < 0 or i.max() >= n_items):
        raise ValueError(f"wide_features: user must lie in 0..{n_users - 1} and item in 0..{n_items - 1}")
    return np.stack([u, n_users + i, n_users + n_items + u * n_items + i], axis=1).astype(np.int64)
