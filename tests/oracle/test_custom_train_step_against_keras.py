"""A custom ``train_step`` (the guide "Customizing what happens in fit()") against Keras 3.

The same model class is written for each library; only the gradient lines differ, as
the guide's backends differ: kerastutor records with ``keras.GradientTape``, Keras on
torch calls ``loss.backward()``. From identical initial weights, with ``shuffle=False``,
the losses and metrics of every epoch must agree. Run with KERASTUTOR_ORACLE=1.
"""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import kerastutor  # noqa: E402

RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 6)).astype("float32")
Y = RNG.normal(size=(40, 1)).astype("float32")
SW = RNG.uniform(0.5, 2.0, 40).astype("float32")


def gradients(lib, model, loss_fn):
    """The one place the two libraries differ: how gradients are taken."""
    if lib is kerastutor:
        with kerastutor.GradientTape() as tape:
            loss, y_pred = loss_fn()
        return loss, y_pred, tape.gradient(loss, model.trainable_variables)
    model.zero_grad()
    loss, y_pred = loss_fn()
    loss.backward()
    return loss, y_pred, [v.value.grad for v in model.trainable_variables]


def custom_model_class(lib):
    class CustomModel(lib.Model):
        def train_step(self, data):
            x, y, sample_weight = lib.utils.unpack_x_y_sample_weight(data)

            def loss_fn():
                y_pred = self(x, training=True)
                return self.compute_loss(y=y, y_pred=y_pred,
                                         sample_weight=sample_weight), y_pred
            loss, y_pred, grads = gradients(lib, self, loss_fn)
            if lib is keras:
                with torch.no_grad():
                    self.optimizer.apply(grads, self.trainable_variables)
            else:
                self.optimizer.apply(grads, self.trainable_variables)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred, sample_weight=sample_weight)
            return {m.name: m.result() for m in self.metrics}
    return CustomModel


def build(lib):
    inputs = lib.Input(shape=(6,))
    hidden = lib.layers.Dense(5, activation="tanh")(inputs)
    model = custom_model_class(lib)(inputs, lib.layers.Dense(1)(hidden))
    model.set_weights([np.random.default_rng(i).normal(size=w.shape).astype("float32") * 0.5
                       for i, w in enumerate(model.get_weights())])
    model.compile(optimizer=lib.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    return model


@pytest.mark.parametrize("weighted", [False, True])
def test_a_custom_train_step_trains_as_in_keras(weighted):
    histories = []
    for lib in (kerastutor, keras):
        lib.utils.set_random_seed(0)
        model = build(lib)
        history = model.fit(X, Y, sample_weight=SW if weighted else None, batch_size=8,
                            epochs=3, shuffle=False, verbose=0).history
        histories.append({k: np.asarray(v, dtype=float) for k, v in history.items()})
    ours, theirs = histories
    assert sorted(ours) == sorted(theirs) == ["loss", "mae"]
    for key in ours:
        np.testing.assert_allclose(ours[key], theirs[key], rtol=2e-5, err_msg=key)
