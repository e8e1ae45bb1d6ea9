"""Shared by the metric tests: a settings profile and the checks of loss-based metrics.

The labelled batches the metric tests draw (binary, multi-label, regression) are in
``strategies.py``.
"""
import pytest
from hypothesis import settings

from kerastutor import losses, metrics

#: Tests that take scikit-learn as the reference.
FEW = settings(deadline=None, max_examples=20)


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
