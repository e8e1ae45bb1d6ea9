"""Mean, Sum and MeanMetricWrapper: weighted sums, extra axes, functions by name."""
import pytest

from kerastutor import losses, metrics


def test_mean_keeps_total_and_count():
    m = metrics.Mean()
    m.update_state([1.0, 3.0], sample_weight=[1.0, 3.0])
    total, count = (float(v) for v in m.variables)
    assert (total, count) == (10.0, 4.0)
    assert m.result() == 2.5
    assert [v.path for v in m.variables] == ["mean/total", "mean/count"]


def test_mean_reduces_extra_axes_to_one_value_per_sample():
    m = metrics.Mean()
    m.update_state([[1.0, 2.0], [3.0, 5.0]])            # per-sample means 1.5 and 4
    assert [float(v) for v in m.variables] == [5.5, 2.0]
    weighted = metrics.Mean()
    weighted.update_state([[1.0, 2.0], [3.0, 5.0]], sample_weight=[1.0, 3.0])
    assert weighted.result() == pytest.approx((1.5 + 3 * 4) / 4)
    per_entry = metrics.Mean()
    per_entry.update_state([[1.0, 2.0], [3.0, 5.0]], sample_weight=[[1.0, 0.0], [3.0, 1.0]])
    assert per_entry.result() == pytest.approx((1 + 9 + 5) / 5)


def test_mean_with_a_scalar_weight_and_a_scalar_value():
    m = metrics.Mean()
    m.update_state([1.0, 2.0, 3.0], sample_weight=2.0)
    assert [float(v) for v in m.variables] == [4.0, 2.0]
    scalar = metrics.Mean()
    scalar.update_state(3.0)
    assert [float(v) for v in scalar.variables] == [3.0, 1.0]


def test_sum_is_weighted():
    s = metrics.Sum()
    s.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert s.result() == 4.0
    s.update_state([[1.0, 2.0]])
    assert s.result() == 7.0


def test_loss_functions_wrapped_by_hand_round_trip_through_config():
    m = metrics.MeanMetricWrapper(metrics.hinge, name="my_hinge")
    assert m.get_config()["fn"] == "hinge"
    clone = metrics.MeanMetricWrapper.from_config(m.get_config())
    assert clone.fn is losses.hinge and clone.name == "my_hinge"
    assert metrics.get(metrics.kl_divergence).name == "kl_divergence"
