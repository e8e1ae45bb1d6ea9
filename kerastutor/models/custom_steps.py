"""Your own ``train_step``: the Keras 3 API for customizing what ``fit`` does.

A model class that overrides ``train_step(self, data)``, ``test_step(self, data)``
or ``predict_step(self, data)`` is run by ``fit``/``evaluate``/``predict`` exactly
as Keras 3 runs it: each batch, as the data yields it (``(x, y)``,
``(x, y, sample_weight)`` or ``x``), goes to the step, and the dict of logs the
step returns goes to the callbacks and the History. Inside the step the tools
are Keras's:

* ``self.compute_loss(x, y, y_pred, sample_weight)`` -- the compiled loss plus
  the model's own losses (``add_loss``, regularizers);
* ``self.compute_metrics(x, y, y_pred, sample_weight)`` -- updates the compiled
  metrics, returns every metric's result;
* ``self.metrics`` -- the loss tracker (named ``"loss"``), the compiled metrics
  as one :class:`CompileMetrics` (named ``"compile_metrics"``, as in Keras), and any ``keras.metrics`` object the model holds as an attribute (or a
  ``metrics`` property of your own); ``fit`` resets them at each epoch;
* ``self.optimizer.apply(grads, self.trainable_weights)``.

The one line that differs from the Keras guides is how gradients are taken:
:class:`keras.GradientTape <kerastutor.tape.GradientTape>` (TensorFlow's
spelling) records the forward pass, and ``tape.gradient(loss, weights)`` walks
it back -- the hand-written backward of the built-in layers, the op tape for
custom code.

A model that overrides none of the steps never comes here: ``fit`` keeps its
own loop (:mod:`kerastutor.models.trainer`), with the same numbers and speed.
"""
import numpy as np

from kerastutor import backend
import kerastutor.models.training as training
from kerastutor.metrics.metric import Metric
from kerastutor.utils.dataset_utils import unpack_x_y_sample_weight


#: Keras 3 removed ``compiled_loss``/``compiled_metrics``; guides written for Keras 2 use them.
_KERAS2_NAME = ("{old} is Keras 2's spelling; Keras 3 (and kerastutor) removed it. Fix: "
                "write {new} instead.")


