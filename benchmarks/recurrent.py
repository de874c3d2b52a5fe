"""Time mlcore's LSTM and GRU layers against PyTorch CPU: ``python benchmarks/recurrent.py``.

Chapter 17: Recurrent networks.  One workload per layer: a sequence of
T = 50 steps, a batch of N = 32, 32 input features and 128 hidden units, float32;
one run is the forward pass, ``output.sum()`` and the backward pass (gradients of
the input and of every weight).  Every thread count runs in a fresh process
(BLAS and OpenMP read their thread counts when they load), with the same count
for OpenBLAS and ``torch.set_num_threads``; inside it, mlcore and PyTorch runs
are interleaved round by round and the **median** of the rounds is reported, in
milliseconds.  The column "mlcore reference" is the same layer composed from
primitive operations (``mlcore.nn.recurrent_reference``), the oracle of the tests.
PyTorch is optional: without it its columns read "-".
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time

T, N, D, H = 50, 32, 32, 128


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    parser.add_argument("--rounds", type=int, default=21, help="timed rounds per implementation (median reported)")
    parser.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    return parser.parse_args()


def measure(threads: int, rounds: int) -> dict:
    """Median milliseconds of every implementation for both layers, in this process."""
    import numpy as np

    import mlcore as mc
    from mlcore import nn
    from mlcore.nn.recurrent_reference import recurrent_layer_reference

    try:
        import torch
        torch.set_num_threads(threads)
    except ImportError:
        torch = None

    x = np.random.default_rng(0).standard_normal((T, N, D)).astype(np.float32)
    results = {}
    for kind in ("LSTM", "GRU"):
        layer = getattr(nn, kind)(D, H, rng=0)
        mode = kind

        def run_fused():
            xt = mc.Tensor(x, requires_grad=True)
            out, _ = layer(xt)
            out.sum().backward()

        def run_reference():
            xt = mc.Tensor(x, requires_grad=True)
            h0 = mc.Tensor(np.zeros((N, H), dtype=np.float32))
            out, _, _ = recurrent_layer_reference(mode, xt, h0, h0 if kind == "LSTM" else None,
                                                  layer.weight_ih_l0, layer.weight_hh_l0,
                                                  layer.bias_ih_l0, layer.bias_hh_l0)
            out.sum().backward()

        runs = {"mlcore": run_fused, "reference": run_reference}
        if torch is not None:
            t_layer = getattr(torch.nn, kind)(D, H)
            t_layer.load_state_dict({k: torch.tensor(v) for k, v in layer.state_dict().items()})
            tx = torch.tensor(x)

            def run_torch():
                xt = tx.clone().requires_grad_(True)
                out, _ = t_layer(xt)
                out.sum().backward()

            runs["torch"] = run_torch
        for run in runs.values():  # warm up
            run()
        times = {key: [] for key in runs}
        for r in range(rounds):
            for key, run in runs.items():
                if key == "reference" and r >= 5:  # slow, and only for orientation
                    continue
                start = time.perf_counter()
                run()
                times[key].append(time.perf_counter() - start)
        results[kind] = {key: 1e3 * float(np.median(v)) for key, v in times.items()}
    versions = {"numpy": np.__version__, "torch": torch.__version__ if torch is not None else "not installed"}
    return {"threads": threads, "results": results, "versions": versions}


def main() -> None:
    args = _parse()
    if args.child:
        print(json.dumps(measure(args.child, args.rounds)))
        return
    rows, versions = [], {}
    for threads in (int(t) for t in args.threads.split(",")):
        env = dict(os.environ)
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
            env[var] = str(threads)
        out = subprocess.run([sys.executable, __file__, "--child", str(threads), "--rounds", str(args.rounds)],
                             env=env, check=True, capture_output=True, text=True).stdout
        data = json.loads(out.strip().splitlines()[-1])
        versions = data["versions"]
        for kind, r in data["results"].items():
            torch_ms = r.get("torch")
            ratio = f"{r['mlcore'] / torch_ms:.2f}" if torch_ms else "-"
            rows.append((f"{kind} fwd+bwd, T={T} N={N} in={D} H={H}", str(threads), f"{r['mlcore']:.1f}",
                         f"{r['reference']:.1f}", f"{torch_ms:.1f}" if torch_ms else "-", ratio))
    cpu = platform.machine()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    print(f"{cpu}, {os.cpu_count()} cores; Python "
          f"{platform.python_version()}, numpy {versions.get('numpy')}, torch {versions.get('torch')}; "
          f"median of {args.rounds} interleaved rounds, milliseconds per run\n")
    header = ("workload", "threads", "mlcore", "mlcore reference", "torch CPU", "mlcore/torch")
    widths = [max(len(row[i]) for row in rows + [header]) for i in range(len(header))]
    fmt = lambda row: "| " + " | ".join(c.ljust(w) if i == 0 else c.rjust(w)  # noqa: E731
                                        for i, (c, w) in enumerate(zip(row, widths))) + " |"
    print(fmt(header))
    print("|" + "|".join("-" * (w + 1) + ("-" if i == 0 else ":") for i, w in enumerate(widths)) + "|")
    for row in rows:
        print(fmt(row))


if __name__ == "__main__":
    main()
