"""Make mnist1d_published.npz: a sample of the data set the MNIST-1D repository publishes.

The repository github.com/greydanus/mnist1d ships the pickle ``mnist1d_data.pkl`` that its
notebooks train on. This script, run once with that file at hand, keeps its labels and the
first ten signals of each split, so that the appendix "The MNIST-1D benchmark reproduced"
can check, without a download, that ``mlcore.data.load_mnist1d()`` generates the same data.

Usage: python make_mnist1d_refs.py path/to/mnist1d_data.pkl
"""
import pickle
import sys
from pathlib import Path

import numpy as np

with open(sys.argv[1], "rb") as f:
    published = pickle.load(f)
np.savez_compressed(Path(__file__).with_name("mnist1d_published.npz"),
                    x_head=published["x"][:10].astype(np.float32),
                    x_test_head=published["x_test"][:10].astype(np.float32),
                    y=published["y"].astype(np.int8), y_test=published["y_test"].astype(np.int8))
