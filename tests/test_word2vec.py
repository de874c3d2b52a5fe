"""Skip-gram with negative sampling (chapter 19): reference against finite differences,
the Numba kernel against the reference, sampling tables, training, queries and errors."""

from __future__ import annotations

import numpy as np
import pytest

from mlcore.gradcheck import numerical_gradient, relative_error
from mlcore.word2vec import (Vocabulary, Word2Vec, WordVectors, alias_table, keep_probabilities,
                             noise_distribution, tokenize)
from mlcore.word2vec_kernels import _alias_draw as alias_draw, lcg_uniform, sgns_pair_update_numba
from mlcore.word2vec_reference import sgns_pair_grad, sgns_pair_loss, sgns_pair_update


def _vectors(seed=0, V=7, d=5):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((V, d)), rng.standard_normal((V, d))


def test_tokenize():
    assert tokenize("At 4:00pm, a South-West wind.") == ["at", "pm", "a", "south", "west", "wind"]
    assert tokenize("Zürich café") == ["zürich", "café"]
    with pytest.raises(TypeError, match="text"):
        tokenize(["a", "b"])


@pytest.mark.parametrize("negatives", [[3, 4, 5], [3, 3, 6], [2, 1, 4]])   # distinct; repeated; one equal to target
def test_pair_gradient_matches_finite_differences(negatives):
    W_in, W_out = _vectors()
    word, target, neg = 0, 2, np.array(negatives)
    grad_in, grad_out = sgns_pair_grad(W_in, W_out, word, target, neg)
    num_in = numerical_gradient(lambda w: sgns_pair_loss(w, W_out, word, target, neg), W_in)
    num_out = numerical_gradient(lambda w: sgns_pair_loss(W_in, w, word, target, neg), W_out)
    assert relative_error(grad_in, num_in) < 1e-6
    assert relative_error(grad_out, num_out) < 1e-6


def test_update_is_a_gradient_step_for_distinct_targets():
    W_in, W_out = _vectors(1)
    neg = np.array([3, 4, 5])
    grad_in, grad_out = sgns_pair_grad(W_in, W_out, 0, 2, neg)
    loss = sgns_pair_loss(W_in, W_out, 0, 2, neg)
    A, B = W_in.copy(), W_out.copy()
    assert sgns_pair_update(A, B, 0, 2, neg, lr=0.1) == pytest.approx(loss)
    np.testing.assert_allclose(A, W_in - 0.1 * grad_in, rtol=0, atol=1e-14)
    np.testing.assert_allclose(B, W_out - 0.1 * grad_out, rtol=0, atol=1e-14)


@pytest.mark.parametrize("negatives", [[3, 4, 5, 6], [3, 3, 6, 6], [2, 1, 2, 4]])
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 1e-5)])
def test_numba_pair_update_matches_reference(negatives, dtype, tol):
    W_in, W_out = _vectors(2)
    W_in, W_out = W_in.astype(dtype), W_out.astype(dtype)
    neg = np.array(negatives, dtype=np.int64)
    A, B = W_in.astype(np.float64), W_out.astype(np.float64)
    loss_ref = sgns_pair_update(A, B, 1, 2, neg, 0.05)
    C, D = W_in.copy(), W_out.copy()
    loss = sgns_pair_update_numba(C, D, 1, 2, neg, 0.05, np.empty(W_in.shape[1], dtype=dtype), True)
    assert loss == pytest.approx(loss_ref, rel=tol)
    np.testing.assert_allclose(C, A, rtol=0, atol=tol)
    np.testing.assert_allclose(D, B, rtol=0, atol=tol)
    assert not np.allclose(C, W_in) and not np.allclose(D, W_out)       # the step did something


def test_keep_probabilities_follow_word2vec_c():
    counts = np.array([5000, 800, 50, 3, 1])
    t = 1e-3
    total = counts.sum()
    # word2vec.c: ran = (sqrt(cn / (sample * train_words)) + 1) * (sample * train_words) / cn
    ran = (np.sqrt(counts / (t * total)) + 1) * (t * total) / counts
    np.testing.assert_allclose(keep_probabilities(counts, t), np.minimum(ran, 1.0))
    assert keep_probabilities(counts, t)[0] < 0.1 and keep_probabilities(counts, t)[-1] == 1.0
    np.testing.assert_array_equal(keep_probabilities(counts, 0.0), 1.0)
    with pytest.raises(ValueError, match="counts"):
        keep_probabilities([3, 0], t)


def test_alias_table_represents_the_distribution_exactly():
    p = noise_distribution(np.array([100, 30, 30, 7, 2, 1]))
    np.testing.assert_allclose(p, np.array([100, 30, 30, 7, 2, 1]) ** 0.75 / np.sum(np.array([100, 30, 30, 7, 2, 1]) ** 0.75))
    prob, alias = alias_table(p)
    n = len(p)
    implied = prob / n
    np.add.at(implied, alias, (1 - prob) / n)
    np.testing.assert_allclose(implied, p, atol=1e-12)


