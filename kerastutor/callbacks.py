"""Callbacks: code the fit loop calls at fixed moments.

The loop in :mod:`kerastutor.models.trainer` calls, in this order::

    on_train_begin
      on_epoch_begin(epoch)
        on_train_batch_begin(batch) ... on_train_batch_end(batch, logs)   (each batch)
      on_epoch_end(epoch, logs)          # logs include val_* entries
    on_train_end

``evaluate`` calls ``on_test_*`` (and so does the validation at an epoch's end,
between the last ``on_train_batch_end`` and ``on_epoch_end``), ``predict`` calls
``on_predict_*``. Every hook gets a ``logs`` dict with Keras's keys (the table in
:class:`CallbackList`). A callback sees the model as ``self.model`` and may set
``self.model.stop_training = True`` to end training early. The callbacks of one
hook call share its logs dict, in the order given, with History and the progress
bar last: a callback may add entries (``learning_rate``) that they then record
and print.

If a step or a callback raises, the exception leaves ``fit`` at once and no
further hook runs -- not even ``on_train_end`` -- exactly as in Keras 3.15.1
(its ``fit`` has no ``try``/``finally`` around the loop). kerastutor only makes
sure that no event listener a callback subscribed outlives the call.

Ready-made callbacks: :class:`EarlyStopping` and :class:`ReduceLROnPlateau`
(both watch one logged value, see :class:`MonitorCallback`),
:class:`LearningRateScheduler`, :class:`CSVLogger`, :class:`TerminateOnNaN`,
:class:`LambdaCallback`, :class:`LivePlot` (learning curves while training), and
:class:`ModelCheckpoint` and :class:`BackupAndRestore`, which save through the atomic
writers of :mod:`kerastutor.saving`.
"""
import csv
import json
import os
import sys
import warnings

import numpy as np

from kerastutor import backend
from kerastutor.metrics.metric import python_floats
from kerastutor.random import SeedGenerator
from kerastutor.saving.h5_guard import read_attribute
from kerastutor.saving.atomic import atomic_write, remove_stale_temporaries
from kerastutor.saving.weights_h5 import write_weights
from kerastutor.utils.progbar import Progbar


class Callback:
    """Base class: every hook Keras has, each doing nothing.

    ``logs`` is always a dict (never ``None`` when the loop calls a hook); see
    :class:`CallbackList` for which hook gets which keys.
    """

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None): pass
    def on_train_end(self, logs=None): pass
    def on_epoch_begin(self, epoch, logs=None): pass
    def on_epoch_end(self, epoch, logs=None): pass
    def on_test_begin(self, logs=None): pass
    def on_test_end(self, logs=None): pass
    def on_test_batch_begin(self, batch, logs=None): pass
    def on_test_batch_end(self, batch, logs=None): pass
    def on_predict_begin(self, logs=None): pass
    def on_predict_end(self, logs=None): pass
    def on_predict_batch_begin(self, batch, logs=None): pass
    def on_predict_batch_end(self, batch, logs=None): pass

    # Keras 2 names. As in Keras 3, the train-batch hooks call them by default, so a
    # callback written for either name works (and one that overrides both gets one call).
    def on_batch_begin(self, batch, logs=None): pass
    def on_batch_end(self, batch, logs=None): pass

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs=logs)

    def _reads_logs(self, hook):
        """Whether this callback looks at the ``logs`` of ``hook`` (every callback that
        does something there, unless it says otherwise). When no callback of a batch
        hook reads them, the fit loop does not even compute them: on a GPU, reading
        the loss makes the host wait for the GPU."""
        return True


_HOOKS = [name for name in vars(Callback) if name.startswith("on_")]
#: The old names a train-batch hook forwards to by default (see ``Callback``).
_ALIASES = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}


def _overrides(callback, hook):
    """True when ``callback`` does something at ``hook`` (its class or the instance
    replaces the base method that does nothing)."""
    method = getattr(callback, hook)
    if getattr(method, "__func__", method) is not getattr(Callback, hook):
        return True
    return hook in _ALIASES and _overrides(callback, _ALIASES[hook])


def pythonify_logs(logs):
    """The logs as every callback receives them: a new dict, keys sorted, numbers as floats.

    This is Keras 3's ``pythonify_logs``: ``None`` becomes ``{}``; nested dicts are
    flattened into the result; every value that ``float()`` accepts (a NumPy
    scalar, a 0-d or one-element array) becomes a Python float, anything else (a
    batch of predictions, a list of them) is passed as it is. A *new* dict per
    hook call means that what one call's callbacks write into it (say
    ``learning_rate``) is seen by the callbacks after them in that call -- History
    records it -- but not by later hooks: ``on_train_end`` gets the loop's own logs.
    """
    result = {}
    for key, value in sorted((logs or {}).items()):
        if isinstance(value, dict):
            result.update(pythonify_logs(value))
        else:
            result[key] = value
    # numbers on a GPU (the loss and metrics of fit's device path) read back together
    on_device = [key for key, value in result.items()
                 if backend.is_device_array(value) and value.size == 1]
    result.update(zip(on_device, python_floats([result[key] for key in on_device])))
    return {key: _as_float_if_possible(value) for key, value in result.items()}


def _as_float_if_possible(value):
    """``float(value)`` where that works (as Keras tries it), else ``value`` unchanged.

    Arrays are converted only when they hold one number: ``float()`` of a larger
    array fails in Keras too (and of a one-element array NumPy now warns, so that
    case is written out).
    """
    if type(value) is float:
        return value
    value = backend.to_host(value)
    if isinstance(value, np.ndarray):
        one_number = value.size == 1 and value.dtype.kind in "biuf"
        return float(value.reshape(())) if one_number else value
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


