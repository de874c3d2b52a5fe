"""Which mlcore files each chapter's execution-cache key covers, and what ``import mlcore`` costs.

``python benchmarks/cache_keys.py [--files] [--runs N]``.  The key of a chapter
(book/_ext/mlcore_cache.py) hashes every mlcore source file the chapter can
execute; editing any other file leaves the chapter's cached outputs valid.
``import mlcore`` is timed in fresh interpreters as CPU time (user + system,
which a busy machine inflates less than wall time); the median is printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

import jupytext

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import mlcore_cache  # noqa: E402

CPU = "import os, sys; t = os.times(); import mlcore; u = os.times(); print(u.user - t.user + u.system - t.system)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", action="store_true", help="list the files of each key")
    parser.add_argument("--runs", type=int, default=9, help="fresh interpreters timing `import mlcore`")
    args = parser.parse_args()
    total = len(list((ROOT / "mlcore").rglob("*.py")))
    print(f"mlcore has {total} source files\n\n| chapter | files in its key |\n|---|---:|")
    for chapter in sorted((ROOT / "chapters").glob("[0-9][0-9]_*.md")):
        files = mlcore_cache.notebook_dependencies(jupytext.read(chapter), ROOT)
        print(f"| {chapter.stem} | {len(files)} |")
        if args.files:
            print("|  | " + " ".join(p.relative_to(ROOT / "mlcore").as_posix() for p in files) + " |")
    times = [float(subprocess.run([sys.executable, "-c", CPU], capture_output=True, text=True, check=True,
                                  cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout)
             for _ in range(args.runs)]
    print(f"\n`import mlcore`: median {1e3 * statistics.median(times):.0f} ms CPU over {args.runs} runs "
          "(the interpreter's own start-up excluded)")


if __name__ == "__main__":
    main()
