"""mlcore.generative: gradients, bounds, GAN losses and mode statistics (chapters 20 and 21)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import mlcore as mc
from mlcore import functional as F
from mlcore import generative as G
from mlcore.gradcheck import gradcheck


def t64(a):
    return mc.Tensor(np.asarray(a, dtype=np.float64), dtype=np.float64)


# ----------------------------------------------------------------- gradients (float64 finite differences)

def test_reparameterize_gradcheck_and_value():
    rng = np.random.default_rng(0)
    mu, lv = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    assert gradcheck(lambda m, v: G.reparameterize(m, v, rng=7), [mu, lv]).passed
    eps = np.random.default_rng(7).standard_normal((4, 3))
    assert np.allclose(G.reparameterize(t64(mu), t64(lv), rng=7).data, mu + np.exp(0.5 * lv) * eps)


def test_gaussian_log_prob_gradcheck_and_scipy():
    from scipy.stats import norm

    rng = np.random.default_rng(1)
    z, mu, lv = rng.normal(size=(5, 3)), rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    assert gradcheck(G.gaussian_log_prob, [z, mu, lv]).passed
    assert gradcheck(lambda a, b, c: G.gaussian_log_prob(a, b, c), [z, mu[:1], lv[:1]]).passed  # broadcast prior
    ref = norm.logpdf(z, mu, np.exp(0.5 * lv)).sum(axis=1)
    assert np.allclose(G.gaussian_log_prob(t64(z), t64(mu), t64(lv)).data, ref)


def test_bernoulli_log_prob_gradcheck_and_value():
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(4, 6)) * 3
    x = (rng.random((4, 6)) < 0.5).astype(np.float64)
    assert gradcheck(lambda l: G.bernoulli_log_prob(x, l), [logits]).passed
    p = 1 / (1 + np.exp(-logits))
    ref = (x * np.log(p) + (1 - x) * np.log(1 - p)).sum(axis=1)
    assert np.allclose(G.bernoulli_log_prob(x, t64(logits)).data, ref)


@pytest.mark.parametrize("saturating", [False, True])
def test_gan_losses_gradcheck_and_values(saturating):
    rng = np.random.default_rng(3)
    real, fake = rng.normal(size=(6, 1)) * 2, rng.normal(size=(5, 1)) * 2
    assert gradcheck(G.gan_discriminator_loss, [real, fake]).passed
    assert gradcheck(lambda f: G.gan_generator_loss(f, saturating=saturating), [fake]).passed
    sig = lambda a: 1 / (1 + np.exp(-a))
    d_ref = -np.log(sig(real)).mean() - np.log(1 - sig(fake)).mean()
    assert G.gan_discriminator_loss(t64(real), t64(fake)).item() == pytest.approx(d_ref)
    g_ref = np.log(1 - sig(fake)).mean() if saturating else -np.log(sig(fake)).mean()
    assert G.gan_generator_loss(t64(fake), saturating=saturating).item() == pytest.approx(g_ref)


def test_saturating_gradient_vanishes_when_fakes_are_rejected():
    fake = t64(np.full((4, 1), -8.0))
    fake.requires_grad_()
    G.gan_generator_loss(fake, saturating=True).backward()
    g_sat = np.abs(fake.grad).sum()
    fake.zero_grad()
    G.gan_generator_loss(fake).backward()
    assert np.abs(fake.grad).sum() > 1000 * g_sat


def test_pack_gradcheck_and_layout():
    x = np.arange(12.0).reshape(6, 2)
    assert gradcheck(lambda a: G.pack(a, 3), [x]).passed
    packed = G.pack(t64(x), 2).data
    assert packed.shape == (3, 4) and np.array_equal(packed[1], [4, 5, 6, 7])


def test_vae_loss_gradient_reaches_every_parameter():
    model = G.VAE(6, 5, 2, rng=0)
    x = (np.random.default_rng(4).random((3, 6)) < 0.5).astype(np.float32)
    model.loss(x, rng=1).backward()
    assert all(p.grad is not None and np.abs(p.grad).sum() > 0 for p in model.parameters())


# ----------------------------------------------------------------- bounds

def test_log_mean_exp_matches_naive_and_survives_large_values():
    a = np.random.default_rng(5).normal(size=(7, 3))
    assert np.allclose(G.log_mean_exp(a, axis=0), np.log(np.exp(a).mean(axis=0)))
    assert G.log_mean_exp(np.array([-1000.0, -1000.0])) == pytest.approx(-1000.0)


def test_iwae_bound_matches_a_direct_computation():
    model = G.VAE(5, 4, 2, rng=0)
    x = (np.random.default_rng(6).random((3, 5)) < 0.5).astype(np.float32)
    k = 7
    got = model.iwae_bound(x, k, rng=9, chunk=3)
    # The same draws, one sample at a time, in float64 where possible.
    rng = np.random.default_rng(9)
    mu, lv = (t.data.astype(np.float64) for t in model.encode(x))
    eps = np.concatenate([rng.standard_normal((m, 3, 2)) for m in (3, 3, 1)])
    logw = np.empty((k, 3))
    for i in range(k):
        z = (mu + np.exp(0.5 * lv) * eps[i]).astype(np.float32)
        log_px = G.bernoulli_log_prob(x, model.decode(z)).data
        log_pz = -0.5 * (z.astype(np.float64) ** 2 + math.log(2 * math.pi)).sum(axis=1)
        log_qz = -0.5 * (eps[i] ** 2 + lv + math.log(2 * math.pi)).sum(axis=1)
        logw[i] = log_px + log_pz - log_qz
    assert np.allclose(got, np.log(np.exp(logw).mean(axis=0)), atol=1e-4)


def test_iwae_with_one_sample_is_an_unbiased_elbo():
    model = G.VAE(6, 5, 2, rng=1)
    x = (np.random.default_rng(7).random((2, 6)) < 0.5).astype(np.float32)
    x_rep = np.repeat(x, 4000, axis=0)
    with mc.no_grad():
        rec, kl = model.elbo_terms(x_rep, rng=2)
    elbo = (rec - kl).data.reshape(2, 4000).mean(axis=1)
    iwae1 = model.iwae_bound(x_rep, 1, rng=5).reshape(2, 4000).mean(axis=1)  # independent draws
    assert np.allclose(elbo, iwae1, atol=0.05)
    assert np.all(model.iwae_bound(x, 2000, rng=3) > elbo)


def test_kl_closed_form_used_by_vae_matches_monte_carlo():
    rng = np.random.default_rng(8)
    mu, lv = np.array([[0.3, -0.9]]), np.array([[0.5, -1.0]])
    z = mu + np.exp(0.5 * lv) * rng.standard_normal((400_000, 2))
    ratio = (G.gaussian_log_prob(t64(z), mu, lv).data
             - G.gaussian_log_prob(t64(z), np.zeros(2), np.zeros(2)).data)
    closed = F.kl_div_gaussian(t64(mu), t64(lv)).item()
    assert abs(ratio.mean() - closed) < 4 * ratio.std() / math.sqrt(len(ratio))


# ----------------------------------------------------------------- data and mode statistics

def test_ring_and_grid_geometry():
    X, c = G.ring_of_gaussians(1000, n_modes=8, radius=2.0, std=0.02, rng=0)
    assert X.shape == (1000, 2) and c.shape == (8, 2)
    assert np.allclose(np.linalg.norm(c, axis=1), 2.0)
    assert np.abs(np.linalg.norm(X, axis=1) - 2.0).max() < 0.2
    X, c = G.grid_of_gaussians(500, side=5, spacing=2.0, rng=0)
    assert c.shape == (25, 2) and np.allclose(np.unique(c[:, 0]), [-4, -2, 0, 2, 4])


def test_mode_statistics_on_known_cases():
    _, c = G.ring_of_gaussians(10, n_modes=8, rng=0)
    one_mode = np.repeat(c[:1], 80, axis=0)
    s = G.mode_statistics(one_mode, c, std=0.05)
    assert s["modes"] == 1 and s["high_quality"] == 1.0 and s["kl"] == pytest.approx(math.log(8))
    even = np.repeat(c, 10, axis=0) + 0.01
    s = G.mode_statistics(even, c, std=0.05)
    assert s["modes"] == 8 and s["kl"] == pytest.approx(0.0, abs=1e-12)
    far = np.full((10, 2), 50.0)
    s = G.mode_statistics(far, c, std=0.05)
    assert s["modes"] == 0 and s["high_quality"] == 0.0 and s["kl"] == math.inf
    # A mode with fewer than min_share of its fair share of samples is not captured.
    few = np.concatenate([np.repeat(c[:7], 20, axis=0), c[7:8]])
    assert G.mode_statistics(few, c, std=0.05)["modes"] == 7


# ----------------------------------------------------------------- bad input

def test_bad_input_is_rejected_clearly():
    with pytest.raises(ValueError, match="shapes must match"):
        G.reparameterize(t64(np.zeros((2, 3))), t64(np.zeros((2, 2))))
    with pytest.raises(TypeError, match="floating point"):
        G.reparameterize(mc.Tensor(np.zeros((2, 3), dtype=np.int64)), t64(np.zeros((2, 3))))
    with pytest.raises(ValueError, match="broadcast"):
        G.gaussian_log_prob(t64(np.zeros((2, 3))), np.zeros(4), np.zeros(4))
    with pytest.raises(ValueError, match="multiple of packing"):
        G.pack(t64(np.zeros((5, 2))), 2)
    with pytest.raises(ValueError, match="packing must be a positive integer"):
        G.pack(t64(np.zeros((4, 2))), 0)
    with pytest.raises(TypeError, match="saturating"):
        G.gan_generator_loss(t64(np.zeros((2, 1))), saturating="yes")
    with pytest.raises(ValueError, match="n_latent"):
        G.VAE(4, 3, 0)
    with pytest.raises(ValueError, match="beta"):
        G.VAE(4, 3, 2, rng=0).loss(np.zeros((2, 4), dtype=np.float32), beta=-1.0)
    model = G.VAE(4, 3, 2, rng=0)
    with pytest.raises(ValueError, match="k must be a positive integer"):
        model.iwae_bound(np.zeros((2, 4)), 0)
    with pytest.raises(ValueError, match=r"shape \(N, 4\)"):
        model.iwae_bound(np.zeros((2, 5)), 3)
    with pytest.raises(ValueError, match="std must be a positive number"):
        G.ring_of_gaussians(10, std=0.0)
    with pytest.raises(ValueError, match="same D"):
        G.mode_statistics(np.zeros((3, 3)), np.zeros((2, 2)), std=1.0)
    with pytest.raises(ValueError, match="targets must lie"):
        G.bernoulli_log_prob(np.full((1, 2), 2.0), t64(np.zeros((1, 2))))