class CallbackList:
    """Calls a hook on every callback: yours first, then History, then the progress bar.

    History comes after your callbacks, as in Keras 3, so whatever they add to
    the epoch logs (``learning_rate`` from :class:`LearningRateScheduler` or
    :class:`ReduceLROnPlateau`) is recorded and printed too.

    **What each hook gets** (Keras 3.15's logs, checked against Keras itself):

    ============================================  ==========================================
    hook                                          ``logs``
    ============================================  ==========================================
    ``on_train_begin``, ``on_epoch_begin``,       ``{}``
    ``on_*_batch_begin``, ``on_test_begin``,
    ``on_predict_begin``, ``on_predict_end``
    ``on_train_batch_end``                        running means over the epoch so far:
                                                  ``{"loss": ..., "mae": ...}``
    ``on_test_batch_end``                         the same, over the evaluation so far
    ``on_test_end``                               the evaluation's results (no ``val_``)
    ``on_epoch_end``                              the epoch's results, then ``val_*``
                                                  results when the epoch validated
    ``on_train_end``                              the last epoch's logs (``{}`` if no epoch
                                                  ran); not what callbacks added to them
    ``on_predict_batch_end``                      ``{"outputs": the batch's predictions}``
    ============================================  ==========================================

    Each hook call gets a fresh dict (see :func:`pythonify_logs`), shared by the
    callbacks of that call, in order. Validation inside ``fit`` calls the
    ``on_test_*`` hooks of the same callbacks.
    """

    def __init__(self, callbacks=None, add_history=None, add_progbar=False, model=None,
                 verbose=1, epochs=1, steps=None):
        self.callbacks = list(callbacks or [])
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks must be keras.callbacks.Callback instances, got "
                                f"{cb!r}. Hint: pass an instance, e.g. EarlyStopping(), "
                                "not the class.")
        self.history = self._history_to_use(add_history)
        if add_progbar and not any(isinstance(cb, ProgbarLogger) for cb in self.callbacks):
            self.callbacks.append(ProgbarLogger())
        self.params = {"verbose": verbose, "epochs": epochs, "steps": steps}
        for cb in self.callbacks:
            cb.set_model(model)
            cb.set_params(self.params)
        # Only callbacks that do something at a hook are called for it: with nobody
        # watching, the per-batch hooks cost nothing, not even building the logs.
        self._active = {hook: [cb for cb in self.callbacks if _overrides(cb, hook)]
                        for hook in _HOOKS}
        self._read = {hook: any(cb._reads_logs(hook) for cb in active)
                      for hook, active in self._active.items()}

    def _history_to_use(self, add_history):
        """The History that records this run: yours if you passed one (as Keras does),
        else ``add_history`` (a History, or ``True`` for a new one) appended last."""
        for cb in self.callbacks:
            if isinstance(cb, History):
                return cb
        if add_history is None or add_history is False:
            return None
        history = History() if add_history is True else add_history
        self.callbacks.append(history)
        return history

    def _call(self, hook, *args, logs=None):
        """Call ``hook`` on the callbacks that act there. ``logs`` may be a function
        that makes them (the fit loop passes one for the batch hooks): it is called
        only if one of those callbacks reads the logs."""
        active = self._active[hook]
        if not active:
            return
        if callable(logs):
            logs = logs() if self._read[hook] else None
        logs = pythonify_logs(logs)
        for cb in active:
            getattr(cb, hook)(*args, logs)

    def on_train_begin(self, logs=None): self._call("on_train_begin", logs=logs)
    def on_train_end(self, logs=None): self._call("on_train_end", logs=logs)
    def on_epoch_begin(self, epoch, logs=None): self._call("on_epoch_begin", epoch, logs=logs)
    def on_epoch_end(self, epoch, logs=None): self._call("on_epoch_end", epoch, logs=logs)
    def on_test_begin(self, logs=None): self._call("on_test_begin", logs=logs)
    def on_test_end(self, logs=None): self._call("on_test_end", logs=logs)
    def on_predict_begin(self, logs=None): self._call("on_predict_begin", logs=logs)
    def on_predict_end(self, logs=None): self._call("on_predict_end", logs=logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._call("on_train_batch_begin", batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self._call("on_train_batch_end", batch, logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        self._call("on_test_batch_begin", batch, logs=logs)

    def on_test_batch_end(self, batch, logs=None):
        self._call("on_test_batch_end", batch, logs=logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self._call("on_predict_batch_begin", batch, logs=logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._call("on_predict_batch_end", batch, logs=logs)


class History(Callback):
    """Records the epoch logs: ``history.history["loss"]`` is a list, one per epoch.

    ``fit`` returns this object; ``history.epoch`` lists the epoch indices
    and ``history.params`` holds ``verbose``, ``epochs`` and ``steps``.
    """

    def __init__(self):
        super().__init__()
        self.history = HistoryDict()
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))

    def plot(self, metrics=None, save_to=None):
        """Plot the learning curves: one panel per metric, training and ``val_`` together.

        Needs matplotlib; without it, says so and returns ``None``. With
        ``save_to`` the figure is also written to that PNG path (folders are
        created). Returns the matplotlib axes.
        """
        try:
            import matplotlib    # optional and heavy: imported only when drawing
            if save_to and not os.environ.get("DISPLAY") and "MPLBACKEND" not in os.environ:
                matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            print("matplotlib is not installed: no learning-curve plot "
                  "(pip install matplotlib).")
            return None
        names = metrics or [k for k in self.history if not k.startswith("val_")]
        _, axes = plt.subplots(1, len(names), figsize=(5 * len(names), 3.5), squeeze=False)
        epochs = np.array(self.epoch) + 1
        # Markers: a curve of one epoch is a single point, which a bare line never shows.
        style = {"marker": "o", "markersize": 4 if len(epochs) <= 30 else 2}
        for axis, name in zip(axes[0], names):
            axis.plot(epochs, self.history[name], label=name, **style)
            if f"val_{name}" in self.history:
                axis.plot(epochs, self.history[f"val_{name}"], label=f"val_{name}", **style)
            axis.set_xlabel("epoch")
            axis.set_title(name)
            axis.legend()
        plt.tight_layout()
        if save_to:
            os.makedirs(os.path.dirname(os.path.abspath(save_to)), exist_ok=True)
            plt.savefig(save_to)
            print(f"learning curves saved to {shown_path(save_to)}")
        return axes[0]


def shown_path(path):
    """``path`` as a learner should read it: relative to the working folder when it
    lies inside it (no machine-specific prefix such as ``/home/ana/...``)."""
    relative = os.path.relpath(os.path.abspath(path))
    return path if relative.startswith("..") else relative


#: Keras 2 spellings of History keys, and the key Keras 3 writes for the same metric.
KERAS2_HISTORY_KEYS = {"acc": "accuracy", "val_acc": "val_accuracy"}


class HistoryDict(dict):
    """``History.history``: a plain dict whose missing keys explain themselves.

    Keras 2 wrote ``history.history["acc"]`` for ``metrics=["accuracy"]``; Keras 3
    keeps the name given to ``compile`` (``"accuracy"``), so old tutorial code meets
    a bare ``KeyError: 'acc'``. Here the error says which keys exist and, for the
    Keras 2 spellings, which one to use. Lookups that succeed are a dict's.
    """

    def __missing__(self, key):
        message = f"History has no key {key!r}; its keys are {sorted(self)}."
        if KERAS2_HISTORY_KEYS.get(key) in self:
            message += (f" Keras 3 names the metric as compile() was given it: "
                        f"use history.history[{KERAS2_HISTORY_KEYS[key]!r}] "
                        f"(Keras 2 called it {key!r}).")
        else:
            message += backend.did_you_mean(key, self)
        raise KeyError(message)


class ProgbarLogger(Callback):
    """Prints Keras's progress bar: ``Epoch 1/5`` then one bar per epoch.

    Validation inside ``fit`` calls the ``on_test_*`` hooks too; as in Keras, a
    logger that has seen ``on_train_begin`` stays silent for them (the epoch's
    bar shows the ``val_`` numbers at its end), while ``evaluate`` draws its own bar.
    """

    def __init__(self):
        super().__init__()
        self.progbar = None
        self.seen = 0
        self.target = None
        self._called_in_fit = False

    def set_params(self, params):
        super().set_params(params)
        self.target = params.get("steps")     # None: a stream of unknown length

    def _new_bar(self):
        verbose = self.params.get("verbose", 1)
        # Metrics are already running means: show them as given (Keras does the same).
        self.progbar = Progbar(target=self.target, verbose=verbose, unit_name="step",
                               stateless_metrics=set())
        self.seen = 0

    def _advance(self, batch, logs):
        self.seen = batch + 1
        self.progbar.update(self.seen, list((logs or {}).items()), finalize=False)

    def _finish(self, logs):
        """The last line. A stream of unknown length (``1/Unknown``, ``2/Unknown``, ...)
        now has one: the steps seen become the target, for this bar and the next
        epochs' bars too (Keras's rule)."""
        if self.target is None:
            self.target = self.seen
            self.progbar.target = self.target
        self.progbar.update(self.target, list((logs or {}).items()), finalize=True)

    def on_train_begin(self, logs=None):
        self._called_in_fit = True

    def on_epoch_begin(self, epoch, logs=None):
        epochs = self.params.get("epochs", 1)
        if self.params.get("verbose", 1) and epochs > 1:
            print(f"Epoch {epoch + 1}/{epochs}")
        self._new_bar()

    def on_train_batch_end(self, batch, logs=None):
        self._advance(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._finish(logs)

    def _reads_logs(self, hook):
        """Only the bar of ``verbose=1`` shows a batch's numbers; ``verbose=2`` prints
        one line per epoch and needs the epoch's logs alone (the batch hooks only
        count the steps)."""
        return self.params.get("verbose", 1) == 1 or not hook.endswith("batch_end")

    def on_test_begin(self, logs=None):
        if not self._called_in_fit:
            self._new_bar()

    def on_test_batch_end(self, batch, logs=None):
        if not self._called_in_fit:
            self._advance(batch, logs)

    def on_test_end(self, logs=None):
        if not self._called_in_fit:
            self._finish(logs)

    def on_predict_begin(self, logs=None):
        self._new_bar()

    def on_predict_batch_end(self, batch, logs=None):
        self._advance(batch, None)          # the predictions are not shown

    def on_predict_end(self, logs=None):
        self._finish(None)


class LambdaCallback(Callback):
    """A callback from plain functions: ``LambdaCallback(on_epoch_end=lambda e, logs: ...)``."""

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None,
                 **kwargs):
        super().__init__()
        hooks = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end,
                     on_train_batch_begin=on_train_batch_begin,
                     on_train_batch_end=on_train_batch_end, **kwargs)
        # CallbackList looks at the class to decide which hooks to call.
        self.__class__ = type("LambdaCallback", (LambdaCallback,),
                              {name: staticmethod(fn) for name, fn in hooks.items()
                               if fn is not None})


# ============================================================== monitoring a metric
# Metric names whose value should go *up* (Keras marks these metrics with
# ``_direction = "up"``); a name containing one of these is maximised.
_UP_NAMES = ("acc", "auc", "precision", "recall", "f1", "fbeta", "r2", "iou",
             "cosine_similarity", "specificity", "sensitivity", "true_positives",
             "true_negatives")
# Names of error-like metrics that should go *down*.
_DOWN_NAMES = ("loss", "error", "mse", "mae", "mape", "msle", "crossentropy", "hinge",
               "kl_divergence", "kld", "poisson", "log_cosh", "logcosh", "huber",
               "false_positives", "false_negatives")


def _direction_of(monitor, model):
    """``"min"`` or ``"max"`` for ``mode="auto"``, decided as Keras does.

    ``loss`` and ``val_loss`` go down. Otherwise the compiled metric with that
    name decides (its ``_direction`` when it has one, else its name); a name
    nobody knows raises, as in Keras.
    """
    name = monitor[4:] if monitor.startswith("val_") else monitor
    if name == "loss":
        return "min"
    for metric in getattr(model, "metrics", None) or []:
        direction = getattr(metric, "_direction", None)
        if getattr(metric, "name", None) == name and direction in ("up", "down"):
            return "max" if direction == "up" else "min"
    lowered = name.lower()
    if any(part in lowered for part in _UP_NAMES):
        return "max"
    if any(part in lowered for part in _DOWN_NAMES):
        return "min"
    return None


class MonitorCallback(Callback):
    r"""Base of the callbacks that watch one logged value (``monitor``) for improvement.

    With :math:`\delta` = ``min_delta`` :math:`\ge 0`, a value :math:`v` improves on a
    reference :math:`b` when

    .. math::

        \text{mode min: } v + \delta < b, \qquad \text{mode max: } v - \delta > b .

    ``mode="auto"`` picks ``"min"`` for ``loss``/``val_loss`` and error metrics
    and ``"max"`` for metrics that grow (accuracy, AUC, precision, recall, ...);
    for a name it cannot place it raises and asks for ``mode``.

    Parameters
    ----------
    monitor : str, default "val_loss"
        A key of the epoch logs.
    mode : {"auto", "min", "max"}, default "auto"
        An unknown mode warns and falls back to ``"auto"`` (as Keras does).
    baseline : float or None, default None
        Starting best value; ``None`` starts from :math:`\pm\infty`.
    min_delta : float, default 0
        Smallest change that counts as an improvement (its sign is ignored).
    """

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        if not isinstance(monitor, str):
            raise TypeError(f"{type(self).__name__}: monitor must be a log key (a string) "
                            f"such as 'val_loss' or 'accuracy', got {monitor!r}.")
        if mode not in ("auto", "min", "max"):
            warnings.warn(f"{type(self).__name__} mode '{mode}' is unknown, fallback to "
                          "auto mode. Hint: use 'auto', 'min' or 'max'.", stacklevel=3)
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.baseline = baseline
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op = None       # "min" or "max" once decided (at the first epoch end)

    def _set_monitor_op(self):
        direction = self.mode if self.mode != "auto" else _direction_of(self.monitor,
                                                                         self.model)
        if direction is None:
            raise ValueError(
                f"{type(self).__name__} callback received monitor={self.monitor}, but "
                "Keras isn't able to automatically determine whether that metric should "
                "be maximized or minimized. Pass `mode='max'` in order to monitor based "
                "on the highest metric value, or pass `mode='min'` in order to use the "
                "lowest value.")
        self.monitor_op = direction
        if self.best is None:
            self.best = np.inf if direction == "min" else -np.inf

    def _is_improvement(self, value, reference):
        """``v + delta < b`` in min mode, ``v - delta > b`` in max mode."""
        if reference is None:
            return True
        if self.monitor_op == "min":
            return bool(value + self.min_delta < reference)
        return bool(value - self.min_delta > reference)

    def _monitor_value(self, logs, what):
        """The monitored value from ``logs``, or ``None`` with Keras's warning."""
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(f"{what} conditioned on metric `{self.monitor}` which is not "
                          f"available. Available metrics are: {','.join(logs)}",
                          stacklevel=3)
            return None
        return float(value)

    def get_config(self):
        return {"monitor": self.monitor, "mode": self.mode, "baseline": self.baseline,
                "min_delta": self.min_delta}


class EarlyStopping(MonitorCallback):
    r"""Stop training when ``monitor`` has stopped improving.

    At each epoch end (from ``start_from_epoch`` on) the counter ``wait`` grows by
    one; an improvement on the best value so far (see :class:`MonitorCallback`)
    makes it the new best and resets ``wait`` to 0, but only if it also beats
    ``baseline``. Training stops when

    .. math::

        \text{wait} \ge \text{patience} \quad\text{and}\quad \text{epoch} > 0 .

    With ``restore_best_weights=True`` the weights of the best epoch are put back
    at the end of training (the first monitored epoch counts as best if nothing
    ever improves).

    Parameters
    ----------
    monitor : str, default "val_loss"
    min_delta : float, default 0
    patience : int, default 0
        Epochs without improvement before stopping.
    verbose : int, default 0
        1 prints ``Epoch N: early stopping`` and the restore message.
    mode : {"auto", "min", "max"}, default "auto"
    baseline : float or None, default None
        Value the monitor must beat; until it does, ``wait`` is not reset.
    restore_best_weights : bool, default False
    start_from_epoch : int, default 0
        Warm-up epochs that are not monitored.

    Attributes
    ----------
    stopped_epoch : int
        Epoch index at which training stopped (0 if it did not).
    best_epoch : int
        Epoch index of the best monitored value.
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__(monitor, mode, baseline, min_delta)
        for name, value in (("patience", patience), ("start_from_epoch", start_from_epoch)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
                    or value < 0:
                raise ValueError(f"EarlyStopping: {name} must be an integer >= 0 (a number "
                                 f"of epochs), got {value!r}.")
        self.patience = patience
        self.verbose = verbose
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.wait = 0
        self.stopped_epoch = 0
        self.best_epoch = 0
        self.best_weights = None

    def on_train_begin(self, logs=None):
        # Reset, so that one instance can serve several fit calls.
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_epoch = 0
        self.best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        current = self._monitor_value(logs, "Early stopping")
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print("Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)

    def get_config(self):
        return {"monitor": self.monitor, "min_delta": self.min_delta,
                "patience": self.patience, "verbose": self.verbose, "mode": self.mode,
                "baseline": self.baseline, "restore_best_weights": self.restore_best_weights,
                "start_from_epoch": self.start_from_epoch}


class ReduceLROnPlateau(MonitorCallback):
    r"""Multiply the learning rate by ``factor`` when ``monitor`` stops improving.

    After ``patience`` epochs without improvement (outside a cooldown):

    .. math::

        \eta \leftarrow \max(\eta \cdot \text{factor},\ \eta_\text{min})
        \qquad (\text{only if } \eta > \eta_\text{min})

    then ``cooldown`` epochs follow in which ``wait`` stays 0. Each epoch's logs
    get ``learning_rate`` (the rate used in that epoch), as in Keras.

    Parameters
    ----------
    monitor : str, default "val_loss"
    factor : float, default 0.1
        Must be below 1.
    patience : int, default 10
    verbose : int, default 0
        1 prints ``Epoch N: ReduceLROnPlateau reducing learning rate to ...``.
    mode : {"auto", "min", "max"}, default "auto"
    min_delta : float, default 1e-4
    cooldown : int, default 0
    min_lr : float, default 0.0
        :math:`\eta_\text{min}`, the lower bound.
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0, **kwargs):
        super().__init__(monitor, mode, min_delta=min_delta)
        if factor >= 1.0:
            raise ValueError("ReduceLROnPlateau does not support a factor >= 1.0. "
                             f"Received factor={factor}. Hint: factor multiplies the rate, "
                             "so 0.1 divides it by 10.")
        self.factor, self.min_lr = factor, min_lr
        self.patience, self.cooldown, self.verbose = patience, cooldown, verbose
        self.cooldown_counter = 0
        self.wait = 0

    def in_cooldown(self):
        return self.cooldown_counter > 0

    def on_train_begin(self, logs=None):
        self.cooldown_counter = 0
        self.wait = 0

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        logs = logs if logs is not None else {}
        logs["learning_rate"] = float(self.model.optimizer.learning_rate)
        current = self._monitor_value(logs, "Learning rate reduction is")   # Keras's words
        if current is None:
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                old_lr = float(self.model.optimizer.learning_rate)
                if old_lr > np.float32(self.min_lr):
                    new_lr = max(old_lr * self.factor, self.min_lr)
                    self.model.optimizer.learning_rate = new_lr
                    if self.verbose > 0:
                        print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning "
                              f"rate to {new_lr}.")
                    self.cooldown_counter = self.cooldown
                    self.wait = 0

    def get_config(self):
        return {"monitor": self.monitor, "factor": self.factor, "patience": self.patience,
                "verbose": self.verbose, "mode": self.mode, "min_delta": self.min_delta,
                "cooldown": self.cooldown, "min_lr": self.min_lr}


