"""RandomColorDegeneration: the blend toward gray, the [-1, 1] factor, clipping, gradients."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kerastutor import gradcheck
from kerastutor.layers.preprocessing.random_color_degeneration import \
    RandomColorDegeneration


def test_by_hand_and_inference():
    x = np.array([[[[100., 50., 10.]]]], "float32")
    gray = 0.2989 * 100 + 0.587 * 50 + 0.114 * 10
    y = RandomColorDegeneration((0.5, 0.5))(x)
    np.testing.assert_allclose(y[0, 0, 0], (x[0, 0, 0] + gray) / 2, rtol=1e-6)
    np.testing.assert_allclose(RandomColorDegeneration((1.0, 1.0))(x)[0, 0, 0], [gray] * 3,
                               rtol=1e-6)
    y = RandomColorDegeneration((-1.0, -1.0))(x)                 # 2x - gray, clipped at 0
    np.testing.assert_allclose(y[0, 0, 0], np.clip(2 * x[0, 0, 0] - gray, 0, 255), rtol=1e-6)
    np.testing.assert_array_equal(RandomColorDegeneration(0.5)(x, training=False), x)


def test_errors_and_config():
    assert RandomColorDegeneration(0.5).factor == (-0.5, 0.5)
    with pytest.raises(ValueError, match="value_range"):
        RandomColorDegeneration(0.5, value_range=3)
    with pytest.raises(ValueError, match="3 channels"):
        RandomColorDegeneration(0.5).compute_output_shape((None, 4, 4, 2))
    config = RandomColorDegeneration(0.2, value_range=(1, 0), seed=2).get_config()
    assert config["value_range"] == [0, 1] and config["factor"] == (-0.2, 0.2)
    assert RandomColorDegeneration.from_config(config).get_config() == config


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 99))
def test_gradients(seed):
    x = np.random.default_rng(seed).uniform(0.3, 0.7, size=(3, 3, 4, 3))
    layer = RandomColorDegeneration(0.8, value_range=(-5, 5), seed=seed)
    gradcheck.assert_gradients_ok(layer, x, training=True)
    gradcheck.assert_backward_repeatable(layer, x, training=True)