class CustomSteps:
    """Keras 3's step methods, the defaults a subclass overrides (and may call with ``super()``)."""

    # ========================================================= Keras 2 names
    @property
    def compiled_loss(self):
        raise AttributeError(_KERAS2_NAME.format(
            old="self.compiled_loss(y, y_pred)",
            new="self.compute_loss(y=y, y_pred=y_pred, sample_weight=sample_weight)"))

    @property
    def compiled_metrics(self):
        raise AttributeError(_KERAS2_NAME.format(
            old="self.compiled_metrics.update_state(y, y_pred)",
            new="self.compute_metrics(x, y, y_pred, sample_weight) (it returns the logs)"))

    # ================================================================ steps
    def train_step(self, data):
        """One step of training on ``data`` (the built-in step); returns the logs.

        ``super().train_step(data)`` from an override runs kerastutor's own
        step: forward, loss, backward, update, metrics.
        """
        xs, ys, sw = self._step_arrays(data, "fit")
        self._train_step_arrays(xs, ys, sw, self.trainable_weights)
        return training.current_logs(self._compiled)

    def test_step(self, data):
        """Loss and metrics for ``data`` with ``training=False``; returns the logs."""
        xs, ys, sw = self._step_arrays(data, "evaluate")
        self._test_step_arrays(xs, ys, sw, self.trainable_weights)
        return training.current_logs(self._compiled)

    def predict_step(self, data):
        """The model's output for the ``x`` of ``data``, with ``training=False``."""
        x, _, _ = unpack_x_y_sample_weight(data)
        return self(x, training=False)

    def _step_arrays(self, data, what):
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        state = training.require_compiled(self, what)
        return training.prepare_data(self, state, x, y, sample_weight, what)

    def _overrides(self, name):
        """Does this model's class replace the step ``name`` (``"train_step"``, ...)?"""
        return getattr(type(self), name) is not getattr(CustomSteps, name)

    # =========================================================== loss, metrics
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        r"""The total loss :math:`\sum_i w_i L_i(y_i, \hat y_i) + \sum_k \ell_k + R(W)`.

        The compiled loss of each output (weighted by ``loss_weights``), the
        terms the model added during its last call (``add_loss``, activity
        regularizers) and the weight regularization penalties, as Keras's
        ``compute_loss``. Inside ``with keras.GradientTape()`` the result is a
        traced scalar whose gradient the tape knows: each part is recorded as
        one op (see :func:`_own_losses_on_tape`).
        """
        state = training_module_state(self)
        ys = _as_list(y)
        preds = _as_list(y_pred)
        total = None
        if state.loss_spec is not None:
            self._resolve_for(ys)
            for loss, weight, y_i, pred in zip(state.losses, state.loss_weights, ys, preds):
                term = loss(y_i, pred, sample_weight)
                term = term if weight == 1.0 else term * weight
                total = term if total is None else total + term
        own = _own_losses_on_tape(self, preds)
        if total is None and own is None:
            training.require_a_loss(state, self)
        if own is None:
            return total
        return own if total is None else total + own

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Update the compiled metrics with this batch; return every metric's result."""
        compiled = self._compile_metrics()
        if compiled is not None:
            compiled.update_state(y, y_pred, sample_weight=sample_weight)
        return self.get_metrics_result()

    def _compile_metrics(self):
        """The one :class:`CompileMetrics` of this compile (None without compiled metrics)."""
        state = training_module_state(self)
        if not hasattr(state, "compile_metrics"):
            state.compile_metrics = CompileMetrics(self, state)
        return state.compile_metrics if state.metrics_spec or state.weighted_metrics_spec \
            else None

    def get_metrics_result(self):
        """``{name: result}`` for every metric in ``self.metrics``, as floats
        (the compiled metrics' dict is spread out, as Keras does)."""
        return plain_logs({metric.name: metric.result() for metric in self.metrics})

    def reset_metrics(self):
        """Reset every metric in ``self.metrics`` (``fit`` does it at each epoch)."""
        for metric in self.metrics:
            metric.reset_state()

    @property
    def metrics(self):
        """The loss tracker, every compiled metric, then the metrics the model holds.

        The last are the ``keras.metrics`` objects set as attributes, e.g.
        ``self.loss_tracker = keras.metrics.Mean(name="loss")`` in ``__init__``;
        a ``metrics`` property of your own replaces the whole list (as in the
        Keras guide).
        """
        state = getattr(self, "_compiled", None)
        own = [value for value in vars(self).values() if isinstance(value, Metric)]
        if state is None:
            return own
        compiled = self._compile_metrics()
        return [state.loss_tracker] + ([compiled] if compiled is not None else []) + own

    def _resolve_for(self, ys):
        """Turn ``compile``'s names into objects once the targets' shapes are known."""
        state = training_module_state(self)
        if not state.resolved and ys and self.built and self.outputs:
            training.resolve_compiled(self, state, ys)

    # ======================================================= the loops' steps
    def _custom_train_epoch(self, cbs, epoch, batches):
        """One epoch of ``fit`` through an overridden ``train_step``; returns its logs."""
        self.reset_metrics()
        cbs.on_epoch_begin(epoch)
        logs = {}
        for step, batch in batches.epoch():
            cbs.on_train_batch_begin(step)
            logs = plain_logs(self.train_step(step_data(batch)))
            cbs.on_train_batch_end(step, logs)
            if self.stop_training:
                break
        return dict(logs)

    def _custom_evaluate_batches(self, batches, callbacks=None):
        """``evaluate`` (and validation) through an overridden ``test_step``."""
        self.reset_metrics()
        logs = {}
        for step, batch in batches.epoch():
            if callbacks is not None:
                callbacks.on_test_batch_begin(step)
            logs = plain_logs(self.test_step(step_data(batch)))
            if callbacks is not None:
                callbacks.on_test_batch_end(step, logs)
                if getattr(self, "stop_evaluating", False):
                    break
        return dict(logs)


