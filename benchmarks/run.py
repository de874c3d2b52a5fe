"""Time mlcore's convolutional building blocks against PyTorch CPU: ``python benchmarks/run.py``.

Chapter 14: Convolutional networks.  Every row runs its implementations side
by side in one process, interleaved round by round so that a busy machine
slows them alike, with the same number of BLAS/OpenMP threads for NumPy and
PyTorch.  ``--threads 1,2`` (the default) runs each thread count in a fresh
process (thread counts are fixed when the libraries load) and prints one table
with a threads column.  Times are the median of the rounds, in milliseconds
(the naive column: the better of two timings, extrapolated).  "peak MB" is the largest amount of
memory NumPy allocated during one run of the mlcore fast path (tracemalloc).
PyTorch is optional: without it its columns read "-".
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import tracemalloc
from pathlib import Path


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", default="1,2",
                        help="comma-separated BLAS / OpenMP / Numba / PyTorch thread counts (default 1,2)")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per row (the median is reported)")
    parser.add_argument("--images", type=int, default=10_000, help="images in the LeNet-5 epoch")
    parser.add_argument("--resnet-images", type=int, default=640, help="images in the ResNet-20 epoch")
    parser.add_argument("--only", default="", help="run only rows whose name contains this text")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.thread_counts = [int(t) for t in args.threads.split(",")]
    return args


ARGS = _parse()
if not ARGS.child:  # the parent runs one child per thread count and merges their tables
    import json
    import subprocess
    rows_by_threads = []
    for threads in ARGS.thread_counts:
        env = dict(os.environ)
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
            env[var] = str(threads)
        cmd = [sys.executable, __file__, "--child", "--threads", str(threads), "--rounds", str(ARGS.rounds),
               "--images", str(ARGS.images), "--resnet-images", str(ARGS.resnet_images), "--only", ARGS.only]
        out = subprocess.run(cmd, env=env, check=True, stdout=subprocess.PIPE, text=True).stdout
        rows_by_threads.append(json.loads(out.strip().splitlines()[-1]))
    ARGS.merged = rows_by_threads
# Thread counts are read when the libraries load, so set them before importing NumPy or PyTorch.
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[var] = str(ARGS.thread_counts[0])
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numba  # noqa: E402
import numpy as np  # noqa: E402

import cases  # noqa: E402

if cases.torch is not None:
    cases.torch.set_num_threads(ARGS.thread_counts[0])


def _seconds(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def _peak_mb(run) -> float:
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def measure(case: cases.Case, rounds: int) -> dict[str, float | None]:
    """Median milliseconds of each implementation (naive: best of 2, extrapolated), and the fast path's peak memory."""
    runs = {"fast": case.fast, "im2col": case.im2col, "torch": case.torch,
            "naive": case.naive[0] if case.naive else None}
    runs = {k: r for k, r in runs.items() if r is not None}
    for run in runs.values():  # warm up: compile, allocate, fill caches
        run()
    naive = runs.pop("naive", None)
    times = {key: [] for key in runs}
    for _ in range(rounds):
        for key, run in runs.items():
            times[key].append(_seconds(run))
    if naive is not None:  # the loops are slow: two timings, not `rounds`
        times["naive"] = [_seconds(naive) for _ in range(2)]
    result: dict[str, float | None] = {k: None for k in ("fast", "im2col", "naive", "torch")}
    for key, values in times.items():
        value = min(values) if key == "naive" else float(np.median(values))
        result[key] = 1e3 * value * (case.naive[1] if key == "naive" else 1)
    result["peak"] = _peak_mb(case.fast)
    return result


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    torch_version = cases.torch.__version__ if cases.torch is not None else "not installed"
    return (f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()}, numpy {np.__version__}, "
            f"numba {numba.__version__}, torch {torch_version}; threads: OPENBLAS/OMP/MKL/NUMBA_NUM_THREADS"
            f" = torch.set_num_threads = the threads column")


def child() -> None:
    """Measure every case at this process's thread count; print the rows as JSON on the last line."""
    rows, notes = [], []
    for build in cases.all_cases(ARGS.images, ARGS.resnet_images):
        case = build()
        if ARGS.only and ARGS.only not in case.name:
            continue
        r = measure(case, ARGS.rounds)
        ratio = r["fast"] / r["torch"] if r["torch"] else None
        rows.append((case.name, str(ARGS.thread_counts[0]), _fmt(r["fast"]), _fmt(r["im2col"]), _fmt(r["naive"], 0),
                     _fmt(r["torch"]), _fmt(ratio, 2), _fmt(r["peak"])))
        if case.naive:
            notes.append(f"naive, {case.name.split(':')[0]}: {case.naive[2]}")
        print(f"  done ({ARGS.thread_counts[0]} thread(s)):", case.name, file=sys.stderr, flush=True)
    import json
    print(json.dumps({"rows": rows, "notes": notes}))


def main() -> None:
    if ARGS.child:
        child()
        return
    print(machine())
    print(f"median of {ARGS.rounds} interleaved rounds, milliseconds per run; naive = loop reference on a "
          f"slice, extrapolated (see notes)\n")
    header = ("workload", "threads", "mlcore numba", "mlcore im2col", "naive (extrap.)", "torch CPU", "numba/torch",
              "peak MB")
    by_name: dict[str, list] = {}
    for part in ARGS.merged:  # rows of one workload at every thread count next to each other
        for row in part["rows"]:
            by_name.setdefault(row[0], []).append(tuple(row))
    rows = [header] + [row for group in by_name.values() for row in group]
    notes = list(dict.fromkeys(n for part in ARGS.merged for n in part["notes"]))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    def line(row):  # the workload left-aligned, numbers right-aligned
        return "| " + " | ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))) + " |"

    lines = [line(row) for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 1) + ("-" if i == 0 else ":") for i, w in enumerate(widths)) + "|")
    print("\n".join(lines))
    print("\n" + "\n".join(notes))


if __name__ == "__main__":
    main()