def test_alias_draw_frequencies():
    p = noise_distribution(np.array([50, 20, 5, 1]), 1.0)
    prob, alias = alias_table(p)
    state = np.uint64(12345)
    counts = np.zeros(4)
    n = 40000
    for _ in range(n):
        state, i = alias_draw(prob, alias, np.uint64(state))   # keep the state uint64 between calls
        counts[i] += 1
    se = np.sqrt(p * (1 - p) / n)
    assert np.all(np.abs(counts / n - p) < 5 * se)


def test_lcg_uniform_is_uniform():
    state = np.uint64(7)
    u = np.empty(20000)
    for i in range(len(u)):
        state, u[i] = lcg_uniform(np.uint64(state))
    assert 0 <= u.min() and u.max() < 1
    assert abs(u.mean() - 0.5) < 0.01 and abs(u.var() - 1 / 12) < 0.005


def test_dynamic_window_gives_window_plus_one_pairs_per_word():
    # one long sentence, no subsampling: an interior word has 2 * E[b] = window + 1 partners
    sentence = [[f"w{i % 10}" for i in range(20000)]]
    for window in (1, 3, 5):
        model = Word2Vec(vector_size=4, window=window, min_count=1, sample=0, epochs=2, seed=0).fit(sentence)
        per_word = model.pairs_per_epoch / 20000
        assert np.all(np.abs(per_word - (window + 1)) < 0.05), (window, per_word)


def test_vocabulary_sorts_and_filters():
    vocab = Vocabulary([["b", "a", "b", "c"], ["a", "b", "d"]], min_count=2)
    assert vocab.words == ["b", "a"] and list(vocab.counts) == [3, 2] and len(vocab) == 2
    tokens, starts = vocab.encode([["a", "x", "b"], [], ["b"]])
    assert list(tokens) == [1, 0, 0] and list(starts) == [0, 2, 2, 3]


def _corpus(seed=0, n=3000):
    from mlcore.data_text import make_analogy_corpus
    return make_analogy_corpus(n, rng=seed)


def test_same_seed_same_vectors_and_initialisation():
    sentences, _ = _corpus()
    a = Word2Vec(vector_size=10, min_count=1, epochs=1, seed=3).fit(sentences)
    b = Word2Vec(vector_size=10, min_count=1, epochs=1, seed=3).fit(sentences)
    c = Word2Vec(vector_size=10, min_count=1, epochs=1, seed=4).fit(sentences)
    np.testing.assert_array_equal(a.W_in, b.W_in)
    assert not np.allclose(a.W_in, c.W_in)
    assert a.W_in.dtype == np.float32
    # with a negligible learning rate the vectors stay at their initial values:
    # input vectors uniform in [-0.5/d, 0.5/d) from the seed, output vectors zero
    still = Word2Vec(vector_size=10, min_count=1, epochs=1, seed=3, alpha=1e-12, min_alpha=0.0,
                     dtype=np.float64).fit(sentences)
    rng = np.random.default_rng(3)
    np.testing.assert_allclose(still.W_in, (rng.random((len(still.vocab), 10)) - 0.5) / 10, rtol=0, atol=1e-9)
    np.testing.assert_allclose(still.W_out, 0.0, atol=1e-9)


def test_training_learns_planted_analogies_and_loss_falls():
    sentences, questions = _corpus(0)
    model = Word2Vec(vector_size=30, window=3, min_count=1, epochs=10, seed=0, compute_loss=True).fit(sentences)
    assert model.loss_history[-1] < 0.8 * model.loss_history[0]
    for section in ("capital-country", "family"):
        accuracy, covered = model.wv.evaluate_analogies(questions[section])
        assert covered == len(questions[section]) and accuracy > 0.8, (section, accuracy)
    assert model.wv.most_similar("paris", topn=1)[0][0] in {"rome", "madrid", "berlin", "tokyo", "cairo", "moscow",
                                                             "athens", "beijing", "lisbon", "warsaw", "stockholm"}


def test_word_vectors_queries_on_hand_made_vectors():
    words = ["a", "b", "c", "d", "e"]
    vectors = np.array([[1.0, 0, 0], [1.0, 1, 0], [0, 0, 1.0], [0, 1.0, 1.0], [-1.0, 0, 0]])
    wv = WordVectors(words, vectors)
    assert wv.similarity("a", "e") == pytest.approx(-1.0)
    assert wv.most_similar("a", topn=1)[0][0] == "b"
    assert wv.most_similar(positive=["b", "c"], negative=["a"], topn=1)[0][0] == "d"   # b - a + c = d
    assert wv.evaluate_analogies([("a", "b", "c", "d"), ("a", "b", "c", "zzz")]) == (1.0, 1)
    rho, n = wv.evaluate_word_pairs([("a", "b", 9.0), ("a", "c", 5.0), ("a", "e", 0.0), ("a", "q", 1.0)])
    assert rho == pytest.approx(1.0) and n == 3
    assert wv.evaluate_analogies([("q", "b", "c", "d")])[1] == 0


