"""pytest plugin: every ``chapters/*.md`` file is a test, executed with nbval.

Each chapter is converted from MyST Markdown to a notebook in memory with
jupytext (nothing is written into ``chapters/``) and handed to nbval, which
runs it cell by cell in a fresh kernel whose working directory is
``chapters/``; any exception, including a failed ``assert``, fails the cell.
At the end of the run, a table gives each chapter's execution time against
its 60-second budget.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import os

# Chapter kernels inherit this: the chapters multiply small matrices, for which
# extra BLAS threads cost more to synchronise than they save (`make` sets it too).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import jupytext  # noqa: E402
import pytest  # noqa: E402
from nbval import plugin as nbval_plugin  # noqa: E402

ROOT = Path(__file__).resolve().parent
CHAPTERS = ROOT / "chapters"
BUDGET_SECONDS = 60.0
# Chapters whose issue allows the longer budget (and why): reinforcement
# learning trains two agents to solve CartPole over several seeds; the MNIST-1D
# page trains the paper's four models.
LONGER_BUDGET_SECONDS = {
    "chapters/25_deep_reinforcement_learning.md": 120.0,
    "chapters/27_mnist1d_reproduced.md": 120.0,
}

_chapter_seconds: dict[str, float] = defaultdict(float)


class _JupytextReader:
    """Stands in for ``nbformat`` while nbval reads a chapter: parses MyST with jupytext."""

    @staticmethod
    def read(path, as_version=4):
        return jupytext.read(path, as_version=as_version)


class ChapterNotebook(nbval_plugin.IPyNbFile):
    """An nbval notebook collector that reads a MyST Markdown chapter."""

    def collect(self):
        real_nbformat = nbval_plugin.nbformat
        nbval_plugin.nbformat = _JupytextReader
        try:
            return list(super().collect())
        finally:
            nbval_plugin.nbformat = real_nbformat


def pytest_collect_file(file_path: Path, parent):
    if file_path.suffix == ".md" and file_path.parent == CHAPTERS:
        return ChapterNotebook.from_parent(parent, path=file_path)
    return None


def pytest_collection_modifyitems(session, config, items):
    """Run the longest file first: tests/test_site.py builds the whole book.

    With ``make test``'s two workers (``--dist loadfile``), files are handed
    out in this order, so one worker builds the book while the other runs the
    unit tests and the chapters; collected last, the build would start only
    when most other work is done and run alone.
    """
    items.sort(key=lambda item: 0 if item.nodeid.startswith("tests/test_site.py") else 1)


def _chapter_of(nodeid: str) -> str | None:
    path = nodeid.split("::", 1)[0]
    return path if path.startswith("chapters/") and path.endswith(".md") else None


def pytest_runtest_logreport(report):
    chapter = _chapter_of(report.nodeid)
    if chapter is not None:
        # setup includes starting the kernel; call is the cell itself.
        _chapter_seconds[chapter] += report.duration


def pytest_terminal_summary(terminalreporter):
    if not _chapter_seconds:
        return
    tr = terminalreporter
    tr.section("chapter execution times (budget 60 s each on 2 cores, 120 s where noted)")
    for chapter, seconds in sorted(_chapter_seconds.items()):
        budget = LONGER_BUDGET_SECONDS.get(chapter, BUDGET_SECONDS)
        flag = "  OVER BUDGET" if seconds > budget else ""
        flag += f"  (budget {budget:.0f} s)" if budget != BUDGET_SECONDS else ""
        tr.write_line(f"{seconds:7.1f} s  {chapter}{flag}")
    tr.write_line(f"{sum(_chapter_seconds.values()):7.1f} s  all chapters")
