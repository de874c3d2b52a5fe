"""The book's execution cache is keyed on the mlcore sources a chapter imports.

jupyter-cache alone hashes only a notebook's code cells; book/_ext/mlcore_cache.py
adds a hash of the imported mlcore files to the first code cell's metadata.
These tests check the dependency analysis and, with a real jupyter-cache, that
an edit to a used mlcore file invalidates the cached chapter while an edit to an
unused one (or to nothing) does not.
"""

from __future__ import annotations

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
