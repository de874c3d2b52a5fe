"""How much Numba's on-disk cache saves: ``python benchmarks/numba_cache.py``.

Chapter 14: Convolutional networks.  The kernels of :mod:`mlcore.kernels` are
compiled with ``cache=True``.  This script runs the same small program -- import
mlcore, then one forward and backward pass through every Numba kernel (conv2d,
max and average pooling, float32) -- in fresh processes that share an empty
cache directory (``NUMBA_CACHE_DIR``, so the repository's own cache is left alone):

1. a warm-up process that compiles every kernel and writes the cache;
2. then fresh processes that find the compiled code on disk.

It prints the import time and the first-call time of each.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

PROGRAM = """
import json, time
start = time.perf_counter()
import numpy as np
import mlcore as mc
from mlcore import conv
imported = time.perf_counter()
x = mc.Tensor(np.ones((2, 3, 8, 8), np.float32), requires_grad=True)
w = mc.Tensor(np.ones((4, 3, 3, 3), np.float32), requires_grad=True)
y = conv.avg_pool2d(conv.max_pool2d(conv.conv2d(x, w, padding=1), 2), 2)
y.sum().backward()
done = time.perf_counter()
print(json.dumps({"import": imported - start, "first_call": done - imported}))
"""


def run_fresh_process(cache_dir: str) -> dict[str, float]:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    out = subprocess.run([sys.executable, "-c", PROGRAM], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main() -> None:
    with tempfile.TemporaryDirectory() as cache_dir:
        rows = [("warm-up (compiles, writes cache)", run_fresh_process(cache_dir))]
        rows += [(f"fresh process {i} (cache hit)", run_fresh_process(cache_dir)) for i in (1, 2)]
        files = sum(len(names) for _, _, names in os.walk(cache_dir))
    print(f"{'process':<34} {'import s':>9} {'first call s':>13}")
    for name, t in rows:
        print(f"{name:<34} {t['import']:>9.2f} {t['first_call']:>13.2f}")
    print(f"{files} cache files written")


if __name__ == "__main__":
    main()
