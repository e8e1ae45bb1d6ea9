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


# Per-sample weights with axis=None (one value per batch); tests/oracle/
# test_masks_and_metrics_against_keras.py compares the same rule with Keras 3.15.1.
W_TRUE = (np.random.default_rng(0).random((3, 4, 4, 1)) > 0.5).astype("float32")
W_PRED = np.random.default_rng(1).random((3, 4, 4, 1)).astype("float32")


@pytest.mark.parametrize("reduction, weights, scale", [
    ("sum_over_batch_size", [1.0, 0.0, 2.5], 3.5 / 3),     # mean of the weights
    ("sum_over_batch_size", [[1.0], [0.0], [2.5]], 3.5 / 3),
    ("sum", [1.0, 0.0, 2.5], 3.5),                         # their sum
    ("mean_with_sample_weight", [1.0, 0.0, 2.5], 1.0),     # sum(l w) / sum(w)
    ("mean_with_sample_weight", [0.0, 0.0, 0.0], 0.0),     # divide_no_nan
    ("sum_over_batch_size", 2.0, 2.0),                     # a scalar scales
    ("mean_with_sample_weight", [3.0], 3.0),               # a lone weight is squeezed
])
@pytest.mark.parametrize("make", [lambda r: losses.Dice(reduction=r),
                                  lambda r: losses.Tversky(0.3, 0.7, reduction=r)])
def test_batch_wide_overlap_takes_sample_weights_as_keras(make, reduction, weights, scale):
    """axis=None gives one value for the batch; Keras multiplies it by the weights as
    given and reduces that vector: value and gradient are the unweighted ones times s."""
    loss = make(reduction)
    plain, plain_grad = make("sum").value_and_gradient(W_TRUE, W_PRED)
    value, grad = loss.value_and_gradient(W_TRUE, W_PRED, sample_weight=np.array(weights))
    assert value == pytest.approx(plain * scale, rel=1e-6, abs=1e-7)
    np.testing.assert_allclose(grad, plain_grad * scale, rtol=1e-5, atol=1e-8)
    assert loss(W_TRUE, W_PRED, sample_weight=np.array(weights)) == pytest.approx(value)


def test_batch_wide_overlap_unreduced_is_the_value_times_each_weight():
    plain = float(losses.Dice(reduction="sum")(W_TRUE, W_PRED))
    np.testing.assert_allclose(losses.Dice(reduction=None)(W_TRUE, W_PRED, [1.0, 0.0, 2.5]),
                               [plain, 0.0, 2.5 * plain], rtol=1e-6)
    column = losses.Dice(reduction=None)(W_TRUE, W_PRED, np.array([[1.0], [0.0], [2.5]]))
    assert column.shape == (3, 1)


@settings(deadline=None, max_examples=15)
@given(batch=st.integers(1, 3), seed=SEEDS, reduction=LOSS_REDUCTIONS.filter(bool),
       tversky=st.booleans())
def test_batch_wide_overlap_weighted_gradients(batch, seed, reduction, tversky):
    rng = np.random.default_rng(seed)
    shape = (batch, 3, 2, 1)
    y, y_pred = rng.integers(0, 2, shape).astype(float), rng.uniform(0.0, 1.0, shape)
    loss = losses.Tversky(0.4, 0.6, reduction=reduction) if tversky else \
        losses.Dice(reduction=reduction)
    gradcheck.check_loss(loss, y, y_pred, sample_weight=rng.uniform(0, 2, batch)).assert_ok()


def test_tversky_with_halves_is_dice():
    rng = np.random.default_rng(7)
    y, p = rng.integers(0, 2, (3, 5)).astype(float), rng.uniform(0, 1, (3, 5))
    dice, tversky = losses.Dice(axis=1), losses.Tversky(axis=1)
    assert dice(y, p) == pytest.approx(tversky(y, p), rel=1e-6)
    np.testing.assert_allclose(dice.gradient(y, p), tversky.gradient(y, p), rtol=1e-5)