# ============================================================== compiled metrics
class CompileMetrics(Metric):
    """The metrics given to ``compile``, as one metric: what ``self.metrics`` shows in Keras 3.

    A step that loops over ``self.metrics`` calls
    ``metric.update_state(y, y_pred, sample_weight=sw)`` on it. Keras's rule
    decides what the weights do: each ``metrics=`` metric is updated
    **without** them, each ``weighted_metrics=`` metric with them. ``result()``
    is a dict ``{name: value}``, which the logs spread out (``"mae"``, not
    ``"compile_metrics"``).
    """

    def __init__(self, model, state):
        super().__init__(name="compile_metrics")
        self._model, self._state = model, state

    def _all(self):
        return [metric for _, metric in self._state.metrics + self._state.weighted]

    def update_state(self, y_true, y_pred, sample_weight=None):
        ys, preds = _as_list(y_true), _as_list(y_pred)
        self._model._resolve_for(ys)
        for index, metric in self._state.metrics:
            metric.update_state(ys[index], preds[index])
        for index, metric in self._state.weighted:
            metric.update_state(ys[index], preds[index], sample_weight=sample_weight)

    def result(self):
        return {metric.name: metric.result() for metric in self._all()}

    def reset_state(self):
        for metric in self._all():
            metric.reset_state()

    @property
    def variables(self):
        return [v for metric in self._all() for v in metric.variables]


# ============================================================== helpers
def training_module_state(model):
    return training.require_compiled(model, "compute_loss")


def _as_list(value):
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def step_data(batch):
    """A batch ``(xs, ys, sw)`` of lists as the step sees it: ``(x,)``, ``(x, y)``, ``(x, y, sw)``.

    One array stands alone; several stay a list. No targets (``fit(x)``, or the
    empty stand-ins of a model compiled without a loss) give ``(x,)``.
    """
    xs, ys, sw = batch
    x = xs[0] if len(xs) == 1 else list(xs)
    if not ys or all(np.ndim(a) == 2 and np.shape(a)[1] == 0 for a in ys):
        return (x,)
    y = ys[0] if len(ys) == 1 else list(ys)
    return (x, y) if sw is None else (x, y, sw)


def plain_logs(logs):
    """The step's returned dict with numbers as floats (a nested dict is flattened)."""
    if not isinstance(logs, dict):
        raise TypeError(
            f"train_step/test_step must return a dict of logs, e.g. "
            f"{{'loss': loss_tracker.result()}}; got {type(logs).__name__}. Fix: end the "
            "step with `return {m.name: m.result() for m in self.metrics}`.")
    flat = {}
    for name, value in logs.items():
        if isinstance(value, dict):
            flat.update(plain_logs(value))
        else:
            flat[name] = float(np.asarray(backend.to_host(np.asarray(value))))
    return flat


def _own_losses_on_tape(model, preds):
    r"""The model's own loss terms, as one value the tape can differentiate (or None).

    Two parts, each recorded as one op:

    * the terms of the last call (``add_loss``, activity regularizers): their
      gradient is already part of the model's backward, so the op passes a zero
      gradient to the first prediction -- enough to make that backward run;
    * the weight penalties :math:`R(W)`, whose op hands
      :math:`\partial R/\partial W` straight to each weight's ``.grad``.
    """
    from kerastutor.tape import _record, is_traced
    added = [term for layer in [model] + model._all_sublayers() for term in layer._own_losses()]
    regularized = [w for w in model.trainable_weights if w.regularizer is not None]
    if not added and not regularized:
        return None
    total = None
    if added:
        value = np.asarray(sum(float(np.sum(term)) for term in added), backend.floatx())
        anchor = preds[0] if preds else None
        total = _record(value, (anchor,), lambda g: (np.zeros_like(anchor.value),)) \
            if is_traced(anchor) else value
    if regularized:
        value = np.asarray(training.regularization_penalty(regularized), backend.floatx())
        penalty = _record(value, tuple(regularized), lambda g: tuple(
            g * w.regularizer.gradient(w.value) for w in regularized))
        total = penalty if total is None else total + penalty
    return total
