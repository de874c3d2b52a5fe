"""Word embeddings: skip-gram with negative sampling (word2vec), nearest neighbours and analogies.

Chapter 19: Word embeddings derives the model and checks every piece below.

* :func:`tokenize` splits text into lower-case words; :class:`Vocabulary` counts
  them and keeps those seen at least ``min_count`` times;
* :func:`keep_probabilities` is the subsampling rule of word2vec.c for frequent
  words, :func:`noise_distribution` the unigram distribution raised to the power
  0.75 from which noise words are drawn, and :func:`alias_table` turns it into
  a table for O(1) sampling;
* :class:`Word2Vec` trains the vectors with the compiled loop of
  :mod:`mlcore.word2vec_kernels`, following word2vec.c: one SGD step per pair,
  a dynamic window, input vectors initialised uniformly in
  :math:`[-0.5/d, 0.5/d)` and output vectors at zero, a learning rate falling
  linearly to ``min_alpha``;
* :class:`WordVectors` answers queries by cosine similarity: nearest neighbours,
  analogies by 3CosAdd, and the two standard evaluations (Spearman correlation
  with human similarity judgements; analogy accuracy).

Argument names follow gensim's ``Word2Vec`` (``vector_size``, ``window``,
``min_count``, ``sample``, ``negative``, ``ns_exponent``, ``alpha``,
``min_alpha``, ``epochs``, ``seed``), so a reader can run both on the same
settings.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from mlcore.word2vec_kernels import _sgns_train_kernel

__all__ = [
    "tokenize", "Vocabulary", "keep_probabilities", "noise_distribution", "alias_table",
    "Word2Vec", "WordVectors",
]

_WORD = re.compile(r"[^\W\d_]+")


def tokenize(text: str, lowercase: bool = True) -> list[str]:
    """Split ``text`` into words: maximal runs of letters (digits and punctuation separate words).

    Chapter 19: Word embeddings.

    >>> tokenize("At 4:00pm, a south-west wind.")
    ['at', 'pm', 'a', 'south', 'west', 'wind']
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str; got {type(text).__name__}")
    return _WORD.findall(text.lower() if lowercase else text)


def _check_sentences(sentences: Iterable[Sequence[str]]) -> list[list[str]]:
    """A list of sentences, each a list of str; clear errors for the usual mistakes."""
    if isinstance(sentences, str):
        raise TypeError("sentences must be an iterable of token lists, not a single str "
                        "(split it with tokenize first)")
    out = []
    for i, sentence in enumerate(sentences):
        if isinstance(sentence, str):
            raise TypeError(f"sentences[{i}] is a str; each sentence must be a list of tokens "
                            "(split it with tokenize)")
        sentence = list(sentence)
        for token in sentence:
            if not isinstance(token, str):
                raise TypeError(f"sentences[{i}] contains a {type(token).__name__}; tokens must be str")
        out.append(sentence)
    if sum(len(s) for s in out) == 0:
        raise ValueError("the corpus is empty: no sentence has a token")
    return out


