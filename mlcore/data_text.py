"""Text data for word embeddings: the small corpora and benchmarks that ship with gensim, and a generated corpus.

Chapter 19: Word embeddings.  Nothing is downloaded.  gensim's test suite
ships, inside the installed package, a few small public data sets that we read
directly from disk (the files are found without importing gensim):

* the Lee background corpus: 300 Australian news articles, about 60,000 words
  (Lee, Pincombe and Welsh 2005);
* WordSim-353 (Finkelstein et al. 2002) and SimLex-999 (Hill et al. 2015): word
  pairs with mean human similarity scores;
* the Google analogy questions (Mikolov et al. 2013), ``a b c d`` meaning "a is
  to b as c is to d", in 14 sections.

:func:`make_analogy_corpus` writes sentences from a small grammar in which
countries and their capitals, and male and female words, differ by planted,
consistent factors, so analogies are measurable on a corpus of a few tens of
thousands of words.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from mlcore._random import check_rng
from mlcore.word2vec import tokenize

__all__ = [
    "gensim_test_data", "lee_corpus", "word_similarity_pairs", "analogy_questions",
    "COUNTRIES", "FAMILY", "make_analogy_corpus",
]


def gensim_test_data(name: str) -> Path:
    """Path of a file in gensim's bundled test data (``gensim/test/test_data/<name>``).

    Chapter 19: Word embeddings.

    Raises
    ------
    ModuleNotFoundError
        If gensim is not installed (``pip install gensim``).
    FileNotFoundError
        If the installed gensim does not ship the file.
    """
    spec = importlib.util.find_spec("gensim")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("the text data sets ship with gensim: pip install 'gensim>=4.3'")
    path = Path(list(spec.submodule_search_locations)[0]) / "test" / "test_data" / name
    if not path.is_file():
        raise FileNotFoundError(f"{name!r} is not in this gensim's test data ({path.parent})")
    return path


def lee_corpus(which: str = "background") -> list[list[str]]:
    """The Lee corpus as one token list per article, lower-cased by :func:`~mlcore.word2vec.tokenize`.

    Chapter 19: Word embeddings.  ``which="background"``: the 300 articles of
    ``lee_background.cor`` (about 60,000 tokens); ``"test"``: the 50 of ``lee.cor``.
    """
    files = {"background": "lee_background.cor", "test": "lee.cor"}
    if which not in files:
        raise ValueError(f"which must be one of {sorted(files)}; got {which!r}")
    text = gensim_test_data(files[which]).read_text(encoding="utf-8", errors="replace")
    return [tokenize(line) for line in text.splitlines() if line.strip()]


def word_similarity_pairs(name: str = "wordsim353") -> list[tuple[str, str, float]]:
    """Word pairs with mean human similarity scores, lower-cased: ``[(word1, word2, score), ...]``.

    Chapter 19: Word embeddings.  ``name`` is ``"wordsim353"`` (353 pairs, scores 0-10,
    relatedness and similarity mixed) or ``"simlex999"`` (999 pairs, scores 0-10,
    similarity only).
    """
    files = {"wordsim353": "wordsim353.tsv", "simlex999": "simlex999.txt"}
    if name not in files:
        raise ValueError(f"name must be one of {sorted(files)}; got {name!r}")
    pairs = []
    for line in gensim_test_data(files[name]).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        w1, w2, score = line.split("\t")[:3]
        pairs.append((w1.lower(), w2.lower(), float(score)))
    return pairs


def analogy_questions() -> dict[str, list[tuple[str, str, str, str]]]:
    """The Google analogy questions by section, lower-cased: ``{section: [(a, b, c, d), ...]}``.

    Chapter 19: Word embeddings.  19,544 questions in 14 sections (five semantic,
    such as ``capital-common-countries`` and ``family``, nine syntactic, such as
    ``gram3-comparative``).
    """
    sections: dict[str, list[tuple[str, str, str, str]]] = {}
    current = None
    for line in gensim_test_data("questions-words.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith(":"):
            current = line[1:].strip()
            sections[current] = []
        elif line.strip() and current is not None:
            a, b, c, d = line.lower().split()
            sections[current].append((a, b, c, d))
    return sections


#: (capital, country, language) triples of the generated corpus.
COUNTRIES = (
    ("paris", "france", "french"), ("rome", "italy", "italian"), ("madrid", "spain", "spanish"),
    ("berlin", "germany", "german"), ("tokyo", "japan", "japanese"), ("cairo", "egypt", "arabic"),
    ("moscow", "russia", "russian"), ("athens", "greece", "greek"), ("beijing", "china", "chinese"),
    ("lisbon", "portugal", "portuguese"), ("warsaw", "poland", "polish"), ("stockholm", "sweden", "swedish"),
)

#: (male word, female word, role words) of the generated corpus.
FAMILY = (
    ("king", "queen", ("crown", "throne")), ("prince", "princess", ("castle", "knight")),
    ("man", "woman", ("office", "salary")), ("boy", "girl", ("school", "toys")),
    ("father", "mother", ("children", "household")), ("son", "daughter", ("parents", "inheritance")),
    ("brother", "sister", ("sibling", "twin")), ("uncle", "aunt", ("nephews", "cousins")),
)

_CITY = ("city", "mayor", "streets", "metro", "downtown")
_NATION = ("nation", "border", "president", "army", "territory")
_PRONOUNS = {"male": ("he", "his"), "female": ("she", "her")}
_VERBS = ("saw", "liked", "visited", "praised", "described", "remembered", "discussed")
_FILLER = ("today", "again", "often", "yesterday", "quietly", "recently")


def _place_sentence(rng: np.random.Generator, capital: str, country: str, language: str, is_capital: bool) -> str:
    """One sentence about a capital or a country: its kind (city or nation) and its language."""
    word = capital if is_capital else country
    kind = rng.choice(_CITY if is_capital else _NATION)
    verb, filler = rng.choice(_VERBS), rng.choice(_FILLER)
    templates = (
        f"in the {kind} of {word} people speak {language} {filler}",
        f"people {verb} {word} and its {kind} where they speak {language}",
        f"in {word} the {kind} uses {language} {filler}",
        f"we {verb} the {kind} of {word} {filler}",
    )
    return templates[rng.integers(len(templates))]


def _family_sentence(rng: np.random.Generator, word: str, gender: str, roles: tuple[str, ...]) -> str:
    """One sentence about a family word: its gender (pronouns) and its role words."""
    subject, possessive = _PRONOUNS[gender]
    role, verb, filler = rng.choice(roles), rng.choice(_VERBS), rng.choice(_FILLER)
    templates = (
        f"the {word} {verb} {possessive} {role} {filler}",
        f"{subject} is the {word} and {subject} {verb} the {role}",
        f"the {role} of the {word} was {possessive} own {filler}",
        f"{subject} {verb} the {word} {filler}",
    )
    return templates[rng.integers(len(templates))]


def make_analogy_corpus(n_sentences: int = 6000, rng: np.random.Generator | int | None = None,
                        ) -> tuple[list[list[str]], dict[str, list[tuple[str, str, str, str]]]]:
    """Sentences from a grammar with planted relations, and analogy questions that test them.

    Chapter 19: Word embeddings.  Each sentence is about one word of
    :data:`COUNTRIES` or :data:`FAMILY`, chosen uniformly.  A capital and its
    country share their language word but differ in their *kind* words (city
    words for capitals, nation words for countries); a male and a female word
    share their role words but differ in their pronouns.  A linear offset
    (capital to country, male to female) is therefore the same for every pair,
    which is what 3CosAdd needs.

    Parameters
    ----------
    n_sentences : int
        Number of sentences (>= 1).
    rng : Generator or int or None
        Random generator or seed.

    Returns
    -------
    sentences : list of list of str
    questions : dict
        ``"capital-country"``: ``(capital_i, country_i, capital_j, country_j)`` for every
        ordered pair ``i != j`` (132 questions); ``"family"``: ``(male_i, female_i, male_j, female_j)``
        (56 questions).
    """
    if isinstance(n_sentences, bool) or not isinstance(n_sentences, (int, np.integer)) or n_sentences < 1:
        raise ValueError(f"n_sentences must be a positive int; got {n_sentences!r}")
    rng = check_rng(rng)
    subjects = ([("place", i, flag) for i in range(len(COUNTRIES)) for flag in (True, False)]
                + [("family", i, g) for i in range(len(FAMILY)) for g in ("male", "female")])
    sentences = []
    for k in rng.integers(len(subjects), size=int(n_sentences)):
        group, i, which = subjects[k]
        if group == "place":
            sentences.append(_place_sentence(rng, *COUNTRIES[i], is_capital=which).split())
        else:
            male, female, roles = FAMILY[i]
            sentences.append(_family_sentence(rng, male if which == "male" else female, which, roles).split())
    n, m = len(COUNTRIES), len(FAMILY)
    questions = {
        "capital-country": [(COUNTRIES[i][0], COUNTRIES[i][1], COUNTRIES[j][0], COUNTRIES[j][1])
                            for i in range(n) for j in range(n) if i != j],
        "family": [(FAMILY[i][0], FAMILY[i][1], FAMILY[j][0], FAMILY[j][1])
                   for i in range(m) for j in range(m) if i != j],
    }
    return sentences, questions
