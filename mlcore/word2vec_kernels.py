"""The compiled training loop of skip-gram with negative sampling, in the style of word2vec.c.

Chapter 19: Word embeddings.  Training visits the corpus word by word and
updates the vectors after every (input word, target word) pair, which is a
loop of tiny dot products: fast in compiled code, slow in Python.  So the loop
runs under Numba (``cache=True``: a new process loads the compiled code from
disk).

* :func:`sgns_pair_update_numba`: the update of one pair, the compiled twin of
  :func:`mlcore.word2vec_reference.sgns_pair_update` (the tests compare them).
  It checks its arguments, then calls the compiled ``_sgns_pair_update_kernel``;
* ``_sgns_train_kernel``: epochs over the corpus, with subsampling of
  frequent words, a dynamic window, alias sampling of noise words (``_alias_draw``)
  and a linearly decaying learning rate.

The compiled loops index arrays without bounds checks, so a wrong index would
read or write outside an array.  They are therefore private: the public
function checks every shape, dtype and index first, and the training loop is
reached only through :class:`mlcore.word2vec.Word2Vec`, which builds its
arguments itself.

Randomness comes from word2vec.c's linear congruential generator
``x <- 25214903917 x + 11 (mod 2**64)``, seeded by the caller; we read its high
bits, which are the good ones.  Single-threaded: the same seed gives the same
vectors.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["lcg_next", "lcg_uniform", "sgns_pair_update_numba"]

_MULTIPLIER = np.uint64(25214903917)
_INCREMENT = np.uint64(11)
_SHIFT = np.uint64(11)
_TWO_TO_MINUS_53 = 1.0 / 9007199254740992.0


@njit(cache=True)
def lcg_next(state):
    """Advance word2vec.c's generator: ``25214903917 * state + 11`` modulo 2**64.

    Chapter 19: Word embeddings.  ``state`` is cast to uint64 first: a state handed back
    from Python arrives as an int, and int64 times uint64 would silently become float64.
    """
    return np.uint64(state) * _MULTIPLIER + _INCREMENT


@njit(cache=True)
def lcg_uniform(state):
    """Advance the generator and return ``(new_state, u)`` with ``u`` uniform in [0, 1) (its top 53 bits).

    Chapter 19: Word embeddings.
    """
    state = lcg_next(state)
    return state, float(state >> _SHIFT) * _TWO_TO_MINUS_53


@njit(cache=True)
def _alias_draw(prob, alias, state):
    """Draw one index from a distribution in alias form (Walker's method): O(1) per draw.

    Chapter 19: Word embeddings.  Pick a column ``i`` uniformly, keep it with
    probability ``prob[i]``, else take ``alias[i]``; one uniform serves both (its integer
    and fractional parts).  Returns ``(new_state, index)``; from Python, pass the state
    back as ``np.uint64(state)``.
    """
    n = prob.shape[0]
    state, u = lcg_uniform(state)
    x = u * n
    i = int(x)
    if i >= n:
        i = n - 1
    if x - i < prob[i]:
        return state, i
    return state, alias[i]


@njit(cache=True)
def _sigmoid(x):
    if x >= 0.0:
        return 1.0 / (1.0 + np.exp(-x))
    e = np.exp(x)
    return e / (1.0 + e)


@njit(cache=True)
def _log_sigmoid(x):
    if x >= 0.0:
        return -np.log1p(np.exp(-x))
    return x - np.log1p(np.exp(x))


@njit(cache=True, fastmath=True)
def _sgns_pair_update_kernel(W_in, W_out, word, target, negatives, lr, work, compute_loss=True):
    """One SGD step of skip-gram with negative sampling on one pair, in place; returns the loss before it.

    Chapter 19: Word embeddings.  Same arithmetic and order as
    :func:`mlcore.word2vec_reference.sgns_pair_update`:
    ``g = lr * (y - sigmoid(u_t . v))``, ``e += g u_t``, ``u_t += g v`` for the target
    (``y = 1``) and each noise word other than the target (``y = 0``), then ``v += e``.

    Parameters
    ----------
    W_in, W_out : ndarray, shape (V, d)
        Input and output vectors (float32 or float64).
    word, target : int
        Rows of the input word and of the target word.
    negatives : ndarray of int64, shape (k,)
        Rows of the noise words.
    lr : float
        Learning rate.
    work : ndarray, shape (d,)
        Scratch space for ``e`` (overwritten).
    compute_loss : bool
        Whether to compute the loss (two logarithms and exponentials per target: about
        half the cost of the step); 0.0 is returned when it is off.
    """
    d = W_in.shape[1]
    for i in range(d):
        work[i] = 0.0
    loss = 0.0
    for j in range(negatives.shape[0] + 1):
        if j == 0:
            t = target
            label = 1.0
        else:
            t = negatives[j - 1]
            if t == target:
                continue
            label = 0.0
        score = 0.0
        for i in range(d):
            score += W_in[word, i] * W_out[t, i]
        if compute_loss:
            if label == 1.0:
                loss -= _log_sigmoid(score)
            else:
                loss -= _log_sigmoid(-score)
        g = lr * (label - _sigmoid(score))
        for i in range(d):
            work[i] += g * W_out[t, i]
            W_out[t, i] += g * W_in[word, i]
    for i in range(d):
        W_in[word, i] += work[i]
    return loss


@njit(cache=True, fastmath=True)
def _sgns_train_kernel(tokens, starts, keep_prob, noise_prob, noise_alias, W_in, W_out,
                     window, negative, alpha, min_alpha, epochs, seed, compute_loss):
    """Train skip-gram with negative sampling over ``epochs`` passes of a corpus; vectors change in place.

    Chapter 19: Word embeddings.

    Parameters
    ----------
    tokens : ndarray of int64, shape (n,)
        Every sentence's word indices, concatenated.
    starts : ndarray of int64, shape (S + 1,)
        Sentence ``s`` is ``tokens[starts[s]:starts[s + 1]]``; windows never cross sentences.
    keep_prob : ndarray of float64, shape (V,)
        Probability of keeping each occurrence of a word (subsampling), redrawn every epoch.
    noise_prob, noise_alias : ndarrays, shape (V,)
        The noise distribution in alias form (see ``_alias_draw``).
    W_in, W_out : ndarray, shape (V, d)
        Input and output vectors, updated in place.
    window : int
        Largest distance between an input word and a target; each position draws its
        own reduced window ``b`` uniformly from ``1 .. window``, as in word2vec.c.
    negative : int
        Noise words per pair.
    alpha, min_alpha : float
        The learning rate falls linearly from ``alpha`` to ``min_alpha`` with the
        fraction of (raw) words processed.
    epochs : int
        Passes over the corpus.
    seed : int
        Seed of the generator.
    compute_loss : bool
        Track the mean loss per epoch (slower); zeros when off.

    Returns
    -------
    loss : ndarray, shape (epochs,)
        Mean pair loss of each epoch (measured before each update).
    pairs : ndarray of int64, shape (epochs,)
        Number of pairs trained on in each epoch.
    """
    n_sent = starts.shape[0] - 1
    total = epochs * tokens.shape[0]
    d = W_in.shape[1]
    work = np.empty(d, dtype=W_in.dtype)
    negatives = np.empty(negative, dtype=np.int64)
    buf = np.empty(tokens.shape[0], dtype=np.int64)
    losses = np.zeros(epochs)
    pair_counts = np.zeros(epochs, dtype=np.int64)
    state = np.uint64(seed) * _MULTIPLIER + _INCREMENT
    done = 0
    for epoch in range(epochs):
        loss_sum = 0.0
        n_pairs = 0
        for s in range(n_sent):
            lr = alpha - (alpha - min_alpha) * done / total
            # subsample: keep each occurrence with probability keep_prob[word]
            m = 0
            for p in range(starts[s], starts[s + 1]):
                w = tokens[p]
                state, u = lcg_uniform(state)
                if u < keep_prob[w]:
                    buf[m] = w
                    m += 1
            done += starts[s + 1] - starts[s]
            for pos in range(m):
                centre = buf[pos]
                state = lcg_next(state)
                b = window - int((state >> np.uint64(33)) % np.uint64(window))   # reduced window 1..window
                lo = max(0, pos - b)
                hi = min(m, pos + b + 1)
                for q in range(lo, hi):
                    if q == pos:
                        continue
                    for j in range(negative):
                        state, noise_word = _alias_draw(noise_prob, noise_alias, state)
                        negatives[j] = noise_word
                    # as in word2vec.c: the context word's input vector predicts the centre word
                    loss_sum += _sgns_pair_update_kernel(W_in, W_out, buf[q], centre, negatives, lr, work,
                                                       compute_loss)
                    n_pairs += 1
        losses[epoch] = loss_sum / max(n_pairs, 1)
        pair_counts[epoch] = n_pairs
    return losses, pair_counts


def sgns_pair_update_numba(W_in, W_out, word, target, negatives, lr, work, compute_loss=True):
    """One SGD step of skip-gram with negative sampling on one pair, in place; returns the loss before it.

    Chapter 19: Word embeddings.  Checks every argument (the compiled loop
    ``_sgns_pair_update_kernel`` does not), then runs it: ``g = lr * (y -
    sigmoid(u_t . v))``, ``e += g u_t``, ``u_t += g v`` for the target (``y = 1``)
    and each noise word other than the target (``y = 0``), then ``v += e``.

    Parameters
    ----------
    W_in, W_out : ndarray, shape (V, d)
        Input and output vectors, both float32 or both float64, C-contiguous; updated in place.
    word, target : int
        Rows of the input word and of the target word, in ``[0, V)``.
    negatives : ndarray of int64, shape (k,)
        Rows of the noise words, in ``[0, V)``.
    lr : float
        Learning rate (finite).
    work : ndarray, shape (d,)
        Scratch space for ``e`` (overwritten), of the vectors' dtype.
    compute_loss : bool
        Whether to compute the loss; 0.0 is returned when it is off.
    """
    for name, W in (("W_in", W_in), ("W_out", W_out)):
        if not isinstance(W, np.ndarray) or W.ndim != 2 or W.dtype not in (np.float32, np.float64):
            raise TypeError(f"sgns_pair_update_numba: {name} must be a 2-D float32 or float64 array")
        if not W.flags.c_contiguous or not W.flags.writeable:
            raise ValueError(f"sgns_pair_update_numba: {name} must be C-contiguous and writeable")
    if W_in.shape != W_out.shape or W_in.dtype != W_out.dtype:
        raise ValueError(f"sgns_pair_update_numba: W_in {W_in.shape} {W_in.dtype} and W_out "
                         f"{W_out.shape} {W_out.dtype} must have the same shape and dtype")
    V, d = W_in.shape
    for name, index in (("word", word), ("target", target)):
        if isinstance(index, (bool, np.bool_)) or not isinstance(index, (int, np.integer)):
            raise TypeError(f"sgns_pair_update_numba: {name} must be an integer, got {index!r}")
        if not 0 <= index < V:
            raise ValueError(f"sgns_pair_update_numba: {name} = {index} is outside [0, {V})")
    if not isinstance(negatives, np.ndarray) or negatives.ndim != 1 or negatives.dtype != np.int64:
        raise TypeError("sgns_pair_update_numba: negatives must be a 1-D int64 array")
    if negatives.size and (negatives.min() < 0 or negatives.max() >= V):
        raise ValueError(f"sgns_pair_update_numba: negatives must lie in [0, {V})")
    if not np.isfinite(lr):
        raise ValueError(f"sgns_pair_update_numba: lr must be finite, got {lr!r}")
    if (not isinstance(work, np.ndarray) or work.shape != (d,) or work.dtype != W_in.dtype
            or not work.flags.writeable):
        raise ValueError(f"sgns_pair_update_numba: work must be a writeable array of shape ({d},) "
                         f"and dtype {W_in.dtype}")
    return _sgns_pair_update_kernel(W_in, W_out, int(word), int(target), negatives, float(lr), work,
                                    bool(compute_loss))
