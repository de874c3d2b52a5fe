"""The book's execution cache is keyed on the mlcore sources a chapter imports.

jupyter-cache alone hashes only a notebook's code cells; book/_ext/mlcore_cache.py
adds a hash of the imported mlcore files to the first code cell's metadata.
These tests check the dependency analysis and, with a real jupyter-cache, that
an edit to a used mlcore file invalidates the cached chapter while an edit to an
unused one (or to nothing) does not.
"""

from __future__ import annotations

import inspect
import os
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import mlcore_cache  # noqa: E402


@pytest.fixture
def fake_repo(tmp_path: Path) -> Path:
    """A tiny mlcore: a package importing a, a importing b (relatively), c unused."""
    pkg = tmp_path / "mlcore"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from . import b\nimport numpy as np\nA = 1\n")
    (pkg / "b.py").write_text("B = 2\n")
    (pkg / "c.py").write_text("C = 3\n")
    (pkg / "sub" / "__init__.py").write_text("from mlcore.sub.d import D\n")
    (pkg / "sub" / "d.py").write_text("from ..b import B\nD = 4\n")
    return tmp_path


def notebook(*sources: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# A chapter")]
    nb.cells += [nbformat.v4.new_code_cell(s) for s in sources]
    return nb


def names(files, root):
    return sorted(p.relative_to(root).as_posix() for p in files)


def test_imported_modules_finds_mlcore_imports_only():
    src = "import numpy as np\nimport mlcore as mc\nfrom mlcore.nn import Linear\n%matplotlib inline\n"
    assert mlcore_cache.imported_modules(src) == {"mlcore", "mlcore.nn", "mlcore.nn.Linear"}
    assert mlcore_cache.imported_modules("import numpy") == set()
    assert mlcore_cache.imported_modules("this is not python(") == set()


def test_closure_follows_absolute_and_relative_imports(fake_repo):
    files = mlcore_cache.source_closure({"mlcore.a"}, fake_repo)
    assert names(files, fake_repo) == ["mlcore/__init__.py", "mlcore/a.py", "mlcore/b.py"]
    files = mlcore_cache.source_closure({"mlcore.sub"}, fake_repo)
    assert names(files, fake_repo) == [
        "mlcore/__init__.py", "mlcore/b.py", "mlcore/sub/__init__.py", "mlcore/sub/d.py"]


def test_hash_changes_only_with_files_the_chapter_uses(fake_repo):
    cells = ["from mlcore import a"]
    before = mlcore_cache.dependency_hash(cells, fake_repo)
    (fake_repo / "mlcore" / "c.py").write_text("C = 30\n")  # unused
    assert mlcore_cache.dependency_hash(cells, fake_repo) == before
    (fake_repo / "mlcore" / "b.py").write_text("B = 20\n")  # used through a
    assert mlcore_cache.dependency_hash(cells, fake_repo) != before
    assert mlcore_cache.dependency_hash(["import numpy"], fake_repo) is None


LAZY_INIT = """
from mlcore._lazy import attach

_SUBMODULES = ("a", "c", "sub")

_EXPORTS = {
    "mlcore.e": ("E",),
}

__getattr__, __dir__, __all__ = attach(__name__, _SUBMODULES, _EXPORTS)
"""


@pytest.fixture
def lazy_repo(fake_repo: Path) -> Path:
    """The tiny mlcore, now loading a, c, sub and e.E on first use as the real one does."""
    pkg = fake_repo / "mlcore"
    (pkg / "__init__.py").write_text(LAZY_INIT)
    (pkg / "_lazy.py").write_text("def attach(*args):\n    pass\n")
    (pkg / "e.py").write_text("E = 5\n")
    return fake_repo


def closure(cells, root):
    return names(mlcore_cache.source_closure(mlcore_cache.referenced_modules(cells), root), root)


BASE = ["mlcore/__init__.py", "mlcore/_lazy.py"]


def test_lazy_table_is_read_without_importing(lazy_repo):
    table = mlcore_cache.lazy_table(lazy_repo / "mlcore" / "__init__.py", "mlcore")
    assert table == {"a": "mlcore.a", "c": "mlcore.c", "sub": "mlcore.sub", "E": "mlcore.e"}
    assert mlcore_cache.lazy_table(lazy_repo / "mlcore" / "sub" / "__init__.py", "mlcore.sub") is None
    (lazy_repo / "mlcore" / "__init__.py").write_text(LAZY_INIT.replace('("a", "c", "sub")', 'tuple(["a", "c", "sub"])'))
    with pytest.raises(ValueError, match="literal"):
        mlcore_cache.lazy_table(lazy_repo / "mlcore" / "__init__.py", "mlcore")


def test_lazy_package_keys_only_the_parts_a_chapter_uses(lazy_repo):
    assert closure(["import mlcore"], lazy_repo) == BASE
    # an attribute of the package, used in a later cell than the import
    assert closure(["import mlcore as mc", "print(mc.a.A)"], lazy_repo) == sorted(
        BASE + ["mlcore/a.py", "mlcore/b.py"])
    assert closure(["import mlcore\nmlcore.c.C"], lazy_repo) == sorted(BASE + ["mlcore/c.py"])
    # an exported object resolves to the module that defines it
    assert closure(["from mlcore import E"], lazy_repo) == sorted(BASE + ["mlcore/e.py"])
    assert closure(["import mlcore as mc\nx = mc.E + 1"], lazy_repo) == sorted(BASE + ["mlcore/e.py"])
    # importing a submodule explicitly still works as before
    assert closure(["from mlcore.sub import D"], lazy_repo) == sorted(
        BASE + ["mlcore/b.py", "mlcore/sub/__init__.py", "mlcore/sub/d.py"])


@pytest.mark.parametrize("cells", [
    ["import mlcore as mc", "getattr(mc, 'c')"],          # the package escapes: anything may be used
    ["import mlcore", "m = mlcore", "m.c"],
    ["from mlcore import *"],
    ["import importlib", "importlib.import_module('mlcore.c')"],
])
def test_uses_the_analysis_cannot_follow_count_everything_they_might_reach(lazy_repo, cells):
    assert "mlcore/c.py" in closure(cells, lazy_repo)


def test_unused_lazy_parts_do_not_change_the_key(lazy_repo):
    cells = ["import mlcore as mc", "mc.E"]
    before = mlcore_cache.dependency_hash(cells, lazy_repo)
    (lazy_repo / "mlcore" / "c.py").write_text("C = 30\n")
    assert mlcore_cache.dependency_hash(cells, lazy_repo) == before
    (lazy_repo / "mlcore" / "e.py").write_text("E = 50\n")
    assert mlcore_cache.dependency_hash(cells, lazy_repo) != before


def test_the_real_lazy_tables_match_what_the_packages_load():
    """The cache reads mlcore's tables statically; they must name the modules Python really imports."""
    import importlib

    for package in ("mlcore", "mlcore.nn"):
        init = ROOT.joinpath(*package.split("."), "__init__.py")
        table = mlcore_cache.lazy_table(init, package)
        module = importlib.import_module(package)
        assert set(table) == set(module.__all__)
        assert set(table) <= set(dir(module))  # dir() lists what is not loaded yet
        for name, origin in table.items():
            value = getattr(module, name)
            where = value.__name__ if inspect.ismodule(value) else value.__module__
            assert where == origin, f"{package}.{name} comes from {where}, the table says {origin}"


SNIPPETS = [
    "import mlcore",
    "import mlcore as mc\nmc.Tensor([1.0, 2.0]).sum()",
    "from mlcore import nn\nnn.Linear(2, 3)",
    "import mlcore\nmlcore.nn.Conv2d(1, 2, 3)",
    "from mlcore import viz\nviz.use_book_style()",
    "from mlcore.gradcheck import numerical_gradient\nimport mlcore\nassert callable(mlcore.gradcheck)",
]


@pytest.mark.parametrize("snippet", SNIPPETS)
def test_the_key_covers_every_mlcore_module_a_snippet_loads(snippet):
    """Run the snippet in a fresh interpreter: every mlcore module it loaded is in its key."""
    import subprocess

    code = snippet + "\nimport sys\nprint(' '.join(m for m in sys.modules if m == 'mlcore' or m.startswith('mlcore.')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                            env={**os.environ, "MPLBACKEND": "Agg"}, timeout=120)
    assert result.returncode == 0, result.stderr
    loaded = set(result.stdout.split())
    key = {".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
           for p in mlcore_cache.source_closure(mlcore_cache.referenced_modules([snippet]))}
    assert loaded <= key, f"loaded but not in the key: {sorted(loaded - key)}"


def test_import_mlcore_alone_loads_nothing_else():
    import subprocess

    code = "import sys, mlcore\nprint(sorted(m for m in sys.modules if m.startswith(('mlcore', 'numba', 'scipy', 'matplotlib'))))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.stdout.strip() == "['mlcore', 'mlcore._lazy']", result.stdout + result.stderr


def test_chapter_without_mlcore_is_not_stamped(fake_repo):
    nb = mlcore_cache.stamp_notebook(notebook("import numpy as np", "x = 1"), fake_repo)
    assert all(mlcore_cache.METADATA_KEY not in c.metadata for c in nb.cells)


def test_jupyter_cache_misses_after_an_edit_to_a_used_file(fake_repo, tmp_path):
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    cache = get_cache(tmp_path / "cache")
    source = tmp_path / "chapter.ipynb"

    def stamped():
        return mlcore_cache.stamp_notebook(notebook("from mlcore import a", "print(a.A)"), fake_repo)

    executed = stamped()
    for i, cell in enumerate(c for c in executed.cells if c.cell_type == "code"):
        cell.execution_count = i + 1
    nbformat.write(executed, source)
    cache.cache_notebook_bundle(CacheBundleIn(executed, str(source)), check_validity=True)

    assert cache.match_cache_notebook(stamped()) is not None  # nothing changed: hit
    (fake_repo / "mlcore" / "c.py").write_text("C = 99\n")
    assert cache.match_cache_notebook(stamped()) is not None  # unused file: still a hit
    (fake_repo / "mlcore" / "b.py").write_text("B = 99\n")
    with pytest.raises(KeyError):
        cache.match_cache_notebook(stamped())  # used file changed: miss, so it re-executes


def test_myst_nb_reads_chapters_through_the_stamping_hook():
    from myst_nb.core import read
    from myst_nb.core.config import NbParserConfig
    from myst_parser.config.main import MdParserConfig

    mlcore_cache._install_reader_hook()
    chapter = next((ROOT / "chapters").glob("07_*.md"))
    text = chapter.read_text(encoding="utf8")
    reader = read.create_nb_reader(str(chapter), MdParserConfig(), NbParserConfig(), text)
    nb = reader.read(text)
    first = next(c for c in nb.cells if c.cell_type == "code")
    expected = mlcore_cache.dependency_hash(c.source for c in nb.cells if c.cell_type == "code")
    assert expected is not None
    assert first.metadata[mlcore_cache.METADATA_KEY] == expected


def _header() -> str:
    return ("---\njupytext:\n  text_representation:\n    extension: .md\n    format_name: myst\n"
            "kernelspec:\n  display_name: Python 3\n  language: python\n  name: python3\n---\n")


def test_book_build_reexecutes_only_chapters_that_use_a_changed_file(tmp_path):
    """End to end with Jupyter Book: edit mlcore, rebuild, see which chapters execute."""
    import subprocess

    import yaml

    book = tmp_path / "book"
    pkg = book / "mlcore"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "ops.py").write_text("X = 1\n")
    (pkg / "unused.py").write_text("Y = 1\n")
    (book / "uses_ops.md").write_text(_header() + "# Uses ops\n\n```{code-cell} python3\nimport mlcore.ops\n```\n")
    (book / "plain.md").write_text(_header() + "# Plain\n\n```{code-cell} python3\nx = 1\n```\n")
    (book / "intro.md").write_text("# Intro\n")
    (book / "_toc.yml").write_text(yaml.safe_dump(
        {"format": "jb-book", "root": "intro", "chapters": [{"file": "uses_ops"}, {"file": "plain"}]}))
    (book / "_config.yml").write_text(yaml.safe_dump({
        "title": "t", "only_build_toc_files": True,
        "execute": {"execute_notebooks": "cache", "cache": str(book / "_build" / ".jupyter_cache")},
        "sphinx": {"local_extensions": {"mlcore_cache": str(ROOT / "book" / "_ext")},
                   "config": {"mlcore_cache_root": str(book)}},
    }))
    jb = Path(sys.executable).with_name("jupyter-book")

    def build() -> dict[str, str]:
        result = subprocess.run([str(jb), "build", str(book), "-W", "-v"], capture_output=True,
                                text=True, timeout=300)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        status = {}
        for line in result.stdout.splitlines():
            for name in ("uses_ops", "plain"):
                if f"{name}.md" in line and "Executed notebook" in line:
                    status[name] = "executed"
                elif f"{name}.md" in line and "Using cached notebook" in line:
                    status[name] = "cached"
        return status

    assert build() == {"uses_ops": "executed", "plain": "executed"}
    (pkg / "unused.py").write_text("Y = 2\n")
    assert build() == {}  # nothing it depends on changed: no chapter is even re-read
    (pkg / "ops.py").write_text("X = 2\n")
    assert build() == {"uses_ops": "executed"}  # re-read and re-executed; plain untouched
    (pkg / "ops.py").write_text("X = 1\n")  # back to the first version: its outputs are cached
    assert build() == {"uses_ops": "cached"}
