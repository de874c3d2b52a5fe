"""Plain NumPy reference of one skip-gram negative-sampling step: the oracle for the Numba kernel.

Chapter 19: Word embeddings.  One training pair is an *input* word ``w``
(row ``v = W_in[w]``) and a *target* word ``c`` seen near it (row
``u_c = W_out[c]``), with ``k`` noise words ``n_1 .. n_k`` drawn from the
noise distribution.  Its loss is

.. math::

    \\ell = -\\log\\sigma(u_c^\\top v) - \\sum_{j=1}^{k} \\log\\sigma(-u_{n_j}^\\top v),

and its gradients are

.. math::

    \\frac{\\partial \\ell}{\\partial v} = (\\sigma(u_c^\\top v) - 1)\\,u_c + \\sum_j \\sigma(u_{n_j}^\\top v)\\,u_{n_j},
    \\qquad
    \\frac{\\partial \\ell}{\\partial u_c} = (\\sigma(u_c^\\top v) - 1)\\,v,
    \\qquad
    \\frac{\\partial \\ell}{\\partial u_{n_j}} = \\sigma(u_{n_j}^\\top v)\\,v.

As in word2vec.c, a noise word equal to the target is skipped.  The loops
here are written for reading, not speed; :mod:`mlcore.word2vec_kernels`
compiles the same update and the tests compare the two.
"""

from __future__ import annotations

import numpy as np

__all__ = ["sgns_pair_loss", "sgns_pair_grad", "sgns_pair_update"]


def _sigmoid(x: float) -> float:
    """The logistic function, stable for large ``|x|``."""
    if x >= 0:
        return 1.0 / (1.0 + np.exp(-x))
    e = np.exp(x)
    return e / (1.0 + e)


def _log_sigmoid(x: float) -> float:
    """``log(sigmoid(x))`` without overflow: ``-log(1 + exp(-x))``."""
    return -np.logaddexp(0.0, -x)


def _labelled_targets(target: int, negatives: np.ndarray) -> list[tuple[int, float]]:
    """The target with label 1, then every noise word that differs from it with label 0."""
    return [(int(target), 1.0)] + [(int(n), 0.0) for n in negatives if int(n) != int(target)]


def sgns_pair_loss(W_in: np.ndarray, W_out: np.ndarray, word: int, target: int, negatives: np.ndarray) -> float:
    """Negative-sampling loss of one (input word, target word) pair.

    Chapter 19: Word embeddings.

    Parameters
    ----------
    W_in, W_out : ndarray, shape (V, d)
        Input and output vectors, one row per word of the vocabulary.
    word, target : int
        Row of the input word and of the target word.
    negatives : ndarray of int, shape (k,)
        Rows of the noise words; one equal to ``target`` is skipped.

    Returns
    -------
    float
        :math:`-\\log\\sigma(u_c^\\top v) - \\sum_j \\log\\sigma(-u_{n_j}^\\top v)`.
    """
    v = W_in[word]
    loss = 0.0
    for t, label in _labelled_targets(target, negatives):
        score = float(W_out[t] @ v)
        loss -= _log_sigmoid(score if label == 1.0 else -score)
    return loss


def sgns_pair_grad(W_in: np.ndarray, W_out: np.ndarray, word: int, target: int,
                   negatives: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of :func:`sgns_pair_loss` with respect to all of ``W_in`` and ``W_out``.

    Chapter 19: Word embeddings.

    Returns
    -------
    grad_in, grad_out : ndarray, shapes of ``W_in`` and ``W_out``
        Zero except in row ``word`` of ``grad_in`` and in the target and noise rows
        of ``grad_out`` (a noise word drawn twice collects two terms).
    """
    grad_in, grad_out = np.zeros_like(W_in), np.zeros_like(W_out)
    v = W_in[word]
    for t, label in _labelled_targets(target, negatives):
        coef = _sigmoid(float(W_out[t] @ v)) - label     # d loss / d score
        grad_in[word] += coef * W_out[t]
        grad_out[t] += coef * v
    return grad_in, grad_out


def sgns_pair_update(W_in: np.ndarray, W_out: np.ndarray, word: int, target: int,
                     negatives: np.ndarray, lr: float) -> float:
    """One SGD step on one pair, in place, in the order of word2vec.c; returns the loss before the step.

    Chapter 19: Word embeddings.

    For the target and then each noise word ``t`` with label ``y`` (1 for the target,
    0 for noise): ``g = lr * (y - sigmoid(u_t . v))``, ``e += g * u_t``, ``u_t += g * v``.
    Finally ``v += e``.  The input vector ``v`` is unchanged during the loop, so when the
    target and noise words are distinct this is exactly a gradient step
    ``W -= lr * grad`` of :func:`sgns_pair_grad`; a noise word drawn twice sees its
    first update the second time, as in word2vec.c.
    """
    v = W_in[word]
    e = np.zeros_like(v)
    loss = 0.0
    for t, label in _labelled_targets(target, negatives):
        score = float(W_out[t] @ v)
        loss -= _log_sigmoid(score if label == 1.0 else -score)
        g = lr * (label - _sigmoid(score))
        e += g * W_out[t]
        W_out[t] += g * v
    W_in[word] += e
    return loss
