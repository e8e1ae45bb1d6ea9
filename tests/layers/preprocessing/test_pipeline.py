"""Pipeline: layers in order, the chain-rule backward, training default, config."""
import numpy as np
import pytest

from kerastutor import gradcheck
from kerastutor import layers


def test_applies_layers_in_order():
    x = np.arange(12, dtype="float32").reshape(1, 2, 3, 2)
    pipe = layers.Pipeline([layers.Rescaling(2.0, offset=1.0), layers.Rescaling(0.5)])
    np.testing.assert_allclose(pipe(x), (2 * x + 1) * 0.5)
    assert pipe.compute_output_shape((None, 8, 8, 3)) == (None, 8, 8, 3)
    assert len(pipe.layers) == 2


def test_training_default_and_inference():
    x = np.random.default_rng(0).uniform(size=(4, 5, 5, 1)).astype("float32")
    pipe = layers.Pipeline([layers.RandomRotation(0.2, seed=0), layers.RandomShear(0.3)])
    assert not np.allclose(pipe(x), x)                   # direct call: training=True
    np.testing.assert_array_equal(pipe(x, training=False), x)


def test_config_round_trip():
    pipe = layers.Pipeline([layers.RandomFlip("horizontal", seed=1), layers.RandomShear(0.2)],
                           name="augment")
    config = pipe.get_config()
    assert set(config) == {"layers", "name"}
    assert config["layers"][1]["class_name"] == "RandomShear"
    again = layers.Pipeline.from_config(config)
    assert again.name == "augment" and [type(l).__name__ for l in again.layers] == [
        "RandomFlip", "RandomShear"]
    with pytest.raises(ValueError, match="layers"):
        layers.Pipeline.from_config({"name": "x"})
    with pytest.raises(ValueError, match="list of layers"):
        layers.Pipeline(layers.RandomFlip())


def test_gradients():
    x = np.random.default_rng(1).normal(size=(2, 4, 5, 2))
    pipe = layers.Pipeline([layers.RandomShear(0.3, 0.3, seed=2), layers.Rescaling(3.0),
                            layers.RandomErasing(factor=(1, 1), seed=3)])
    gradcheck.assert_gradients_ok(pipe, x, training=True)
    gradcheck.assert_backward_repeatable(pipe, x, training=True)
