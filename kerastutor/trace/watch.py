r"""The tutor during an ordinary ``fit``: three cheap checks, one line each, once.

The tracer (:func:`kerastutor.trace.record`) finds causes from every
layer's numbers, but only when asked. These checks run in every
``model.fit`` by default and look only at numbers ``fit`` has anyway, so
they cost nothing worth measuring (no extra forward or backward pass):

1. **inputs far outside the usual scale** -- on the first batch, before the
   first step: the largest :math:`|x|` (two reductions); only when it is
   beyond :data:`~kerastutor.trace.hints.INPUT_MAX_LIMIT` (or below
   :data:`~kerastutor.trace.hints.INPUT_TINY`) is the RMS computed, and
   :func:`~kerastutor.trace.hints.scale_problem` decides. Inputs that an
   ``Embedding`` (token ids) or a ``Normalization`` layer reads first are
   left alone (:func:`~kerastutor.trace.hints.raw_value_reader`).
2. **the first inf/NaN loss** -- each step's loss is already a Python float
   for the progress bar; one comparison per step. Reported when the epoch
   ends (after the progress bar's last line, so the two never mix).
3. **a loss that does not move in the first epoch** -- every step's loss
   identical, or no trainable weight changed at all: a fingerprint
   :math:`\sum_W \lVert W \rVert^2` of the weights before the first step and
   after the first epoch (one pass over the weights, twice per ``fit``).

Each problem is reported at most once per ``fit``, as one line: a
:class:`TutorHintWarning` (a ``UserWarning``) sent through
:func:`kerastutor.backend.warn_user`, so it points at the user's ``fit``
line and the usual ``warnings`` filters apply. Switch them off with
``keras.config.disable_tutor_hints()`` (or ``KERASTUTOR_HINTS=0``).
A model with its own ``train_step`` is not watched: its step decides what
the data and the loss mean.
"""
import math

import numpy as np

from kerastutor import backend, config
from kerastutor.trace import hints

#: Every loss of the first epoch within this relative spread: the loss did not move.
STILL_LOSS = 1e-7

_SILENCE = "keras.config.disable_tutor_hints() silences these hints"


class TutorHintWarning(UserWarning):
    """A one-line hint ``fit`` prints when a cheap check sees a likely mistake."""


def say(message):
    """Print one tutor hint: ``kerastutor hint: <message> (<how to silence>)``."""
    backend.warn_user(f"kerastutor hint: {message} ({_SILENCE})", TutorHintWarning)


def fingerprint(weights):
    r""":math:`\sum_W \lVert W\rVert^2` in float64: changes whenever any weight does.

    (A plain sum would not do: the update of a softmax layer's kernel sums
    to 0 over the classes, so its sum never changes.)
    """
    total = 0.0
    for weight in weights:
        value = np.asarray(backend.to_host(weight.value), dtype=np.float64)
        total += float(np.vdot(value, value))
    return total


def _largest_magnitude(array):
    """max |x| by two reductions (no copy); NaN for text or empty arrays."""
    if array.dtype.kind not in "biuf" or array.size == 0:
        return float("nan")
    return max(-float(array.min()), float(array.max()))


