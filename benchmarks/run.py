"""Time mlcore's convolutional building blocks against PyTorch CPU: ``python benchmarks/run.py``.

Chapter 14: Convolutional networks.  Every row runs its implementations side
by side in one process, interleaved round by round so that a busy machine
slows them alike, with the same number of BLAS/OpenMP threads for NumPy and
PyTorch (``--threads``, default ``$OPENBLAS_NUM_THREADS`` or 1).  Times are
the best of the rounds, in milliseconds: on a shared machine the minimum is
the run least disturbed by other processes.  "peak MB" is the largest amount of
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
    parser.add_argument("--threads", type=int, default=int(os.environ.get("OPENBLAS_NUM_THREADS", "1")),
                        help="BLAS / OpenMP / PyTorch threads (default: $OPENBLAS_NUM_THREADS or 1)")
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds per row (the best is reported)")
    parser.add_argument("--images", type=int, default=10_000, help="images in the LeNet-5 epoch")
    parser.add_argument("--only", default="", help="run only rows whose name contains this text")
    return parser.parse_args()


ARGS = _parse()
# Thread counts are read when the libraries load, so set them before importing NumPy or PyTorch.
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numba  # noqa: E402
import numpy as np  # noqa: E402

import cases  # noqa: E402

if cases.torch is not None:
    cases.torch.set_num_threads(ARGS.threads)


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
    """Best milliseconds of each implementation (naive extrapolated), and the fast path's peak memory."""
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
        result[key] = 1e3 * min(values) * (case.naive[1] if key == "naive" else 1)
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
            f"numba {numba.__version__}, torch {torch_version}; threads: OPENBLAS/OMP/MKL_NUM_THREADS="
            f"{ARGS.threads}, torch.set_num_threads({ARGS.threads}), numba parallel=False")


def main() -> None:
    print(machine())
    print(f"best of {ARGS.rounds} interleaved rounds, milliseconds per run; naive = loop reference on a "
          f"slice, extrapolated (see notes)\n")
    header = ("workload", "mlcore numba", "mlcore im2col", "naive (extrap.)", "torch CPU", "numba/torch", "peak MB")
    rows = [header]
    notes = []
    for build in cases.all_cases(ARGS.images):
        case = build()
        if ARGS.only and ARGS.only not in case.name:
            continue
        r = measure(case, ARGS.rounds)
        ratio = r["fast"] / r["torch"] if r["torch"] else None
        rows.append((case.name, _fmt(r["fast"]), _fmt(r["im2col"]), _fmt(r["naive"], 0), _fmt(r["torch"]),
                     _fmt(ratio, 2), _fmt(r["peak"])))
        if case.naive:
            notes.append(f"naive, {case.name.split(':')[0]}: {case.naive[2]}")
        print("  done:", case.name, file=sys.stderr)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    def line(row):  # the workload left-aligned, numbers right-aligned
        return "| " + " | ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))) + " |"

    lines = [line(row) for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 1) + ("-" if i == 0 else ":") for i, w in enumerate(widths)) + "|")
    print("\n".join(lines))
    print("\n" + "\n".join(notes))


if __name__ == "__main__":
    main()
