"""Structure of the book: the table of contents, chapter sources, and a fast strict build."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jupytext
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("*.md"))


def toc_files(toc_path: Path = ROOT / "_toc.yml") -> list[str]:
    """Every ``file:`` entry of a Jupyter Book table of contents (and its root)."""
    toc = yaml.safe_load(toc_path.read_text())
    found = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                found.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc.get("parts", toc.get("chapters", [])))
    return found


def test_there_are_chapters():
    assert CHAPTERS, "no chapters/*.md found"


def test_every_chapter_is_in_the_toc():
    listed = {Path(f).with_suffix("").as_posix() for f in toc_files()}
    missing = [c.relative_to(ROOT).with_suffix("").as_posix() for c in CHAPTERS
               if c.relative_to(ROOT).with_suffix("").as_posix() not in listed]
    assert not missing, f"chapters missing from _toc.yml: {missing}"


def test_every_toc_entry_exists():
    absent = [f for f in toc_files()
              if not any((ROOT / f).with_suffix(s).is_file() for s in (".md", ".ipynb"))
              and not (ROOT / f).is_file()]
    assert not absent, f"_toc.yml names files that do not exist: {absent}"


def test_chapter_files_are_named_by_number():
    bad = [c.name for c in CHAPTERS if not (c.name[:2].isdigit() and c.name[2] == "_")]
    assert not bad, f"chapters must be named NN_slug.md: {bad}"


def test_no_notebook_files_in_chapters():
    stray = sorted(p.name for p in (ROOT / "chapters").glob("*.ipynb"))
    assert not stray, f"chapters are MyST Markdown only; found notebooks {stray}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_chapter_is_a_myst_notebook_without_outputs(chapter: Path):
    text = chapter.read_text(encoding="utf8")
    assert text.startswith("---\n"), "a chapter starts with a jupytext YAML header"
    nb = jupytext.reads(text, fmt="md:myst")
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    assert nb.metadata["jupytext"]["text_representation"]["format_name"] == "myst"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "a chapter without code cells checks nothing"
    for cell in code:
        assert not cell.get("outputs"), "chapter source carries stored outputs"
        assert cell.get("execution_count") is None, "chapter source carries execution counts"
    assert "assert" in text, "a chapter must assert its claims"


def test_stored_outputs_are_detected(tmp_path):
    """The check above does fail on a chapter with outputs (it is not vacuous)."""
    nb = jupytext.reads(CHAPTERS[0].read_text(encoding="utf8"), fmt="md:myst")
    cell = next(c for c in nb.cells if c.cell_type == "code")
    cell.outputs = [{"output_type": "stream", "name": "stdout", "text": "x"}]
    cell.execution_count = 1
    path = tmp_path / "with_outputs.ipynb"
    path.write_text(json.dumps(nb))
    reread = json.loads(path.read_text())
    assert any(c.get("outputs") for c in reread["cells"] if c["cell_type"] == "code")


def structural_build(outdir: Path) -> subprocess.CompletedProcess:
    """Build the book strictly with execution off, into ``outdir``."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["execute"]["execute_notebooks"] = "off"
    # Without execution no value is glued, so {glue:text} cannot resolve here;
    # the executed build (tests/test_site.py) checks those.
    sphinx_config = config["sphinx"]["config"]
    sphinx_config["suppress_warnings"] = list(sphinx_config.get("suppress_warnings", [])) + ["mystnb.glue"]
    # The copied config lives elsewhere, so paths in it must be absolute.
    config["bibtex_bibfiles"] = [str(ROOT / f) for f in config["bibtex_bibfiles"]]
    local = config["sphinx"]["local_extensions"]
    config["sphinx"]["local_extensions"] = {name: str(ROOT / path) for name, path in local.items()}
    config_path = outdir / "_config.yml"
    outdir.mkdir(parents=True, exist_ok=True)
    config_path.write_text(yaml.safe_dump(config))
    jb = Path(sys.executable).with_name("jupyter-book")
    return subprocess.run(
        [str(jb), "build", str(ROOT), "--config", str(config_path), "--path-output", str(outdir),
         "--builder", "html", "-n", "-W", "--keep-going", "--all"],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
    )


def test_structural_build_has_no_warnings(tmp_path):
    """Broken references, citations, labels or toc entries fail here, without executing chapters."""
    result = structural_build(tmp_path)
    log = result.stdout + result.stderr
    warnings = [ln for ln in log.splitlines() if "WARNING" in ln or "ERROR" in ln]
    assert result.returncode == 0 and not warnings, "\n".join(warnings[-40:]) or log[-4000:]
    html = tmp_path / "_build" / "html"
    for chapter in CHAPTERS:
        assert (html / "chapters" / (chapter.stem + ".html")).is_file()


def test_bibliography_keys_are_unique():
    import re
    from collections import Counter

    keys = re.findall(r"^@\w+\{([^,\s]+),", (ROOT / "book" / "references.bib").read_text(encoding="utf8"), re.M)
    assert keys, "no entries found in book/references.bib"
    duplicated = [k for k, n in Counter(keys).items() if n > 1]
    assert not duplicated, f"duplicate bibliography keys: {duplicated}"
