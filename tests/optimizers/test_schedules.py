"""Learning rates: schedules (``keras.optimizers.schedules``), callables, the setter."""
import numpy as np
import pytest

from kerastutor import optimizers
from kerastutor.optimizers.schedules import PolynomialDecay
from optimizer_cases import steps, weight



def test_schedule_is_read_at_iterations_before_the_increment():
    schedule = optimizers.schedules.ExponentialDecay(1.0, decay_steps=1, decay_rate=0.5)
    sgd = optimizers.SGD(schedule)
    w, moves = weight([0.0]), []
    for _ in range(3):
        w.grad = np.array([1.0], "float32")
        before = float(w.value[0])
        sgd.apply([w])
        moves.append(before - float(w.value[0]))
    assert moves == [1.0, 0.5, 0.25]
    assert sgd.iterations == 3 and sgd.learning_rate == 0.125


def test_callable_learning_rate_is_called_without_arguments():
    calls = []
    sgd = optimizers.SGD(lambda: calls.append(1) or 0.5)
    np.testing.assert_allclose(steps(sgd, var=[1.0], grad=[1.0]), [0.5])
    assert calls and "learning_rate" not in sgd.variable_names


def test_learning_rate_setter_and_float32_storage():
    adam = optimizers.Adam()
    assert adam.learning_rate == 0.0010000000474974513
    adam.learning_rate = 0.5
    assert adam.learning_rate == 0.5 and float(adam.variables[1]) == 0.5
    scheduled = optimizers.Adam(optimizers.schedules.InverseTimeDecay(1.0, 1, 1.0))
    with pytest.raises(TypeError, match="LearningRateSchedule"):
        scheduled.learning_rate = 0.1


# ------------------------------------------------------------------------- schedules
def test_schedules_follow_their_formulas():
    s = optimizers.schedules
    exponential = s.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=True)
    assert [exponential(t) for t in (0, 9, 10, 25)] == pytest.approx([0.1, 0.1, 0.05, 0.025])
    piecewise = s.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    assert [piecewise(t) for t in (0, 10, 11, 20, 21)] == [1.0, 1.0, 0.5, 0.5, 0.1]
    polynomial = s.PolynomialDecay(1.0, decay_steps=10, end_learning_rate=0.1, power=2.0)
    assert [polynomial(t) for t in (0, 5, 10, 50)] == pytest.approx([1.0, 0.325, 0.1, 0.1])
    inverse = s.InverseTimeDecay(1.0, decay_steps=2, decay_rate=0.5)
    assert inverse(4) == pytest.approx(0.5)
    cosine = s.CosineDecay(1.0, decay_steps=10, alpha=0.1)
    assert [cosine(t) for t in (0, 5, 10, 99)] == pytest.approx([1.0, 0.55, 0.1, 0.1])
    warm = s.CosineDecay(0.0, decay_steps=10, warmup_target=1.0, warmup_steps=4)
    assert [warm(t) for t in (0, 2, 4, 9)] == pytest.approx([0.0, 0.5, 1.0, 0.5])
    restarts = s.CosineDecayRestarts(1.0, first_decay_steps=4)
    # lengths 4, 8, ...: the second cosine starts (at full height) on step 4
    assert [restarts(t) for t in (0, 2, 4, 8)] == pytest.approx([1.0, 0.5, 1.0, 0.5])
    np.testing.assert_allclose(piecewise(np.array([5, 15, 25])), [1.0, 0.5, 0.1])


def test_schedules_round_trip_through_the_optimizer_config():
    schedule = PolynomialDecay(0.5, decay_steps=100, cycle=True)
    config = optimizers.serialize(optimizers.SGD(schedule))
    assert config["config"]["learning_rate"]["class_name"] == "PolynomialDecay"
    clone = optimizers.deserialize(config)
    assert isinstance(clone._learning_rate, PolynomialDecay)
    assert clone._learning_rate.get_config() == schedule.get_config()