def test_clear_errors():
    sentences, _ = _corpus()
    with pytest.raises(ValueError, match="empty"):
        Word2Vec().fit([[], []])
    with pytest.raises(TypeError, match="single str"):
        Word2Vec().fit("the king and the queen")
    with pytest.raises(TypeError, match="sentences\\[0\\]"):
        Word2Vec().fit(["the king", "the queen"])
    with pytest.raises(ValueError, match="min_count=100000 leaves an empty vocabulary"):
        Word2Vec(min_count=100000).fit(sentences)
    for name, value in [("negative", 0), ("window", 0), ("vector_size", 0), ("epochs", 0), ("min_count", 0)]:
        with pytest.raises(ValueError, match=name):
            Word2Vec(**{name: value})
    with pytest.raises(TypeError, match="window"):
        Word2Vec(window=2.5)
    with pytest.raises(ValueError, match="alpha"):
        Word2Vec(alpha=0.0)
    with pytest.raises(ValueError, match="min_alpha"):
        Word2Vec(alpha=0.01, min_alpha=0.1)
    with pytest.raises(ValueError, match="sample"):
        Word2Vec(sample=-1e-3)
    with pytest.raises(TypeError, match="dtype"):
        Word2Vec(dtype=np.int64)
    model = Word2Vec(vector_size=8, min_count=1, epochs=1, seed=0).fit(sentences)
    with pytest.raises(KeyError, match="'atlantis' is not in the vocabulary"):
        model.wv.most_similar("atlantis")
    with pytest.raises(ValueError, match="at least one word"):
        model.wv.most_similar()
    # a call that fails changes nothing
    before = model.W_in.copy()
    with pytest.raises(ValueError):
        model.fit([[]])
    np.testing.assert_array_equal(model.W_in, before)
    with pytest.raises(ValueError, match="shape"):
        WordVectors(["a", "b"], np.zeros((3, 2)))


def test_generated_corpus_is_reproducible():
    a, qa = _corpus(5, 100)
    b, qb = _corpus(5, 100)
    assert a == b and qa == qb
    assert len(qa["capital-country"]) == 132 and len(qa["family"]) == 56
    with pytest.raises(ValueError, match="n_sentences"):
        _corpus(0, 0)


def test_bundled_text_data():
    pytest.importorskip("gensim")
    from mlcore import data_text as T
    lee = T.lee_corpus()
    assert len(lee) == 300 and 55000 < sum(map(len, lee)) < 65000
    assert len(T.word_similarity_pairs("wordsim353")) == 353
    assert len(T.word_similarity_pairs("simlex999")) == 999
    questions = T.analogy_questions()
    assert len(questions) == 14 and sum(map(len, questions.values())) == 19544
    assert questions["capital-common-countries"][0] == ("athens", "greece", "baghdad", "iraq")
    with pytest.raises(ValueError, match="which"):
        T.lee_corpus("train")
    with pytest.raises(FileNotFoundError):
        T.gensim_test_data("no_such_file.txt")


def _pair_args(V=5, d=3, dtype=np.float64):
    rng = np.random.default_rng(0)
    return dict(W_in=rng.normal(size=(V, d)).astype(dtype), W_out=rng.normal(size=(V, d)).astype(dtype),
                word=1, target=2, negatives=np.array([0, 3], dtype=np.int64), lr=0.1,
                work=np.empty(d, dtype=dtype))


@pytest.mark.parametrize("change, error, match", [
    (dict(word=5), ValueError, "word = 5 is outside"),
    (dict(target=-1), ValueError, "target = -1 is outside"),
    (dict(word=1.0), TypeError, "word must be an integer"),
    (dict(negatives=np.array([0, 7], dtype=np.int64)), ValueError, "negatives must lie in"),
    (dict(negatives=np.array([0, 1], dtype=np.int32)), TypeError, "negatives must be a 1-D int64"),
    (dict(W_out=np.zeros((4, 3))), ValueError, "same shape and dtype"),
    (dict(W_in=np.zeros((5, 3), dtype=np.int64)), TypeError, "W_in must be a 2-D float32 or float64"),
    (dict(work=np.empty(2)), ValueError, "work must be a writeable array of shape"),
    (dict(lr=float("nan")), ValueError, "lr must be finite"),
])
def test_pair_update_checks_its_arguments_and_changes_nothing(change, error, match):
    """The compiled loop has no bounds checks; the public function checks everything first."""
    args = {**_pair_args(), **change}
    before = (args["W_in"].copy(), args["W_out"].copy())
    with pytest.raises(error, match=match):
        sgns_pair_update_numba(**args)
    assert np.array_equal(args["W_in"], before[0]) and np.array_equal(args["W_out"], before[1])