class LearningRateScheduler(Callback):
    r"""Set the learning rate at the start of each epoch from ``schedule(epoch, lr)``.

    .. math::

        \eta_{e} = \text{schedule}(e,\ \eta_{e-1})

    where :math:`e` counts epochs from 0 and :math:`\eta_{e-1}` is the optimizer's
    current rate. A ``schedule`` that takes only the epoch also works (Keras's old
    API). Each epoch's logs get ``learning_rate``, so History records it.

    Parameters
    ----------
    schedule : callable
        ``schedule(epoch, lr) -> float``.
    verbose : int, default 0
        1 prints ``Epoch N: LearningRateScheduler setting learning rate to ...``.
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError("LearningRateScheduler: schedule must be a function "
                            f"schedule(epoch, lr) -> float, got {schedule!r}. Hint: "
                            "LearningRateScheduler(lambda epoch, lr: lr * 0.9).")
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        try:
            rate = self.schedule(epoch, float(optimizer.learning_rate))
        except TypeError:                  # a schedule(epoch) of the old API
            rate = self.schedule(epoch)
        if isinstance(rate, np.ndarray) and rate.ndim == 0:
            rate = rate[()]
        if not isinstance(rate, (float, np.floating)):
            raise ValueError("The output of the `schedule` function should be a float. "
                             f"Got: {rate!r}. Hint: return float(...), e.g. `return "
                             "lr * 0.5` rather than an int or an array.")
        optimizer.learning_rate = float(rate)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                  f"{float(rate)}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)

    def get_config(self):
        return {"schedule": self.schedule, "verbose": self.verbose}


class CSVLogger(Callback):
    """Write each epoch's logs as one row of a CSV file.

    The header is ``epoch`` followed by the log keys in sorted order (taken at
    the first epoch); a key missing in a later epoch is written ``NA``. The file
    is flushed after every row, so an interrupted run loses nothing.

    Parameters
    ----------
    filename : str or path-like
        The CSV file, e.g. ``"run/log.csv"``.
    separator : str, default ","
        The field separator.
    append : bool, default False
        Add to an existing file (no second header) instead of overwriting it.
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        if not isinstance(separator, str) or len(separator) != 1:
            raise ValueError("CSVLogger: separator must be a single character such as "
                             f"',' or '\\t' or ';', got {separator!r}.")
        self.filename, self.sep, self.append = os.fspath(filename), separator, append
        self.keys = None
        self.writer = None
        self.csv_file = None
        self.append_header = True

    def on_train_begin(self, logs=None):
        self.append_header = True
        if self.append and os.path.exists(self.filename):
            with open(self.filename, newline="") as f:
                self.append_header = not f.readline()
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.csv_file = open(self.filename, "a" if self.append else "w", newline="")
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            names = getattr(self.model, "metrics_names", None) or []
            self.keys += [n for n in names if n.startswith("val_") and n not in self.keys]
        if self.writer is None:
            self.writer = csv.writer(self.csv_file, delimiter=self.sep)
            if self.append_header:
                self.writer.writerow(["epoch"] + self.keys)
        self.writer.writerow([epoch] + [_csv_value(logs.get(k, "NA")) for k in self.keys])
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None

    def get_config(self):
        return {"filename": self.filename, "separator": self.sep, "append": self.append}


