"""Correlation metrics: Keras's goldens, NumPy's corrcoef, configs and the axis."""
import numpy as np
import pytest

from kerastutor import metrics


# Golden numbers from the examples in Keras's correlation_metrics.py.
CORR_TRUE = [[0, 1, 0.5], [1, 1, 0.2]]
CORR_PRED = [[0.1, 0.9, 0.5], [1, 0.9, 0.2]]


def test_pearson_correlation_matches_keras_golden_and_numpy():
    np.testing.assert_allclose(metrics.pearson_correlation(CORR_TRUE, CORR_PRED),
                               [1.0, 0.99339927], rtol=1e-5)
    m = metrics.get("pearson_correlation")
    m.update_state(CORR_TRUE, CORR_PRED)
    assert float(m.result()) == pytest.approx(0.9966996338993913, rel=1e-5)
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(5, 40)), rng.normal(size=(5, 40))
    expected = [np.corrcoef(a[i], b[i])[0, 1] for i in range(5)]
    np.testing.assert_allclose(metrics.pearson_correlation(a, b), expected, rtol=1e-5)


def test_concordance_correlation_matches_keras_golden():
    np.testing.assert_allclose(metrics.concordance_correlation(CORR_TRUE, CORR_PRED),
                               [0.97560976, 0.98765432], rtol=1e-5)
    m = metrics.ConcordanceCorrelation()
    m.update_state(CORR_TRUE, CORR_PRED)
    assert float(m.result()) == pytest.approx(0.9816320385426076, rel=1e-5)
    # perfect agreement is 1; a constant shift lowers it below Pearson's 1
    x = np.random.default_rng(1).normal(size=(3, 50))
    np.testing.assert_allclose(metrics.concordance_correlation(x, x), 1.0, rtol=1e-5)
    assert (metrics.concordance_correlation(x, x + 1.0) < 0.7).all()


@pytest.mark.parametrize("cls", [metrics.PearsonCorrelation, metrics.ConcordanceCorrelation])
def test_correlation_config_and_axis(cls):
    m = cls(axis=0, name="corr")
    assert m.get_config() == {"name": "corr", "dtype": m.dtype, "axis": 0}
    clone = cls.from_config(m.get_config())
    data = np.random.default_rng(2).normal(size=(30, 2))
    m.update_state(data, 2 * data + 1)
    clone.update_state(data, 2 * data + 1)
    assert float(m.result()) == pytest.approx(float(clone.result()))
    assert metrics.get(cls.__name__).name == metrics.get(cls().name).name
