"""Constraints: projections applied to a weight after each optimizer step."""
import numpy as np

import kerastutor as keras
from kerastutor import constraints

W = np.array([[1.0, -2.0], [0.5, 0.0]])


def test_constraints_project_after_each_step():
    np.testing.assert_array_equal(constraints.NonNeg()(W), [[1.0, 0.0], [0.5, 0.0]])
    norms = np.linalg.norm(constraints.MaxNorm(1.0)(W), axis=0)
    assert (norms <= 1.0 + 1e-6).all()
    np.testing.assert_allclose(np.linalg.norm(constraints.UnitNorm()(W), axis=0), 1.0,
                               rtol=1e-6)
    limited = np.linalg.norm(constraints.MinMaxNorm(1.5, 2.0)(W), axis=0)
    assert ((limited >= 1.5 - 1e-6) & (limited <= 2.0 + 1e-6)).all()
    assert isinstance(constraints.get("non_neg"), constraints.NonNeg)
    assert constraints.max_norm is constraints.MaxNorm
    assert constraints.min_max_norm is constraints.MinMaxNorm
    assert constraints.unit_norm is constraints.UnitNorm
    assert constraints.non_neg is constraints.NonNeg
    assert isinstance(constraints.Constraint()(W), np.ndarray)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(
        1, kernel_constraint="non_neg", kernel_initializer="ones")])
    model.compile(keras.optimizers.SGD(1.0), "mse")
    model.fit(np.ones((4, 2), "float32"), np.full((4, 1), -10.0, "float32"), verbose=0)
    assert (model.layers[0].kernel.value >= 0).all()
