"""Data sets, splits, standardisation, batching and the local-file loaders."""

import gzip
import random
import socket

import numpy as np
import pytest

from mlcore import data


# -- bundled and offline data sets ------------------------------------------------


def test_load_digits():
    X, y = data.load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float32
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    assert set(np.unique(y)) == set(range(10))


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No network (any connection attempt raises) and an empty temporary working directory."""

    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_load_mnist1d_offline_deterministic_and_leaves_global_rng_alone(offline):
    np.random.seed(123)
    random.seed(123)
    expected_numpy, expected_python = np.random.random(), random.random()
    np.random.seed(123)
    random.seed(123)

    X, y = data.load_mnist1d(n_samples=200, seed=3)

    assert np.random.random() == expected_numpy and random.random() == expected_python
    assert list(offline.iterdir()) == []
    assert X.shape == (200, 40) and X.dtype == np.float32
    assert y.shape == (200,) and y.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(y), np.full(10, 20))
    assert abs(X.mean()) < 1e-5 and abs(X.std() - 1) < 1e-5
    X2, y2 = data.load_mnist1d(n_samples=200, seed=3)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(data.load_mnist1d(n_samples=200, seed=4)[0], X)


def test_load_mnist1d_rejects_sizes_that_are_not_multiples_of_10():
    with pytest.raises(ValueError, match=r"n_samples must be a multiple of 10 .*got 105"):
        data.load_mnist1d(n_samples=105)


# -- synthetic data sets -------------------------------------------------------------

SYNTHETIC = {
    "moons": lambda rng: data.make_moons(101, noise=0.1, rng=rng),
    "spirals": lambda rng: data.make_spirals(101, n_classes=4, rng=rng),
    "xor": lambda rng: data.make_xor(101, rng=rng),
    "blobs": lambda rng: data.make_blobs(101, centers=3, n_features=5, rng=rng),
}


@pytest.mark.parametrize("name", SYNTHETIC)
def test_synthetic_sets_shapes_and_seeds(name):
    X, y = SYNTHETIC[name](0)
    assert X.dtype == np.float64 and y.dtype == np.int64
    assert len(X) == len(y) == 101 and X.ndim == 2
    X2, y2 = SYNTHETIC[name](np.random.default_rng(0))
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(SYNTHETIC[name](1)[0], X)


def test_synthetic_set_geometry():
    X, y = data.make_moons(400, noise=0.0, rng=0)
    np.testing.assert_allclose(np.hypot(*X[y == 0].T), 1.0)                     # unit half circle
    np.testing.assert_allclose(np.hypot(X[y == 1, 0] - 1, X[y == 1, 1] - 0.5), 1.0)
    assert np.bincount(y).tolist() == [200, 200]

    X, y = data.make_xor(300, noise=0.0, rng=0)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(int))

    X, y = data.make_spirals(300, n_classes=3, noise=0.0, rng=0)
    assert np.all(np.hypot(*X.T) <= 1) and np.bincount(y).tolist() == [100, 100, 100]

    centers = np.array([[0.0, 0.0], [100.0, 0.0]])
    X, y = data.make_blobs(200, centers=centers, cluster_std=1.0, rng=0)
    np.testing.assert_allclose([X[y == k].mean(axis=0) for k in (0, 1)], centers, atol=0.4)


def test_make_1d_regression():
    X, y = data.make_1d_regression(np.sin, n_samples=2000, noise=0.1, x_range=(0, 3), rng=0)
    assert X.shape == (2000, 1) and y.shape == (2000,)
    assert np.all(np.diff(X[:, 0]) >= 0) and 0 <= X.min() and X.max() <= 3
    residual = y - np.sin(X[:, 0])
    assert abs(residual.std() - 0.1) < 0.01
    with pytest.raises(ValueError, match="fn must map shape"):
        data.make_1d_regression(lambda x: x[:, None], rng=0)


@pytest.mark.parametrize("call, message", [
    (lambda: data.make_moons(0), "make_moons: n_samples must be a positive integer, got 0"),
    (lambda: data.make_xor(10, noise=-1), "make_xor: noise must be non-negative, got -1"),
    (lambda: data.make_spirals(10, n_classes=0), "n_classes must be a positive integer, got 0"),
    (lambda: data.make_blobs(10, centers=np.zeros(3)), "centers must be an int or an array of shape"),
    (lambda: data.make_1d_regression(np.sin, x_range=(1, 0)), "low < high"),
])
def test_synthetic_bad_arguments(call, message):
    with pytest.raises(ValueError) as info:
        call()
    assert message in str(info.value)


# -- splits, standardisation, loaders ------------------------------------------------------


def test_train_val_test_split_partitions_the_data():
    X = np.arange(100).reshape(50, 2)
    y = np.arange(50)
    Xtr, ytr, Xva, yva, Xte, yte = data.train_val_test_split(X, y, (0.6, 0.2, 0.2), rng=0)
    assert (len(ytr), len(yva), len(yte)) == (30, 10, 10)
    np.testing.assert_array_equal(np.sort(np.concatenate([ytr, yva, yte])), y)
    np.testing.assert_array_equal(Xtr[:, 0], 2 * ytr)  # rows stay with their labels
    again = data.train_val_test_split(X, y, (0.6, 0.2, 0.2), rng=0)
    np.testing.assert_array_equal(again[1], ytr)


def test_stratified_split_keeps_class_proportions():
    y = np.repeat([0, 1, 2], [60, 30, 10])
    X = np.zeros((100, 1))
    _, ytr, _, yva, _, yte = data.train_val_test_split(X, y, (0.5, 0.3, 0.2), rng=0, stratify=True)
    assert np.bincount(ytr).tolist() == [30, 15, 5]
    assert np.bincount(yva).tolist() == [18, 9, 3]
    assert np.bincount(yte).tolist() == [12, 6, 2]
    assert not np.all(np.diff(ytr) >= 0)  # classes are mixed, not in blocks


@pytest.mark.parametrize("fractions", [(0.5, 0.5), (0.5, 0.3, 0.3), (0.0, 0.5, 0.5), (1.2, -0.1, -0.1)])
def test_split_rejects_bad_fractions(fractions):
    with pytest.raises(ValueError, match="fractions must be three non-negative numbers"):
        data.train_val_test_split(np.zeros((10, 1)), np.zeros(10), fractions)


def test_standardizer():
    rng = np.random.default_rng(0)
    train = np.column_stack([rng.normal(5, 3, 200), np.full(200, 7.0), rng.normal(-1, 0.1, 200)])
    test = train[:10] + 1
    scaler = data.Standardizer().fit(train)
    Z = scaler.transform(train)
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0), [1, 0, 1])
    np.testing.assert_array_equal(Z[:, 1], 0.0)            # constant feature: 0, not NaN
    np.testing.assert_allclose(scaler.transform(test), (test - train.mean(0)) / [train[:, 0].std(), 1,
                                                                                 train[:, 2].std()])
    np.testing.assert_allclose(scaler.inverse_transform(scaler.transform(test)), test)
    assert scaler.transform(train.astype(np.float32)).dtype == np.float32
    with pytest.raises(ValueError, match=r"fitted on samples of shape \(3,\), got X of shape \(4, 2\)"):
        scaler.transform(np.zeros((4, 2)))
    with pytest.raises(RuntimeError, match="call fit"):
        data.Standardizer().transform(train)


def test_dataloader_batches_and_len():
    X, y = np.arange(10)[:, None] * np.ones((1, 3)), np.arange(10)
    loader = data.DataLoader(X, y, batch_size=4)
    batches = list(loader)
    assert len(loader) == len(batches) == 3
    assert [len(yb) for _, yb in batches] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate([yb for _, yb in batches]), y)
    np.testing.assert_array_equal(batches[0][0], X[:4])

    dropping = data.DataLoader(X, y, batch_size=4, drop_last=True)
    assert len(dropping) == len(list(dropping)) == 2


def test_dataloader_shuffles_every_epoch_reproducibly():
    X, y = np.arange(20.0)[:, None], np.arange(20)
    loader = data.DataLoader(X, y, batch_size=8, shuffle=True, rng=0)
    epoch1 = np.concatenate([yb for _, yb in loader])
    epoch2 = np.concatenate([yb for _, yb in loader])
    assert sorted(epoch1) == list(range(20)) and not np.array_equal(epoch1, epoch2)
    for xb, yb in loader:
        np.testing.assert_array_equal(xb[:, 0], yb)
    same = data.DataLoader(X, y, batch_size=8, shuffle=True, rng=0)
    np.testing.assert_array_equal(np.concatenate([yb for _, yb in same]), epoch1)


def test_dataloader_bad_arguments():
    with pytest.raises(ValueError, match="X has 3 samples but y has 2"):
        data.DataLoader(np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got 0"):
        data.DataLoader(np.zeros(3), np.zeros(3), batch_size=0)


# -- MNIST IDX files ------------------------------------------------------------------------


def idx_bytes(array: np.ndarray, magic: int) -> bytes:
    dims = b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return magic.to_bytes(4, "big") + dims + array.astype(np.uint8).tobytes()


@pytest.fixture
def mnist_files(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(5, 4, 3), dtype=np.uint8)
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    (tmp_path / "images").write_bytes(idx_bytes(images, 2051))
    (tmp_path / "labels").write_bytes(idx_bytes(labels, 2049))
    return tmp_path, images, labels


def test_load_mnist_idx(mnist_files):
    tmp_path, images, labels = mnist_files
    X, y = data.load_mnist_idx(tmp_path / "images", tmp_path / "labels")
    assert X.dtype == np.float32 and X.shape == (5, 4, 3) and y.dtype == np.int64
    np.testing.assert_allclose(X * 255, images)
    np.testing.assert_array_equal(y, labels)
    # gzipped files are read too
    for name in ("images", "labels"):
        (tmp_path / f"{name}.gz").write_bytes(gzip.compress((tmp_path / name).read_bytes()))
    Xg, yg = data.load_mnist_idx(tmp_path / "images.gz", tmp_path / "labels.gz")
    np.testing.assert_array_equal(Xg, X)
    np.testing.assert_array_equal(yg, y)


def test_load_mnist_idx_errors(mnist_files):
    tmp_path, images, labels = mnist_files
    img, lab = tmp_path / "images", tmp_path / "labels"
    with pytest.raises(FileNotFoundError, match="images file not found: .*missing"):
        data.load_mnist_idx(tmp_path / "missing", lab)
    with pytest.raises(ValueError, match="magic number 2049, but an IDX images file starts with 2051"):
        data.load_mnist_idx(lab, img)

    truncated = tmp_path / "truncated"
    truncated.write_bytes(img.read_bytes()[:-7])
    with pytest.raises(ValueError, match=r"dimensions \(5, 4, 3\), i.e. 60 data bytes, but the file "
                                         r"holds 53 \(truncated file\)"):
        data.load_mnist_idx(truncated, lab)

    too_long = tmp_path / "too_long"
    too_long.write_bytes(img.read_bytes() + b"\0")
    with pytest.raises(ValueError, match="holds 61 .*corrupt header"):
        data.load_mnist_idx(too_long, lab)

    short_header = tmp_path / "short_header"
    short_header.write_bytes(img.read_bytes()[:9])
    with pytest.raises(ValueError, match="the header needs 16 bytes, the file has 9"):
        data.load_mnist_idx(short_header, lab)

    four_labels = tmp_path / "four_labels"
    four_labels.write_bytes(idx_bytes(labels[:4], 2049))
    with pytest.raises(ValueError, match="holds 5 images but .*four_labels holds 4 labels"):
        data.load_mnist_idx(img, four_labels)

    bad_gz = tmp_path / "bad.gz"
    bad_gz.write_bytes(gzip.compress(img.read_bytes())[:-10])
    with pytest.raises(ValueError, match="not a complete gzip file"):
        data.load_mnist_idx(bad_gz, lab)


# -- CIFAR-10 binary files --------------------------------------------------------------------


def cifar_records(labels, rng):
    pixels = rng.integers(0, 256, size=(len(labels), 3072), dtype=np.uint8)
    return np.column_stack([np.asarray(labels, dtype=np.uint8), pixels]), pixels


def test_load_cifar10_binary_file_and_directory(tmp_path):
    rng = np.random.default_rng(0)
    all_pixels, all_labels = [], []
    for i in range(1, 6):
        labels = [i, 9 - i]
        records, pixels = cifar_records(labels, rng)
        (tmp_path / f"data_batch_{i}.bin").write_bytes(records.tobytes())
        all_pixels.append(pixels)
        all_labels += labels
    records, test_pixels = cifar_records([0, 7, 9], rng)
    (tmp_path / "test_batch.bin").write_bytes(records.tobytes())

    X, y = data.load_cifar10_binary(tmp_path)
    assert X.shape == (10, 3, 32, 32) and X.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(y, all_labels)
    pixels = np.concatenate(all_pixels)
    # Layout: 1024 red bytes (row by row), then green, then blue.
    assert X[3, 1, 2, 5] * 255 == pytest.approx(pixels[3, 1024 + 2 * 32 + 5])
    np.testing.assert_allclose(X.reshape(10, -1) * 255, pixels, atol=1e-4)

    X_test, y_test = data.load_cifar10_binary(tmp_path, split="test")
    assert y_test.tolist() == [0, 7, 9]
    X_one, y_one = data.load_cifar10_binary(tmp_path / "data_batch_2.bin")
    assert y_one.tolist() == [2, 7]
    np.testing.assert_array_equal(X_one, X[2:4])


def test_load_cifar10_binary_errors(tmp_path):
    rng = np.random.default_rng(0)
    records, _ = cifar_records([1, 2], rng)
    good = tmp_path / "test_batch.bin"
    good.write_bytes(records.tobytes())
    with pytest.raises(FileNotFoundError, match="CIFAR-10 batch file not found: .*data_batch_1.bin"):
        data.load_cifar10_binary(tmp_path, split="train")
    truncated = tmp_path / "truncated.bin"
    truncated.write_bytes(records.tobytes()[:-100])
    with pytest.raises(ValueError, match="6046 bytes is not a whole number of 3073-byte"):
        data.load_cifar10_binary(truncated)
    bad_label = tmp_path / "bad_label.bin"
    records[1, 0] = 42
    bad_label.write_bytes(records.tobytes())
    with pytest.raises(ValueError, match="record 1 has label byte 42, not in 0..9"):
        data.load_cifar10_binary(bad_label)
    with pytest.raises(ValueError, match="split must be 'train' or 'test', got 'valid'"):
        data.load_cifar10_binary(tmp_path, split="valid")
