"""Hinge losses: formulas and gradients away from the margin's kink."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from kerastutor import gradcheck, losses
from loss_cases import away_from, weights_for
from strategies import LOSS_CASES


# ================================================================ hinges
def test_hinge_family_formulas():
    y01 = np.array([[0.0, 1.0, 1.0]])                 # 0/1 labels become -1/+1
    p = np.array([[0.3, 0.4, 2.0]])
    margins = 1 - np.array([[-1.0, 1.0, 1.0]]) * p
    np.testing.assert_allclose(losses.hinge(y01, p), np.maximum(margins, 0).mean(-1))
    np.testing.assert_allclose(losses.squared_hinge(y01, p),
                               (np.maximum(margins, 0) ** 2).mean(-1))
    one_hot, scores = np.array([[0.0, 1.0, 0.0]]), np.array([[0.5, 1.2, 0.9]])
    np.testing.assert_allclose(losses.categorical_hinge(one_hot, scores), [0.9 - 1.2 + 1])


@settings(deadline=None)
@given(**LOSS_CASES, squared=st.booleans(), zero_one=st.booleans())
def test_hinge_gradients(batch, width, seed, reduction, weighted, squared, zero_one):
    rng = np.random.default_rng(seed)
    signs = rng.choice([-1.0, 1.0], (batch, width))
    y_pred = signs * (1 - away_from(rng, (batch, width), 0.0, 0.1))   # margins away from 0
    y = (signs + 1) / 2 if zero_one else signs
    loss = (losses.SquaredHinge if squared else losses.Hinge)(reduction=reduction)
    gradcheck.assert_gradients_ok(loss, y, y_pred, weights_for(rng, batch, weighted))


@settings(deadline=None)
@given(**LOSS_CASES)
def test_categorical_hinge_gradient(batch, width, seed, reduction, weighted):
    rng = np.random.default_rng(seed)
    classes = width + 1
    true_class = rng.integers(0, classes, batch)
    y = np.eye(classes)[true_class]
    # Distinct wrong scores (no ties for the max) and margins away from 0.
    y_pred = np.stack([rng.permutation(classes) * 0.4 + 0.2 for _ in range(batch)])
    y_pred += y * away_from(rng, (batch, 1), 0.0, 0.15, spread=1.5)
    gradcheck.assert_gradients_ok(losses.CategoricalHinge(reduction=reduction), y, y_pred,
                            weights_for(rng, batch, weighted))
