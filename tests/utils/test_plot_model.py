"""keras.utils.plot_model: the graph it draws, and the picture it saves."""
import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

import kerastutor as keras  # noqa: E402
from kerastutor.utils.model_plot import model_graph, ranks  # noqa: E402


def branching_model():
    a, b = keras.Input((4,), name="a"), keras.Input((3,), name="b")
    left = keras.layers.Dense(5, name="left")(a)
    merged = keras.layers.Concatenate(name="join")([left, b])
    return keras.Model([a, b], keras.layers.Dense(2, name="out")(merged))


def test_graph_and_ranks_of_a_branching_model():
    layers, edges = model_graph(branching_model())
    names = [layer.name for layer in layers]
    assert names == ["a", "b", "left", "join", "out"]
    assert set(edges) == {(0, 2), (2, 3), (1, 3), (3, 4)}
    # join waits for its longest input path: a -> left -> join
    assert ranks(len(layers), edges) == [0, 0, 1, 2, 3]


def test_plot_model_writes_a_picture_with_the_labels(tmp_path):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu",
                                                                    name="hidden"),
                              keras.layers.Dense(2, name="out")])
    target = tmp_path / "model.png"
    figure = keras.utils.plot_model(model, to_file=str(target), show_shapes=True,
                                    show_layer_names=True, show_layer_activations=True)
    assert target.stat().st_size > 1000
    texts = [t.get_text() for t in figure.axes[0].texts if t.get_text()]
    assert any("hidden (Dense)" in t and "out: (None, 3)" in t and "relu" in t for t in texts)
    assert len(texts) == 3                                # input layer + two Dense boxes


def test_plot_model_left_to_right_and_kind_errors(tmp_path):
    keras.utils.plot_model(branching_model(), to_file=str(tmp_path / "m.png"), rankdir="LR")
    with pytest.raises(ValueError, match="rankdir"):
        keras.utils.plot_model(branching_model(), to_file=None, rankdir="BT")

    class Sub(keras.Model):
        def call(self, x):
            return x

    with pytest.raises(ValueError, match="subclassed"):
        keras.utils.plot_model(Sub(), to_file=None)
