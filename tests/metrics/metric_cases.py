"""Shared by the metric tests: hypothesis strategies, a settings profile and loss-metric checks.

The strategies draw small batches with weights that scikit-learn accepts (never all
zero), so the tests that take scikit-learn as the reference can use them directly.
"""
import numpy as np
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from kerastutor import losses, metrics

#: Tests that take scikit-learn as the reference.
FEW = settings(deadline=None, max_examples=20)


# ------------------------------------------------------------------ strategies
@st.composite
def binary_batches(draw, max_rows=12):
    """(y_true 0/1, y_pred in [0, 1], sample weights), all of shape (n,)."""
    n = draw(st.integers(1, max_rows))
    y_true = draw(hnp.arrays(np.int64, n, elements=st.integers(0, 1)))
    y_pred = draw(hnp.arrays(np.float64, n, elements=st.sampled_from(
        [0.0, 0.1, 0.3, 0.5, 0.55, 0.7, 0.9, 1.0])))
    weights = draw(hnp.arrays(np.float64, n, elements=st.sampled_from([0.0, 0.5, 1.0, 2.0])))
    weights[0] = 1.0  # sklearn refuses all-zero weights
    return y_true, y_pred, weights


@st.composite
def multilabel_batches(draw):
    """(y_true multi-hot (n, c), y_pred scores (n, c), weights (n,)); c >= 2.

    sklearn reads a single column as binary labels, not as one label of a
    multi-label problem, so the strategy draws at least two columns.
    """
    n, c = draw(st.integers(1, 10)), draw(st.integers(2, 4))
    y_true = draw(hnp.arrays(np.int64, (n, c), elements=st.integers(0, 1)))
    y_pred = draw(hnp.arrays(np.float64, (n, c), elements=st.sampled_from(
        [0.05, 0.2, 0.4, 0.6, 0.8, 0.95])))
    weights = draw(hnp.arrays(np.float64, n, elements=st.sampled_from([0.0, 0.5, 1.0, 3.0])))
    weights[0] = 1.0  # sklearn refuses all-zero weights
    return y_true, y_pred, weights


@st.composite
def regression_batches(draw):
    """(y_true, y_pred, weights) with (n, d) targets whose columns are not constant."""
    n, d = draw(st.integers(3, 12)), draw(st.integers(1, 3))
    values = st.integers(-20, 20).map(lambda v: v / 4)
    y_true = draw(hnp.arrays(np.float64, (n, d), elements=values))
    y_pred = draw(hnp.arrays(np.float64, (n, d), elements=values))
    weights = draw(hnp.arrays(np.float64, n, elements=st.sampled_from([0.5, 1.0, 2.0])))
    # A constant column has no variance: Keras and sklearn disagree there by design.
    y_true[0] = y_true[1] + 1
    return y_true, y_pred, weights


# ----------------------------------------------------------- loss-based metrics
def check_keras_golden(cls, y_true, y_pred, expected):
    """A loss-based metric gives Keras's docstring value on Keras's docstring data."""
    assert cls()(y_true, y_pred) == pytest.approx(expected, rel=1e-5)


def check_weights_accumulate_reset_and_round_trip(cls, y_true, y_pred):
    """The metric is the weighted mean of the loss's per-sample values, and round-trips."""
    m = cls()
    m.update_state(y_true, y_pred, sample_weight=[1.0, 0.0])
    m.update_state(y_true, y_pred, sample_weight=[0.0, 3.0])
    per_sample = getattr(losses, m.fn.__name__)(y_true, y_pred)
    assert m.result() == pytest.approx((per_sample[0] + 3 * per_sample[1]) / 4, rel=1e-5)
    m.reset_state()
    assert m.result() == 0.0
    clone = metrics.get(metrics.serialize(m))
    assert type(clone) is cls and clone.get_config() == m.get_config()
    assert metrics.get(metrics.metric.object_name(cls.__name__)).name == m.name
