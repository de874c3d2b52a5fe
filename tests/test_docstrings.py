"""Every public function and class of mlcore has a docstring that names its chapter.

The API reference (book/api.md) is generated from these docstrings; naming
the chapter that derives an object lets a reader go from the reference to the
derivation.  A name is public when it is in the module's ``__all__`` (or, for
a module without one, when it does not start with an underscore and is
defined in that module).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path

import pytest

# The modules documented in book/api.md.
MODULES = [
    "mlcore.tensor",
    "mlcore.ops",
    "mlcore.functional",
    "mlcore.gradcheck",
    "mlcore.nn.module",
    "mlcore.nn.layers",
    "mlcore.nn.normalization",
    "mlcore.nn.recurrent",
    "mlcore.nn.recurrent_reference",
    "mlcore.attention",
    "mlcore.nn.attention",
    "mlcore.nn.init",
    "mlcore.optim",
    "mlcore.data",
    "mlcore.train",
    "mlcore.io",
    "mlcore.viz",
    "mlcore.classic",
    "mlcore.optimize",
    "mlcore.conv",
    "mlcore.conv_reference",
    "mlcore.kernels",
    "mlcore.nn.conv",
    "mlcore.data_images",
    "mlcore.word2vec",
    "mlcore.word2vec_reference",
    "mlcore.word2vec_kernels",
    "mlcore.data_text",
    "mlcore.metric",
    "mlcore.data_glyphs",
    "mlcore.rl",
    "mlcore.generative",
    "mlcore.rl.returns",
    "mlcore.rl.replay",
    "mlcore.rl.schedules",
    "mlcore.rl.networks",
    "mlcore.rl.evaluation",
    "mlcore.rl.history",
    "mlcore.rl.reinforce",
    "mlcore.rl.dqn",
]

CHAPTER = re.compile(r"\b[Cc]hapters? \d+")


def public_objects(module_name: str) -> list[tuple[str, object]]:
    """The public functions and classes of a module, by the rule in the module docstring."""
    module = importlib.import_module(module_name)
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n, obj in vars(module).items()
                 if not n.startswith("_") and getattr(obj, "__module__", None) == module_name]
    found = []
    for name in names:
        obj = getattr(module, name)
        if inspect.isclass(obj) or inspect.isfunction(obj) or inspect.isbuiltin(obj) or callable(obj):
            if inspect.ismodule(obj):
                continue
            found.append((f"{module_name}.{name}", obj))
    return found


CASES = [case for module in MODULES for case in public_objects(module)]


def test_the_modules_have_public_objects():
    assert len(CASES) > 100


@pytest.mark.parametrize("name,obj", CASES, ids=[c[0] for c in CASES])
def test_docstring_names_its_chapter(name, obj):
    doc = inspect.getdoc(obj) if not isinstance(obj, type) else obj.__dict__.get("__doc__")
    assert doc and doc.strip(), f"{name} has no docstring"
    assert CHAPTER.search(doc), f"{name}'s docstring does not name a chapter ('Chapter N'): {doc[:120]!r}"


def test_the_check_is_not_vacuous():
    def undocumented():
        pass

    def documented():
        """Derived in chapter 7."""

    assert not CHAPTER.search(inspect.getdoc(undocumented) or "")
    assert CHAPTER.search(inspect.getdoc(documented))


# ---------------------------------------------------------------------------
# Every chapter a docstring names exists, under the title the docstring gives
# ---------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]


def chapter_titles(folder: Path = ROOT / "chapters") -> dict[int, str]:
    """Chapter number -> title (the first ``# `` heading) of ``chapters/NN_*.md``."""
    titles = {}
    for path in sorted(folder.glob("[0-9][0-9]_*.md")):
        heading = next((ln[2:].strip() for ln in path.read_text(encoding="utf8").splitlines()
                        if ln.startswith("# ")), None)
        titles[int(path.name[:2])] = heading
    return titles


# "Chapter 9", "chapter 9: Title", "chapter 9 (Title)", 'chapter 9 ("Title")',
# "chapters 2 to 4", "chapters 5, 6, 8", "chapters 1-14".
MENTION = re.compile(
    r"\b[Cc]hapters?\s+(?P<numbers>\d+(?:\s*(?:,|-|–|to|and)\s*\d+)*)"
    r"(?:(?P<colon>:\s+)|(?P<paren>\s+\(\"?(?=[A-Z\"])))?")
# Where a title written after "Chapter N: " may end, when it is shortened.
TITLE_END = re.compile(r"[.;:()\"`]|\s--\s|$")


def _norm(text: str) -> str:
    return " ".join(text.split()).lower()


def title_problem(number: int, text_after: str, titles: dict[int, str]) -> str | None:
    """Why ``text_after`` (what follows "Chapter N: ") does not give chapter N's title, or None.

    It may give the whole title and go on ("Chapter 8: Losses and the training
    loop writes ...") or a shortened one, cut at a word boundary and ended by
    punctuation ("Chapter 4: Non-linear regression." for "Non-linear
    regression and universal approximation").
    """
    title, text = _norm(titles[number]), _norm(text_after)
    if text.startswith(title) and (len(text) == len(title) or not text[len(title)].isalnum()):
        return None
    short = TITLE_END.split(text, maxsplit=1)[0].strip()
    if short and title.startswith(short) and (len(short) == len(title) or not title[len(short)].isalnum()):
        return None
    return f"names chapter {number} as {text_after[:60]!r}, but its title is {titles[number]!r}"


def chapter_mentions(docstring: str) -> list[tuple[list[int], str | None]]:
    """Each mention of a chapter in ``docstring``: its numbers, and the text giving its title if any."""
    found = []
    for m in MENTION.finditer(docstring):
        numbers = [int(n) for n in re.findall(r"\d+", m["numbers"])]
        if re.search(r"-|–|to", m["numbers"]):  # a range names every chapter in between
            numbers = list(range(numbers[0], numbers[-1] + 1))
        title = docstring[m.end():] if (m["colon"] or m["paren"]) and len(numbers) == 1 else None
        if m["paren"] and title is not None:
            title = title.split(")")[0]
        found.append((numbers, title))
    return found


def docstrings(folder: Path = ROOT / "mlcore"):
    """(file:line, docstring) of every module, class and function docstring under ``folder``."""
    for path in sorted(folder.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                doc = ast.get_docstring(node, clean=False)
                if doc:
                    line = node.body[0].lineno if node.body else 1
                    yield f"{path.relative_to(ROOT).as_posix()}:{line}", doc


TITLES = chapter_titles()
MENTIONS = [(where, numbers, title) for where, doc in docstrings() for numbers, title in chapter_mentions(doc)]


def test_docstrings_mention_chapters():
    assert len(MENTIONS) > 200
    assert sum(title is not None for _, _, title in MENTIONS) > 100


@pytest.mark.parametrize("where,numbers,title", MENTIONS, ids=[f"{w}:ch{n}" for w, n, _ in MENTIONS])
def test_every_named_chapter_exists_under_that_title(where, numbers, title):
    missing = [n for n in numbers if n not in TITLES]
    assert not missing, f"{where}: names chapter(s) {missing}, but chapters/ has no such file"
    if title is not None:
        problem = title_problem(numbers[0], title, TITLES)
        assert problem is None, f"{where}: {problem}"


def test_the_chapter_check_catches_wrong_pointers():
    titles = {4: "Non-linear regression and universal approximation", 8: "Losses and the training loop",
              9: "Gradient-descent optimisers"}
    mentions = chapter_mentions("Chapter 9: Gradient-descent optimisers.  See chapters 4 to 8, "
                                'chapter 8 ("Losses and the training loop") and Chapter 19.')
    assert mentions == [([9], "Gradient-descent optimisers.  See chapters 4 to 8, chapter 8 (\"Losses and the "
                               "training loop\") and Chapter 19."),
                        ([4, 5, 6, 7, 8], None), ([8], "Losses and the training loop\""), ([19], None)]
    ok = [(9, "Gradient-descent optimisers."), (8, "Losses and the training loop writes this loop;"),
          (4, "Non-linear regression (:mod:`x`)."), (4, "Non-linear\n    regression and universal approximation")]
    for number, text in ok:
        assert title_problem(number, text, titles) is None, text
    wrong = [(9, "Global and local optimisation."), (4, "Non-linear regr."), (8, "Losses and the training"
             "loops"), (4, "Universal approximation")]
    for number, text in wrong:
        assert title_problem(number, text, titles) is not None, text