class FitWatch:
    """The cheap checks of one ``fit`` (see the module's text).

    ``fit`` calls :meth:`before_first_step` with the first batch,
    :meth:`after_step` with each step's loss and :meth:`end_of_epoch` after
    each epoch's callbacks. :meth:`start` returns ``None`` when the hints are
    switched off, and ``fit`` then skips every call.
    """

    def __init__(self, model):
        self.model = model
        self.said = set()               # the checks that have spoken in this fit
        self.first_epoch = None
        self.weights_before = None
        self.bad_loss = None            # (epoch, step, value) of the first inf/NaN loss
        self.low, self.high, self.steps = math.inf, -math.inf, 0

    @classmethod
    def start(cls, model):
        """A watch for this ``fit``, or ``None`` when the hints are switched off."""
        return cls(model) if config.is_tutor_hints_enabled() else None

    # ------------------------------------------------------------ the three moments
    def before_first_step(self, epoch, xs):
        """The first batch's inputs (a list of host arrays), before anything trains."""
        self.first_epoch = epoch
        self.weights_before = fingerprint(self.model.trainable_weights)
        for index, array in enumerate(xs):
            self._check_scale(index, len(xs), array)

    def after_step(self, epoch, step, loss):
        """One step's loss (a float the progress bar had already)."""
        value = float(loss)
        if not math.isfinite(value):
            if self.bad_loss is None:
                self.bad_loss = (epoch, step, value)
            return
        if epoch == self.first_epoch:
            self.low, self.high = min(self.low, value), max(self.high, value)
            self.steps += 1

    def end_of_epoch(self, epoch):
        """Report a bad loss seen in this epoch; after the first, whether anything moved."""
        if self.bad_loss is not None and "loss" not in self.said:
            self._report_bad_loss()
        elif epoch == self.first_epoch and self.steps and not self.said:
            self._check_movement()         # (unscaled inputs, already named, stall it too)

    # ------------------------------------------------------------ the checks
    def _check_scale(self, index, count, array):
        array = np.asarray(array)
        top = _largest_magnitude(array)
        if not math.isfinite(top) or hints.INPUT_TINY <= top <= hints.INPUT_MAX_LIMIT:
            return                                   # the usual case: two reductions
        reader = hints.raw_value_reader(self.model, index)
        summary = hints.summarise_input(array, reader) if reader is not None else None
        if summary is None or hints.scale_problem(summary.max_abs, summary.rms) is None:
            return
        name = "x" if count == 1 else f"x[{index}]"
        self.said.add("scale")
        if summary.max_abs < hints.INPUT_TINY:
            say(f"{name} is tiny (largest |value| {summary.max_abs:.2g}), far from the usual "
                f"-1..1, so the first layer barely learns. Fix: {hints.scale_fix(summary)}")
        else:
            say(f"{name} reaches {summary.max_abs:.4g} (RMS {summary.rms:.3g}), far from the "
                f"usual -1..1: units saturate or die on the first steps. "
                f"Fix: {hints.scale_fix(summary)}")

    def _report_bad_loss(self):
        epoch, step, value = self.bad_loss
        self.said.add("loss")
        rate = _learning_rate(self.model)
        lr = (f"the learning rate ({rate:g}) too high -- try {rate / 10:g}"
              if rate else "the learning rate too high")
        scale = "" if "scale" in self.said else ", inputs far from -1..1"
        say(f"the loss became {value} at epoch {epoch + 1}, batch {step + 1}. Usual causes: "
            f"{lr}{scale}, or log(0) in a custom loss; keras.trace.record(model, x, y)"
            ".hints() looks for the cause")

    def _check_movement(self):
        weights = self.model.trainable_weights
        if not self.model.weights:
            return                            # nothing to train, by design (a fixed model)
        still_weights = fingerprint(weights) == self.weights_before
        still_loss = (self.steps >= 3 and self.high > 0
                      and self.high - self.low <= STILL_LOSS * self.high)
        if not (still_weights or still_loss) or self.high == 0:
            return                            # moving -- or a loss of 0: nothing to learn
        self.said.add("loss")
        if not still_weights:
            say(f"the loss stayed at {self.high:.4g} for the whole first epoch: the "
                "predictions do not depend on the weights the optimizer moves (a loss that "
                "clips them, such as a linear output into a probability loss, "
                "or dead ReLUs). keras.trace.record(model, x, y).hints() looks for the cause")
            return
        say("the loss could not move in the first epoch, because no weight changed: "
            + _why_still(self.model, weights))


def _learning_rate(model):
    try:
        return float(model.optimizer.learning_rate)
    except (AttributeError, TypeError, ValueError):
        return None


def _why_still(model, weights):
    """Why no weight moved: nothing to train, a learning rate of 0, no gradient, or tiny steps."""
    if not weights:
        return ("every layer is frozen (trainable = False), so the model has no trainable "
                "weights. Fix: set trainable = True on the layers to train, then compile "
                "again")
    rate = _learning_rate(model)
    if rate == 0:
        return "the learning rate is 0. Fix: e.g. learning_rate=0.001 (Adam) or 0.01 (SGD)"
    grads = [w.grad for w in weights if getattr(w, "grad", None) is not None]
    if grads and all(not np.any(backend.to_host(g)) for g in grads):
        return ("every gradient dL/dW is 0, so the loss cannot tell which way to go (a "
                "loss that clips the outputs, dead ReLUs, or a loss that ignores them). "
                "keras.trace.record(model, x, y).hints() looks for the cause")
    named = "the learning rate" if rate is None else f"the learning rate ({rate:g})"
    return (f"each step is smaller than float32 can show, so {named} is far too low. "
            "Fix: multiply it by 100 or 1000")