def _csv_value(value):
    """Numbers as Python numbers; 1-D arrays and lists as ``"[a, b]"`` (Keras's format)."""
    if isinstance(value, str):
        return value
    array = np.asarray(value)
    if array.ndim == 0:
        return array.item()
    return f"[{', '.join(map(str, array.ravel().tolist()))}]"


class TerminateOnNaN(Callback):
    r"""Stop training when a batch's loss is NaN or infinite.

    After each training batch, if :math:`\lnot\,\text{isfinite}(\text{loss})` it
    prints ``Batch b: Invalid loss, terminating training`` and sets
    ``model.stop_training`` (the epoch still ends, its logs are recorded and
    ``on_train_end`` runs), or with ``raise_error=True`` raises ``RuntimeError``
    at once.

    Parameters
    ----------
    raise_error : bool, default False
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = raise_error

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or np.isfinite(loss):
            return
        if self.raise_error:
            raise RuntimeError(f"NaN or Inf loss encountered at batch {batch}. Loss value: "
                               f"{loss}. Terminating training immediately. Hint: lower the "
                               "learning rate, scale the inputs, or clip gradients "
                               "(clipnorm=1.0).")
        print(f"Batch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True

    def get_config(self):
        return {"raise_error": self.raise_error}


class LivePlot(Callback):
    """Learning curves redrawn at every epoch end (matplotlib).

    One panel per metric, the training curve and its ``val_`` partner together,
    like :meth:`History.plot` but live. In a window or notebook the figure
    updates in place; with ``save_to`` it is also written to that PNG path after
    every epoch (so you can watch the file). Without a display it uses the Agg
    backend. Without matplotlib it says so once and does nothing.

    Parameters
    ----------
    metrics : list of str or None, default None
        Names to plot (without ``val_``); ``None`` plots every training key.
    save_to : str or None, default None
        PNG path, rewritten each epoch (folders are created).
    """

    def __init__(self, metrics=None, save_to=None):
        super().__init__()
        self.metrics = None if metrics is None else list(metrics)
        self.save_to = None if save_to is None else os.fspath(save_to)
        self.history = {}           # key -> values, as History keeps them
        self.epochs = []            # 1-based epoch numbers seen
        self._at = {}               # key -> the epochs at which it was logged
        self.figure = None
        self._plt = None
        self._missing = False

    def _pyplot(self):
        if self._plt is None and not self._missing:
            try:
                import matplotlib    # optional and heavy: imported only when drawing
                headless = sys.platform.startswith("linux") and not (
                    os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
                if headless and "MPLBACKEND" not in os.environ \
                        and "matplotlib.pyplot" not in sys.modules:
                    matplotlib.use("Agg")         # no screen: draw into memory only
                import matplotlib.pyplot as plt
                self._plt = plt
            except ImportError:
                self._missing = True
                print("LivePlot: matplotlib is not installed, so there is no live plot "
                      "(pip install matplotlib).")
        return self._plt

    def on_train_begin(self, logs=None):
        self.history = {}
        self.epochs = []
        self._at = {}

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append(epoch + 1)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
            self._at.setdefault(key, []).append(epoch + 1)
        plt = self._pyplot()
        if plt is None:
            return
        names = self.metrics or [k for k in self.history if not k.startswith("val_")]
        if self.figure is None or len(self.figure.axes) != len(names):
            if self.figure is not None:
                plt.close(self.figure)
            self.figure, _ = plt.subplots(1, len(names), figsize=(5 * len(names), 3.5),
                                          squeeze=False)
        for axis, name in zip(self.figure.axes, names):
            axis.clear()
            for key in (name, f"val_{name}"):
                if key in self.history:
                    # Drawn at the epochs it was logged (validation_freq skips some).
                    axis.plot(self._at[key], self.history[key], marker=".", label=key)
            axis.set_xlabel("epoch")
            axis.xaxis.get_major_locator().set_params(integer=True)   # whole epochs
            axis.set_title(name)
            axis.legend()
        self.figure.tight_layout()
        if self.save_to:
            os.makedirs(os.path.dirname(os.path.abspath(self.save_to)), exist_ok=True)
            self.figure.savefig(self.save_to)
        self._show(plt)

    def _show(self, plt):
        """Put the new drawing on screen: a notebook cell, a window, or nowhere (Agg)."""
        backend = plt.get_backend().lower()
        if backend == "agg":
            return
        if "inline" in backend:                      # Jupyter: replace the cell output
            from IPython.display import clear_output, display    # only inside a notebook
            clear_output(wait=True)
            display(self.figure)
        else:                                        # a window: let it repaint
            plt.pause(0.001)

    def on_train_end(self, logs=None):
        if self._plt is None or self.figure is None:
            return
        backend = self._plt.get_backend().lower()
        if backend == "agg" or "inline" in backend:
            # Agg: nobody can see it, free the memory. Notebook: it is already in the
            # cell output; closing it stops the notebook from drawing it a second time.
            self._plt.close(self.figure)
            self.figure = None

    def get_config(self):
        return {"metrics": self.metrics, "save_to": self.save_to}


# ====================================================================== checkpoints
def _check_save_freq(owner, save_freq):
    """``"epoch"`` or a positive number of batches, else a kind error."""
    if save_freq == "epoch":
        return
    if isinstance(save_freq, bool) or not isinstance(save_freq, (int, np.integer)) \
            or save_freq <= 0:
        raise ValueError(f"{owner}: unrecognized save_freq={save_freq!r}. Expected 'epoch' "
                         "or a positive integer (a number of batches).")


class _SavesEveryNBatches:
    """What :class:`ModelCheckpoint` and :class:`BackupAndRestore` share: ``save_freq``
    is ``"epoch"`` or a number of batches, and the batches are counted across epoch
    boundaries (as Keras counts them), so a save may fall in the middle of an epoch."""

    def _start_counting_batches(self, owner, save_freq):
        _check_save_freq(owner, save_freq)
        self.save_freq = save_freq
        self._current_epoch = 0
        self._batches_since_save = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def _reads_logs(self, hook):
        """With ``save_freq="epoch"`` the batch hooks only count: the batch logs are not
        needed (on a GPU, making them would read the device every step)."""
        return self.save_freq != "epoch" or not hook.endswith("batch_end")

    def _batch_save_is_due(self):
        """Count one finished batch: True on every ``save_freq``-th (never for "epoch")."""
        if self.save_freq == "epoch":
            return False
        self._batches_since_save += 1
        if self._batches_since_save < self.save_freq:
            return False
        self._batches_since_save = 0
        return True


class ModelCheckpoint(_SavesEveryNBatches, MonitorCallback):
    r"""Save the model (or its weights) during training.

    At each epoch end -- or every ``save_freq`` batches -- the model is saved
    to ``filepath``, which may hold format fields filled from the epoch
    number and the logs: ``"ckpt-{epoch:02d}-{val_loss:.2f}.keras"``.
    Saves go through :func:`kerastutor.saving.save_model`, so they are
    atomic: a crash while saving leaves the previous checkpoint intact.

    With ``save_best_only=True`` the model is saved only when ``monitor``
    improves on the best value so far (strictly: :math:`v < b` in min mode,
    :math:`v > b` in max mode), starting from ``initial_value_threshold``.

    Parameters
    ----------
    filepath : str
        Must end in ``.keras`` (or the legacy ``.h5``) -- or ``.weights.h5`` with
        ``save_weights_only``.
    monitor : str, default "val_loss"
    verbose : int, default 0
        1 prints a line whenever a checkpoint is written (or skipped as no better).
    save_best_only : bool, default False
    save_weights_only : bool, default False
    mode : {"auto", "min", "max"}, default "auto"
    save_freq : "epoch" or int, default "epoch"
        An integer saves every that many batches.
    initial_value_threshold : float or None
        The value to beat before the first save (with ``save_best_only``).
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None):
        super().__init__(monitor, mode, baseline=initial_value_threshold)
        filepath = os.fspath(filepath)
        if save_weights_only and not filepath.endswith(".weights.h5"):
            raise ValueError(
                "When using `save_weights_only=True` in `ModelCheckpoint`, the filepath "
                f"provided must end in `.weights.h5` (Keras weights format). Received: "
                f"filepath={filepath}")
        # Keras 3.15.1 also takes the legacy ``.h5`` (``model.save`` then warns about it).
        if not save_weights_only and not filepath.endswith((".keras", ".h5")):
            raise ValueError(
                "The filepath provided must end in `.keras` (Keras model format). Received: "
                f"filepath={filepath}. Hint: 'best.keras' saves the whole model; with "
                "save_weights_only=True use 'best.weights.h5'.")
        self._start_counting_batches("ModelCheckpoint", save_freq)
        self.filepath = filepath
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.initial_value_threshold = initial_value_threshold

    def on_train_batch_end(self, batch, logs=None):
        if self._batch_save_is_due():
            self._save(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, None, logs)

    def _save(self, epoch, batch, logs):
        logs = dict(logs or {})
        path = self._path_for(epoch, batch, logs)
        if self.save_best_only:
            if self.monitor_op is None:
                self._set_monitor_op()
            current = logs.get(self.monitor)
            if current is None:
                warnings.warn(f"Can save best model only with {self.monitor} available, "
                              "skipping.", stacklevel=2)
                return
            if not self._is_improvement(float(current), self.best):
                if self.verbose > 0:
                    print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from "
                          f"{self.best:.5f}")
                return
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} "
                      f"to {float(current):.5f}, saving model to {path}")
            self.best = float(current)
        elif self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: saving model to {path}")
        if self.save_weights_only:
            self.model.save_weights(path, overwrite=True)
        else:
            self.model.save(path, overwrite=True)

    def _path_for(self, epoch, batch, logs):
        try:
            if batch is None or "batch" not in self.filepath:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as err:
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". '
                           f"Reason: the logs have no {err}; available: {sorted(logs)} and "
                           "'epoch'.") from None