def _check_int(value, name: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int; got {type(value).__name__}")
    if value < low:
        raise ValueError(f"{name} must be >= {low}; got {value}")
    return int(value)


def _check_float(value, name: str, low: float, high: float = np.inf, low_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number; got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value) or value < low or (low_open and value == low) or value > high:
        bound = f"> {low}" if low_open else f">= {low}"
        raise ValueError(f"{name} must be finite, {bound} and <= {high}; got {value}")
    return value


class Vocabulary:
    """The words of a corpus seen at least ``min_count`` times, most frequent first.

    Chapter 19: Word embeddings.

    Attributes
    ----------
    words : list of str, length V
        The kept words, by descending count (ties: first occurrence first).
    counts : ndarray of int64, shape (V,)
        How often each kept word occurs.
    index : dict
        Word to row.
    """

    def __init__(self, sentences: Iterable[Sequence[str]], min_count: int = 5):
        min_count = _check_int(min_count, "min_count", 1)
        sentences = _check_sentences(sentences)
        counter = Counter(token for sentence in sentences for token in sentence)
        kept = sorted((w for w, c in counter.items() if c >= min_count), key=lambda w: -counter[w])
        if not kept:
            raise ValueError(f"min_count={min_count} leaves an empty vocabulary: the most frequent word "
                             f"occurs {max(counter.values())} times")
        self.min_count = min_count
        self.words = kept
        self.counts = np.array([counter[w] for w in kept], dtype=np.int64)
        self.index = {w: i for i, w in enumerate(kept)}

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return word in self.index

    def encode(self, sentences: Iterable[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
        """Word indices of every sentence, concatenated, dropping words not in the vocabulary.

        Returns ``tokens`` of shape (n,) and ``starts`` of shape (S + 1,): sentence ``s``
        is ``tokens[starts[s]:starts[s + 1]]``.
        """
        sentences = _check_sentences(sentences)
        ids = [[self.index[t] for t in s if t in self.index] for s in sentences]
        starts = np.zeros(len(ids) + 1, dtype=np.int64)
        starts[1:] = np.cumsum([len(s) for s in ids])
        tokens = np.fromiter((i for s in ids for i in s), dtype=np.int64, count=int(starts[-1]))
        return tokens, starts


def keep_probabilities(counts: np.ndarray, sample: float) -> np.ndarray:
    """Probability of keeping an occurrence of each word when subsampling frequent words.

    Chapter 19: Word embeddings.  With :math:`f_w` the word's share of all tokens
    and :math:`t` = ``sample``, word2vec.c keeps an occurrence with probability

    .. math:: P_\\text{keep}(w) = \\min\\Big(1, \\big(\\sqrt{f_w / t} + 1\\big)\\, t / f_w\\Big),

    which is 1 for words rarer than about :math:`2.6\\,t` and falls like
    :math:`\\sqrt{t / f_w}` for frequent ones.  ``sample=0`` keeps everything.

    Parameters
    ----------
    counts : ndarray of int, shape (V,)
        Word counts (positive).
    sample : float
        The threshold :math:`t \\ge 0`.
    """
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 1 or counts.size == 0 or np.any(counts <= 0):
        raise ValueError("counts must be a non-empty 1-D array of positive counts")
    sample = _check_float(sample, "sample", 0.0, 1.0)
    if sample == 0.0:
        return np.ones_like(counts)
    f = counts / counts.sum()
    return np.minimum(1.0, (np.sqrt(f / sample) + 1.0) * sample / f)


def noise_distribution(counts: np.ndarray, ns_exponent: float = 0.75) -> np.ndarray:
    """The distribution of noise words: unigram counts raised to ``ns_exponent``, normalised.

    Chapter 19: Word embeddings.  :math:`P_n(w) \\propto c_w^{3/4}` by default
    (Mikolov et al. 2013): rare words are drawn more often than their share.
    """
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 1 or counts.size == 0 or np.any(counts <= 0):
        raise ValueError("counts must be a non-empty 1-D array of positive counts")
    ns_exponent = _check_float(ns_exponent, "ns_exponent", -np.inf)
    p = counts ** ns_exponent
    return p / p.sum()


def alias_table(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Walker's alias table of a discrete distribution (Vose's construction).

    Chapter 19: Word embeddings.  Column ``i`` of ``n`` holds probability mass
    ``prob[i] / n`` of outcome ``i`` and ``(1 - prob[i]) / n`` of outcome ``alias[i]``;
    every column holds ``1 / n``, so a draw is one uniform column and one coin.

    Returns
    -------
    prob : ndarray of float64, shape (n,)
    alias : ndarray of int64, shape (n,)
    """
    p = np.asarray(p, dtype=np.float64)
    if p.ndim != 1 or p.size == 0 or np.any(p < 0) or not np.isclose(p.sum(), 1.0):
        raise ValueError("p must be a non-empty 1-D array of non-negative probabilities summing to 1")
    n = p.size
    scaled = p * n
    prob = np.ones(n)
    alias = np.arange(n, dtype=np.int64)
    small = [i for i in range(n) if scaled[i] < 1.0]
    large = [i for i in range(n) if scaled[i] >= 1.0]
    while small and large:
        s, g = small.pop(), large.pop()
        prob[s], alias[s] = scaled[s], g
        scaled[g] -= 1.0 - scaled[s]
        (small if scaled[g] < 1.0 else large).append(g)
    # whatever is left holds (up to rounding) exactly one column: keep it whole
    return prob, alias


class WordVectors:
    """Word vectors with queries by cosine similarity.

    Chapter 19: Word embeddings.

    Parameters
    ----------
    words : sequence of str, length V
    vectors : ndarray, shape (V, d)
    """

    def __init__(self, words: Sequence[str], vectors: np.ndarray):
        vectors = np.asarray(vectors)
        if vectors.ndim != 2 or vectors.shape[0] != len(words):
            raise ValueError(f"vectors must have shape (len(words), d) = ({len(words)}, d); got {vectors.shape}")
        self.words = list(words)
        self.index = {w: i for i, w in enumerate(self.words)}
        if len(self.index) != len(self.words):
            raise ValueError("words contains duplicates")
        self.vectors = vectors
        norms = np.linalg.norm(vectors.astype(np.float64), axis=1, keepdims=True)
        self.unit = vectors / np.where(norms == 0, 1.0, norms)      # (V, d), rows of length 1

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return word in self.index

    def _row(self, word: str) -> int:
        if not isinstance(word, str):
            raise TypeError(f"a word must be a str; got {type(word).__name__}")
        if word not in self.index:
            raise KeyError(f"word {word!r} is not in the vocabulary ({len(self.words)} words)")
        return self.index[word]

    def __getitem__(self, word: str) -> np.ndarray:
        return self.vectors[self._row(word)]

    def similarity(self, word1: str, word2: str) -> float:
        """Cosine similarity of two words' vectors."""
        return float(self.unit[self._row(word1)] @ self.unit[self._row(word2)])

    def most_similar(self, positive: str | Sequence[str] = (), negative: str | Sequence[str] = (),
                     topn: int = 10) -> list[tuple[str, float]]:
        """The ``topn`` words closest to the sum of the unit vectors of ``positive`` minus those of ``negative``.

        Chapter 19: Word embeddings.  With one positive word this lists its nearest
        neighbours; with ``positive=[b, c], negative=[a]`` it answers the analogy
        "a is to b as c is to ?" by 3CosAdd,
        :math:`\\arg\\max_x \\cos(x, \\hat b - \\hat a + \\hat c)`.  The query words are excluded.
        """
        positive = [positive] if isinstance(positive, str) else list(positive)
        negative = [negative] if isinstance(negative, str) else list(negative)
        if not positive and not negative:
            raise ValueError("most_similar needs at least one word in positive or negative")
        topn = _check_int(topn, "topn", 1)
        rows = [self._row(w) for w in positive + negative]
        query = self.unit[rows[:len(positive)]].sum(axis=0) - self.unit[rows[len(positive):]].sum(axis=0)
        norm = np.linalg.norm(query)
        scores = self.unit @ (query / norm if norm > 0 else query)
        scores[rows] = -np.inf
        best = np.argsort(-scores, kind="stable")[:min(topn, len(self.words) - len(set(rows)))]
        return [(self.words[i], float(scores[i])) for i in best]

    def evaluate_word_pairs(self, pairs: Iterable[tuple[str, str, float]]) -> tuple[float, int]:
        """Spearman correlation between cosine similarities and human scores, on the covered pairs.

        Chapter 19: Word embeddings.

        Returns
        -------
        rho : float
            Spearman's rank correlation over the pairs whose two words are in the vocabulary.
        covered : int
            How many pairs that was.
        """
        from scipy.stats import spearmanr

        ours, human = [], []
        for w1, w2, score in pairs:
            if w1 in self.index and w2 in self.index:
                ours.append(self.similarity(w1, w2))
                human.append(float(score))
        if len(ours) < 3:
            raise ValueError(f"only {len(ours)} pairs have both words in the vocabulary; need at least 3")
        return float(spearmanr(ours, human).statistic), len(ours)

    def evaluate_analogies(self, questions: Iterable[tuple[str, str, str, str]]) -> tuple[float, int]:
        """Accuracy of 3CosAdd on analogy questions ``(a, b, c, d)`` ("a is to b as c is to d").

        Chapter 19: Word embeddings.  Only questions whose four words are in the
        vocabulary count; the answer is the word closest to
        :math:`\\hat b - \\hat a + \\hat c` other than ``a``, ``b``, ``c``.

        Returns
        -------
        accuracy : float
            Fraction of covered questions answered with ``d`` (nan if none is covered).
        covered : int
        """
        rows = np.array([[self.index[w] for w in q] for q in questions
                         if all(w in self.index for w in q)], dtype=np.int64).reshape(-1, 4)
        if len(rows) == 0:
            return float("nan"), 0
        correct = 0
        for chunk in np.array_split(rows, max(1, len(rows) // 256)):
            a, b, c, d = chunk.T
            query = self.unit[b] - self.unit[a] + self.unit[c]             # (Q, dim)
            scores = query @ self.unit.T                                      # (Q, V)
            q = np.arange(len(chunk))
            scores[q, a] = scores[q, b] = scores[q, c] = -np.inf
            correct += int(np.sum(np.argmax(scores, axis=1) == d))
        return correct / len(rows), len(rows)


class Word2Vec:
    """Skip-gram with negative sampling, trained as in word2vec.c (Mikolov et al. 2013).

    Chapter 19: Word embeddings.  For every occurrence of a word, every word
    within a random window ``b ~ U{1..window}`` around it forms a pair; the
    pair's loss :math:`-\\log\\sigma(u_c^\\top v_w) - \\sum_{j=1}^{k}\\log\\sigma(-u_{n_j}^\\top v_w)`
    with ``k = negative`` noise words takes one SGD step.

    Parameters
    ----------
    vector_size : int
        Dimension ``d`` of the vectors.
    window : int
        Largest distance between a word and its context words (>= 1).
    min_count : int
        Words seen fewer times are dropped before training.
    sample : float
        Subsampling threshold ``t`` (see :func:`keep_probabilities`); 0 disables it.
    negative : int
        Noise words per pair (>= 1).
    ns_exponent : float
        Exponent of the noise distribution (:func:`noise_distribution`).
    alpha, min_alpha : float
        Initial and final learning rate (linear decay over all epochs).
    epochs : int
        Passes over the corpus.
    seed : int
        Seeds the initial vectors and the generator of the training loop.
    dtype : numpy dtype
        float32 (default) or float64.
    compute_loss : bool
        Track the mean pair loss of each epoch in ``loss_history`` (costs about a
        third more time); zeros when off, as gensim's default.

    Attributes
    ----------
    vocab : Vocabulary
    wv : WordVectors
        The input vectors ``W_in``, the word vectors in the usual sense.
    W_in, W_out : ndarray, shape (V, d)
    loss_history : ndarray, shape (epochs,)
        Mean pair loss of each epoch, measured before each step (zeros unless ``compute_loss``).
    pairs_per_epoch : ndarray of int64, shape (epochs,)
    """

    def __init__(self, vector_size: int = 100, window: int = 5, min_count: int = 5, sample: float = 1e-3,
                 negative: int = 5, ns_exponent: float = 0.75, alpha: float = 0.025,
                 min_alpha: float = 1e-4, epochs: int = 5, seed: int = 1, dtype=np.float32,
                 compute_loss: bool = False):
        self.vector_size = _check_int(vector_size, "vector_size", 1)
        self.window = _check_int(window, "window", 1)
        self.min_count = _check_int(min_count, "min_count", 1)
        self.sample = _check_float(sample, "sample", 0.0, 1.0)
        self.negative = _check_int(negative, "negative", 1)
        self.ns_exponent = _check_float(ns_exponent, "ns_exponent", -np.inf)
        self.alpha = _check_float(alpha, "alpha", 0.0, low_open=True)
        self.min_alpha = _check_float(min_alpha, "min_alpha", 0.0, self.alpha)
        self.epochs = _check_int(epochs, "epochs", 1)
        self.seed = _check_int(seed, "seed", 0)
        if np.dtype(dtype) not in (np.float32, np.float64):
            raise TypeError(f"dtype must be float32 or float64; got {np.dtype(dtype)}")
        self.dtype = np.dtype(dtype)
        if not isinstance(compute_loss, (bool, np.bool_)):
            raise TypeError(f"compute_loss must be a bool; got {type(compute_loss).__name__}")
        self.compute_loss = bool(compute_loss)

    def fit(self, sentences: Iterable[Sequence[str]]) -> Word2Vec:
        """Build the vocabulary of ``sentences`` (lists of tokens) and train the vectors; returns ``self``.

        Chapter 19: Word embeddings.
        """
        sentences = _check_sentences(sentences)                 # a list: a generator would be used up
        vocab = Vocabulary(sentences, self.min_count)          # validates; nothing changes on error
        tokens, starts = vocab.encode(sentences)
        keep = keep_probabilities(vocab.counts, self.sample)
        prob, alias = alias_table(noise_distribution(vocab.counts, self.ns_exponent))
        rng = np.random.default_rng(self.seed)
        V, d = len(vocab), self.vector_size
        W_in = ((rng.random((V, d)) - 0.5) / d).astype(self.dtype)   # U(-0.5/d, 0.5/d), as word2vec.c
        W_out = np.zeros((V, d), dtype=self.dtype)
        losses, pairs = _sgns_train_kernel(tokens, starts, keep, prob, alias, W_in, W_out, self.window,
                                         self.negative, self.alpha, self.min_alpha, self.epochs, self.seed,
                                         self.compute_loss)
        self.vocab, self.W_in, self.W_out = vocab, W_in, W_out
        self.loss_history, self.pairs_per_epoch = losses, pairs
        self.wv = WordVectors(vocab.words, W_in)
        return self
