"""Kind errors for the mistakes learners make first: each names what, expected, given, hint."""
import numpy as np
import pytest

import kerastutor as keras
from kerastutor import layers


def mnist_like_model(compile_loss="categorical_crossentropy"):
    model = keras.Sequential([keras.Input((784,)), layers.Dense(16, activation="relu"),
                              layers.Dense(10, activation="softmax")])
    model.compile("adam", compile_loss, metrics=["accuracy"])
    return model


def test_input_shape_not_matching_the_first_layer():
    model = mnist_like_model()
    images = np.zeros((4, 28, 28), "float32")
    with pytest.raises(ValueError) as err:
        model.fit(images, np.zeros((4, 10)), verbose=0)
    text = str(err.value)
    assert '"sequential"' in text and "(None, 784)" in text and "(4, 28, 28)" in text


def test_shape_error_while_stacking_shows_the_shape_trace():
    with pytest.raises(ValueError) as err:
        keras.Sequential([keras.Input((28, 28)), layers.Dense(10), layers.Reshape((50,))])
    text = str(err.value)
    assert "cannot reshape" in text and "Shapes through model" in text
    assert "dense (Dense) (None, 28, 10)" in text


def test_dense_given_images_suggests_flatten():
    dense = layers.Dense(3)
    dense(np.ones((2, 784), "float32"))
    with pytest.raises(ValueError, match="Flatn?ten"):
        dense(np.ones((2, 28, 28), "float32"))


def test_layer_expected_axis_error_names_the_layer():
    dense = layers.Dense(3)
    dense(np.ones((2, 4), "float32"))
    with pytest.raises(ValueError, match=r'layer "dense".*expected axis -1.*value 4.*\(2, 5\)'):
        dense(np.ones((2, 5), "float32"))


def test_batch_size_inside_input_shape_gets_a_hint():
    model = keras.Sequential([layers.Dense(3, input_shape=(100, 4)), layers.Flatten(),
                              layers.Dense(1)])
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match="batch size"):
        model.fit(np.ones((100, 4), "float32"), np.ones((100, 1)), verbose=0)


def test_integer_labels_with_categorical_crossentropy():
    model = mnist_like_model("categorical_crossentropy")
    with pytest.raises(ValueError) as err:
        model.fit(np.zeros((4, 784), "float32"), np.array([1, 2, 3, 4]), verbose=0)
    text = str(err.value)
    assert "sparse_categorical_crossentropy" in text and "to_categorical" in text


def test_one_hot_labels_with_sparse_crossentropy():
    model = mnist_like_model("sparse_categorical_crossentropy")
    y = keras.utils.to_categorical([1, 2, 3, 4], 10)
    with pytest.raises(ValueError) as err:
        model.fit(np.zeros((4, 784), "float32"), y, verbose=0)
    assert "categorical_crossentropy" in str(err.value)


def test_labels_out_of_range():
    model = mnist_like_model("sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="10"):
        model.fit(np.zeros((2, 784), "float32"), np.array([3, 10]), verbose=0)


def test_fit_before_compile():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    with pytest.raises(RuntimeError, match=r"compile\(\)"):
        model.fit(np.ones((2, 3)), np.ones((2, 1)), verbose=0)


@pytest.mark.parametrize("kind, bad, suggestion", [
    ("optimizer", "adamm", "adam"),
    ("loss", "categorical_crossentropi", "categorical_crossentropy"),
])
def test_unknown_names_suggest_the_closest(kind, bad, suggestion):
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2, activation="softmax")])
    kwargs = {"optimizer": "adam", "loss": "mse", kind: bad}
    with pytest.raises(ValueError, match=suggestion):
        model.compile(**kwargs)
        model.fit(np.ones((2, 3), "float32"), np.ones((2, 2), "float32"), verbose=0)


def test_unknown_metric_and_activation_suggest_the_closest():
    with pytest.raises(ValueError, match="relu"):
        layers.Dense(3, activation="rellu")
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2, activation="softmax")])
    with pytest.raises(ValueError, match="mean_absolute_error"):
        model.compile("adam", "mse", metrics=["mean_absolut_error"])


@pytest.mark.parametrize("where", ["x", "y"])
def test_nan_in_the_data(where):
    x, y = np.ones((5, 3), "float32"), np.ones((5, 1), "float32")
    (x if where == "x" else y)[2, 0] = np.nan
    model = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match=rf"^{where} contains 1 NaN.*index \(2, 0\)"):
        model.fit(x, y, verbose=0)


def test_unknown_layer_keyword_suggests_the_right_one():
    with pytest.raises(ValueError, match="kernel_initializer"):
        layers.Dense(3, kernel_initialiser="ones")


def test_layer_without_backward_says_so():
    class Square(keras.layers.Layer):
        def forward(self, x, training=False):
            return x * x, x

    # After a trained layer its backward is needed: refused at compile, by name.
    model = keras.Sequential([keras.Input((2,)), layers.Dense(2), Square(), layers.Dense(1)])
    np.testing.assert_allclose(model(np.ones((1, 2))).shape, (1, 1))   # inference works
    with pytest.raises(NotImplementedError, match=r'"square".*no backward'):
        model.compile("sgd", "mse")
    # Before every trainable weight no gradient has to pass through it (a preprocessing
    # step): it compiles and trains.
    front = keras.Sequential([keras.Input((2,)), Square(), layers.Dense(1)])
    front.compile("sgd", "mse")
    front.fit(np.ones((4, 2)), np.ones((4, 1)), verbose=0)


def test_x_and_y_lengths_must_match():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match="x has 4 samples but y has 3"):
        model.fit(np.ones((4, 3)), np.ones((3, 1)), verbose=0)