class BackupAndRestore(_SavesEveryNBatches, Callback):
    r"""Resume an interrupted ``fit`` where it stopped.

    At every epoch end (or every ``save_freq`` batches) the callback writes
    one file into ``backup_dir``, ``latest.weights.h5``, holding the whole
    state training needs to go on:

    * the weights *and* the optimizer's state (its moments and step count);
    * the epoch and batch to resume at, ``{"epoch": ..., "batch": ...}`` as
      Keras writes them, and the states of the random generators (kerastutor's
      and each layer's own), so that shuffling and dropout continue exactly
      as they would have -- as JSON in the file's attribute
      ``kerastutor_training_metadata``.

    **One file, one rename.** A backup is a *unit*: weights of epoch 4 with
    the epoch counter of epoch 3 would train epoch 4 twice. So everything is
    written into a temporary file and committed by a single atomic rename
    (:func:`~kerastutor.saving.atomic.atomic_write`); a ``kill -9`` at any
    instant leaves the previous complete backup or the new one, never a mix.
    ``training_metadata.json`` beside it is a readable copy, written after
    the commit; resuming trusts the copy inside the weights file.

    With ``double_checkpoint=True`` the previous backup moves to
    ``latest.weights.h5.bkp`` in the instant before the new one arrives.
    On restart the newest complete backup wins: ``latest.weights.h5``, or
    the ``.bkp`` when the latest is missing (killed between the two renames:
    the ``.bkp`` is renamed back, undoing the half-done commit) or cannot be
    read (then it is kept as ``latest.weights.h5.damaged``, with a warning).

    When ``fit`` starts and a backup exists, it is loaded and training goes
    on from the saved epoch: a run killed after epoch 3 and restarted ends
    with bit-for-bit the weights of a run that was never interrupted. A
    completed ``fit`` deletes the backup (``delete_checkpoint=True``).

    Parameters
    ----------
    backup_dir : str
        A directory used only by this training run.
    save_freq : "epoch" or int, default "epoch"
    double_checkpoint : bool, default False
        Keep the previous backup too (``*.bkp``), in case the latest is damaged.
    delete_checkpoint : bool, default True
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False,
                 delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("BackupAndRestore: empty `backup_dir` is invalid. Give a "
                             "directory path reserved for this training run.")
        self._start_counting_batches("BackupAndRestore", save_freq)
        self.backup_dir = os.fspath(backup_dir)
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._weights_path = os.path.join(self.backup_dir, "latest.weights.h5")
        self._previous_path = self._weights_path + ".bkp"
        self._metadata_path = os.path.join(self.backup_dir, "training_metadata.json")

    # ---------------------------------------------------------------- resuming
    def on_train_begin(self, logs=None):
        if not os.path.exists(self._weights_path) and os.path.exists(self._previous_path):
            # Killed between the two renames of a commit: undo its first half.
            os.replace(self._previous_path, self._weights_path)
        if not os.path.exists(self._weights_path):
            return
        if not self.model.optimizer.built:          # so its saved state has a place to go
            self.model.optimizer.build(self.model.trainable_weights)
        try:
            metadata = self._restore_latest()
        except (ValueError, OSError) as err:
            if not os.path.exists(self._previous_path):
                raise
            damaged = self._weights_path + ".damaged"
            warnings.warn(f"BackupAndRestore: the latest backup cannot be used ({err}); it "
                          f"is kept as {damaged}, and training resumes from the previous "
                          "backup.", stacklevel=2)
            os.replace(self._weights_path, damaged)
            os.replace(self._previous_path, self._weights_path)
            metadata = self._restore_latest()
        _restore_generators(self.model, metadata.get("kerastutor_random_states"))
        self._current_epoch = metadata["epoch"]
        self.model._initial_epoch = metadata["epoch"]

    def _restore_latest(self):
        """Load weights and optimizer state from ``latest.weights.h5``; return its metadata.

        (A ``.bkp`` is renamed to that name before it is used, as ``load_weights``
        knows files by their ``.weights.h5`` ending.)
        """
        path = self._weights_path
        self.model.load_weights(path)       # checks the file first (h5_guard), then assigns
        text, source = _embedded_metadata(path), path
        if text is None:                    # a backup written before the metadata moved in
            source = self._metadata_path
            if not os.path.exists(source):
                raise ValueError(f"BackupAndRestore: {path} exists but {source} does not; "
                                 "the backup is incomplete. Hint: delete the backup "
                                 "directory to start afresh.")
            with open(source, encoding="utf-8") as handle:
                text = handle.read()
        try:
            metadata = json.loads(text)
            metadata["epoch"] = int(metadata["epoch"])
        except (ValueError, KeyError, TypeError) as err:
            raise ValueError(f"BackupAndRestore: the training metadata in {source} is "
                             f"damaged ({type(err).__name__}: {err}). Hint: delete the "
                             "backup directory to start afresh.") from None
        return metadata

    # ---------------------------------------------------------------- saving
    def on_train_batch_end(self, batch, logs=None):
        if self._batch_save_is_due():
            # Mid-epoch: resuming restarts this epoch (Keras resumes at the epoch too).
            self._save(self._current_epoch, batch + 1)

    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        if self.save_freq == "epoch":
            self._save(epoch + 1, 0)

    def _save(self, epoch, batch):
        metadata = {"epoch": epoch, "batch": batch,
                    "kerastutor_random_states": _generator_states(self.model)}
        keep = self._previous_path if self.double_checkpoint else None
        with atomic_write(self._weights_path, keep_previous=keep) as temporary:
            _write_backup(self.model, temporary, metadata)
        # The commit is done; this copy is for people and tools, never read back first.
        with atomic_write(self._metadata_path) as temporary:
            with open(temporary, "w", encoding="utf-8") as handle:
                json.dump(metadata, handle)

    def on_train_end(self, logs=None):
        if not self.delete_checkpoint:
            return
        # The older backup goes first: killed halfway, we must not leave only it behind.
        for path in (self._previous_path, self._weights_path, self._metadata_path,
                     self._metadata_path + ".bkp"):
            if os.path.exists(path):
                os.remove(path)
            remove_stale_temporaries(path)


_METADATA_ATTRIBUTE = "kerastutor_training_metadata"


def _write_backup(model, path, metadata):
    """Weights, optimizer state and ``metadata`` (as JSON) into one HDF5 file at ``path``."""
    import h5py        # heavy: imported when a backup is written, not with kerastutor
    with h5py.File(path, "w") as h5file:
        write_weights(model, h5file)
        h5file.attrs[_METADATA_ATTRIBUTE] = json.dumps(metadata)


def _embedded_metadata(path):
    """The JSON text a backup file carries in its root attribute, or None if it has none."""
    import h5py
    with h5py.File(path, "r") as h5file:
        present = _METADATA_ATTRIBUTE in h5file.attrs
        text = read_attribute(h5file, _METADATA_ATTRIBUTE, path) if present else None
    return text.decode("utf-8") if isinstance(text, bytes) else text


def _generators(model):
    """``(name, generator)``: kerastutor's own NumPy generator and each layer's own --
    a NumPy ``Generator`` (``_rng``) or a ``keras.random.SeedGenerator`` (``seed_generator``)."""
    found = [("backend", backend.rng())]
    seen = set()
    stack = list(model.layers)
    while stack:
        layer = stack.pop(0)
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        generator = getattr(layer, "_rng", None)
        if isinstance(generator, np.random.Generator):
            found.append((f"layer:{layer.name}", generator))
        seeds = getattr(layer, "seed_generator", None)
        if isinstance(seeds, SeedGenerator):
            # by position, not name: a model rebuilt in the same session to resume
            # has new automatic names (dropout_1), but the same layers in the same order
            found.append((f"seed:{len(seen)}:{type(layer).__name__}", seeds))
        stack.extend(layer._sublayers())
    return found


def _generator_states(model):
    return {name: _state_of(generator) for name, generator in _generators(model)}


def _state_of(generator):
    if isinstance(generator, SeedGenerator):            # a key of two uint32 numbers
        return {"seed_generator": [int(v) for v in generator.state.value]}
    return generator.bit_generator.state


def _restore_generators(model, states):
    """Put the random generators back where the backup left them (data, never code)."""
    if not isinstance(states, dict):
        return
    for name, generator in _generators(model):
        state = states.get(name)
        if isinstance(generator, SeedGenerator):
            _restore_seed_generator(generator, state, name)
        elif isinstance(state, dict) and \
                state.get("bit_generator") == type(generator.bit_generator).__name__:
            try:
                generator.bit_generator.state = state
            except (TypeError, ValueError, KeyError):
                warnings.warn(f"BackupAndRestore: could not restore the random state of "
                              f"{name}; training resumes with a different random stream.",
                              stacklevel=3)


def _restore_seed_generator(generator, state, name):
    key = state.get("seed_generator") if isinstance(state, dict) else None
    if isinstance(key, list) and len(key) == 2 and \
            all(isinstance(v, int) and 0 <= v < 2 ** 32 for v in key):
        generator.state.value = np.array(key, dtype=generator.state.value.dtype)
    elif state is not None:
        warnings.warn(f"BackupAndRestore: could not restore the random state of {name}; "
                      "training resumes with a different random stream.", stacklevel=3)


__all__ = ["Callback", "CallbackList", "History", "ProgbarLogger", "LambdaCallback",
           "MonitorCallback", "EarlyStopping", "ReduceLROnPlateau", "LearningRateScheduler",
           "CSVLogger", "TerminateOnNaN", "LivePlot", "ModelCheckpoint", "BackupAndRestore"]
