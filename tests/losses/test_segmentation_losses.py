"""Dice and Tversky: Keras's golden numbers and gradients."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kerastutor import gradcheck, losses
from strategies import LOSS_REDUCTIONS, SEEDS


# =============================================================== overlap
SEG_TRUE = np.array([[1, 0, 1, 0], [0, 1, 0, 1], [1, 0, 1, 0], [0, 1, 0, 1]])
SEG_PRED = np.array([[0, 1, 0, 1], [1, 0, 1, 1], [0, 1, 0, 1], [1, 0, 1, 1]])
IMG_TRUE = np.array([[[[1.0], [1.0]], [[0.0], [0.0]]], [[[1.0], [1.0]], [[0.0], [0.0]]]])
IMG_PRED = np.array([[[[0.0], [1.0]], [[0.0], [1.0]]], [[[0.4], [0.0]], [[0.0], [0.9]]]])


def test_dice_golden_numbers():
    assert losses.Dice()(np.array([[1, 2], [1, 2]]), np.array([[4, 1], [6, 1]])) == \
        pytest.approx(-0.55555546, rel=1e-6)
    assert losses.Dice()(SEG_TRUE, SEG_PRED) == pytest.approx(0.77777773, rel=1e-6)
    per_image = losses.Dice(axis=(1, 2, 3), reduction=None)(IMG_TRUE, IMG_PRED)
    np.testing.assert_allclose(per_image, [0.5, 0.75757575], rtol=1e-6)
    whole = losses.dice(IMG_TRUE, IMG_PRED)
    assert np.shape(whole) == () and float(whole) == pytest.approx(0.6164384, rel=1e-6)
    assert losses.Dice(axis=(1, 2, 3))(IMG_TRUE, IMG_PRED) == \
        pytest.approx((0.5 + 0.75757575) / 2, rel=1e-6)


def test_tversky_golden_numbers():
    two, pred = np.array([[1, 2], [1, 2]]), np.array([[4, 1], [6, 1]])
    assert losses.Tversky()(two, pred) == pytest.approx(-0.55555546, rel=1e-6)
    assert losses.Tversky(alpha=0.2, beta=0.8)(two, pred) == pytest.approx(-0.29629636,
                                                                            rel=1e-6)
    assert losses.Tversky()(SEG_TRUE, SEG_PRED) == pytest.approx(0.77777773, rel=1e-6)
    assert losses.Tversky(alpha=0.2, beta=0.8)(SEG_TRUE, SEG_PRED) == \
        pytest.approx(0.7916667, rel=1e-6)
    np.testing.assert_allclose(losses.Tversky(axis=(1, 2, 3), reduction=None)(
        IMG_TRUE, IMG_PRED), [0.5, 0.75757575], rtol=1e-6)
    np.testing.assert_allclose(losses.tversky(IMG_TRUE, IMG_PRED, 0.2, 0.8, axis=(1, 2, 3)),
                               [0.5, 0.7222222], rtol=1e-6)


@settings(deadline=None, max_examples=20)
@given(batch=st.integers(1, 3), seed=SEEDS,
       axis=st.sampled_from([None, -1, 0, (1, 2), (1, 2, 3)]),
       reduction=LOSS_REDUCTIONS, tversky=st.booleans(),
       alpha=st.floats(0.1, 1.0), beta=st.floats(0.1, 1.0))
def test_dice_and_tversky_gradients(batch, seed, axis, reduction, tversky, alpha, beta):
    # (alpha = beta = 0 leaves 1 - I / (I + eps): a gradient of order eps, all round-off)
    rng = np.random.default_rng(seed)
    shape = (batch, 3, 2, 1)
    y, y_pred = rng.integers(0, 2, shape).astype(float), rng.uniform(0.0, 1.0, shape)
    loss = losses.Tversky(alpha, beta, reduction=reduction, axis=axis) if tversky else \
        losses.Dice(reduction=reduction, axis=axis)
    gradcheck.assert_gradients_ok(loss, y, y_pred)


def test_tversky_with_halves_is_dice():
    rng = np.random.default_rng(7)
    y, p = rng.integers(0, 2, (3, 5)).astype(float), rng.uniform(0, 1, (3, 5))
    dice, tversky = losses.Dice(axis=1), losses.Tversky(axis=1)
    assert dice(y, p) == pytest.approx(tversky(y, p), rel=1e-6)
    np.testing.assert_allclose(dice.gradient(y, p), tversky.gradient(y, p), rtol=1e-5)
