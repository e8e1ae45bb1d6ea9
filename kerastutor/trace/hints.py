r"""Tutor hints: what the recorded numbers say is wrong, *why*, and the fix.

Each check reads a :class:`~kerastutor.trace.Trace` and returns a
:class:`Hint` (or nothing). A symptom such as "the first layer gets almost
no gradient" has many causes, and the fix depends on the cause, so the
checks come in two groups, and :func:`find_hints` reports causes first:

**Causes** -- something the learner wrote that the numbers give away:

* **learning rate too high** -- the loss rose (even if it then flattened
  out), became ``inf``/``NaN`` after an update, or one step moved the weights
  by more than :data:`LARGE_UPDATE_RATIO` of their size (a healthy step is
  about :math:`10^{-3}`, CS231n's rule of thumb). Fix: divide the learning
  rate by 10.
* **inputs not scaled** -- the data reaching the first layer that computes
  with it is far from the usual :math:`|x| \approx 1`: its largest value
  beyond :data:`INPUT_MAX_LIMIT` and its RMS beyond :data:`INPUT_RMS_LIMIT`
  (pixels left at 0..255), or every value below :data:`INPUT_TINY`. A
  weighted sum :math:`\sum_i w_i x_i` of values in the hundreds saturates
  sigmoids and kills ReLUs on the first step. Fix: ``x / 255`` for pixels, a
  ``Normalization`` layer or scikit-learn's ``StandardScaler`` otherwise.
  Token ids read by an ``Embedding`` (or a lookup layer) and data that meets a
  ``Normalization``/``Rescaling`` layer first are left alone.
* **labels counted from 1** -- class 0 never occurs although the labels
  reach the last output unit: ``to_categorical(y)`` on labels 1..10 gives 11
  columns with an empty first one, and a ``Dense(11)`` "fixes" the error
  ``sparse_categorical_crossentropy`` gives for label 10. Fix: ``y - 1``.
* **probabilities given as logits** -- a softmax/sigmoid output with a loss
  told ``from_logits=True`` applies the squashing twice.
* **logits given as probabilities** -- a linear output into a crossentropy
  that expects probabilities (``from_logits=False``): the loss clips the
  values to :math:`[\epsilon, 1-\epsilon]`, where its gradient is 0.
* **learning rate too low** -- no step moved the weights by more than
  :data:`TINY_UPDATE_RATIO` of their size.

**Symptoms** -- each names the cause it found, or the usual ones:

* **dead ReLUs** -- at least :data:`DEAD_FRACTION` of a layer's units are 0
  for every sample of a batch: they get no gradient and never recover.
* **saturated sigmoid/tanh** -- at least :data:`SATURATED_FRACTION` of a
  hidden layer's outputs sit at the flat ends, where the derivative is
  almost 0.
* **vanishing / exploding gradients** -- measured *inside* the hidden
  stack: the RMS of :math:`\partial L/\partial y` arriving at the first
  hidden layer over the one arriving at the last hidden layer,

  .. math::

      \rho = \frac{\operatorname{rms}(\partial L/\partial y_{\text{first hidden}})}
                  {\operatorname{rms}(\partial L/\partial y_{\text{last hidden}})}.

  Both sit below the output layer, so a saturated softmax feeding a
  crossentropy (which shrinks *every* gradient alike) cannot fool it.
  Vanishing (:math:`\rho <` :data:`VANISHING_RATIO`) is reported only when
  saturating activations (sigmoid, tanh, ...) really sit in between: a
  ReLU network whose gradients are small has another cause (see above).

The data checks read :class:`BatchRecord` summaries, which the recorder
makes with :func:`describe_batch` on every recorded step. The same scale
rule (:func:`scale_problem`) runs, cheaply, on the first batch of every
ordinary ``fit`` (:mod:`kerastutor.trace.watch`).
"""
import math
from dataclasses import dataclass, field

import numpy as np

from kerastutor import backend, compiled

#: dL/dy RMS at the first hidden layer over the last hidden one: below this, gradients vanish.
VANISHING_RATIO = 1e-3
#: ... and above this, they explode.
EXPLODING_RATIO = 1e3
#: A ReLU layer with at least this fraction of dead units is flagged.
DEAD_FRACTION = 0.5
#: A sigmoid/tanh hidden layer with at least this fraction of saturated outputs is flagged.
SATURATED_FRACTION = 0.5
#: Every update smaller than this fraction of its weight: the learning rate is too low.
TINY_UPDATE_RATIO = 1e-6
#: One step moving the weights by more than this fraction of their size: far too large.
LARGE_UPDATE_RATIO = 0.5
#: The loss grew by this factor over the recorded steps: the learning rate is too high.
DIVERGENCE_FACTOR = 1.5
#: Inputs whose largest magnitude is beyond this ...
INPUT_MAX_LIMIT = 20.0
#: ... and whose RMS is beyond this are not scaled (standardised data has RMS 1).
INPUT_RMS_LIMIT = 3.0
#: Inputs whose largest magnitude is below this (and not 0) are too small.
INPUT_TINY = 1e-3
#: Class 0 is "missing" only if uniform labels would miss it with less than this chance.
MISSING_CLASS_CHANCE = 0.01

_PROBABILITY_ACTIVATIONS = ("softmax", "sigmoid", "hard_sigmoid", "log_softmax")
_SATURATING_ACTIVATIONS = ("sigmoid", "tanh", "hard_sigmoid", "hard_tanh", "softsign")

#: Layers that read indices or text, not magnitudes: their inputs have no "scale".
INDEX_LAYERS = ("Embedding", "StringLookup", "IntegerLookup", "CategoryEncoding", "Hashing",
                "HashedCrossing", "TextVectorization", "Discretization")
#: Layers that rescale what they receive: raw data in front of them is fine.
SCALING_LAYERS = ("Normalization", "Rescaling", "BatchNormalization", "LayerNormalization",
                  "GroupNormalization", "UnitNormalization", "RMSNormalization")
#: Layers that only move, copy, pool or perturb values: the scale passes through them.
_MOVES_VALUES = ("Flatten", "Reshape", "Permute", "RepeatVector", "Masking", "Identity",
                 "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
                 "GaussianNoise", "GaussianDropout", "AlphaDropout", "ActivityRegularization",
                 "Cropping1D", "Cropping2D", "Cropping3D", "ZeroPadding1D", "ZeroPadding2D",
                 "ZeroPadding3D", "UpSampling1D", "UpSampling2D", "UpSampling3D",
                 "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D",
                 "AveragePooling2D", "AveragePooling3D", "GlobalMaxPooling1D",
                 "GlobalMaxPooling2D", "GlobalMaxPooling3D", "GlobalAveragePooling1D",
                 "GlobalAveragePooling2D", "GlobalAveragePooling3D", "Concatenate",
                 "RandomFlip", "RandomRotation", "RandomTranslation", "RandomZoom",
                 "RandomCrop", "CenterCrop", "Resizing")


@dataclass
class Hint:
    """One observation: a short ``title`` and an ``explanation`` naming the cause and the fix.

    ``kind`` is a stable identifier (``"learning_rate_too_high"``, ...), ``where``
    names the layer(s), weight(s) or data concerned.
    """

    kind: str
    title: str
    explanation: str
    where: str = ""

    def __str__(self):
        where = f" [{self.where}]" if self.where else ""
        return f"{self.title}{where}: {self.explanation}"


# ============================================================ what the data looked like
@dataclass
class InputSummary:
    """The scale of one model input in one batch (finite values only).

    ``reader`` names the first layer that computes with the raw values
    (``None`` when the scale check does not apply: token ids for an
    ``Embedding``, data meeting a ``Normalization`` first, text, or a
    subclassed model whose ``call`` may rescale before any layer).
    """

    shape: tuple
    dtype: str
    max_abs: float
    rms: float
    min: float
    reader: str = None
    whole: bool = False          # every value a whole number (counts, pixels, ids)


@dataclass
class LabelSummary:
    """The targets of one model output in one batch.

    ``class_counts[k]`` counts the samples of class ``k`` (integer labels,
    or the column sums of one-hot rows); ``None`` for targets that are not
    class labels. ``units`` is the width of the model's output, if known.
    """

    shape: tuple
    one_hot: bool
    class_counts: np.ndarray = None
    units: int = None


@dataclass
class BatchRecord:
    """One training batch, summarised: one :class:`InputSummary` per model input and
    one :class:`LabelSummary` per output."""

    inputs: list = field(default_factory=list)
    labels: list = field(default_factory=list)


def summarise_input(array, reader=None):
    """An :class:`InputSummary` of one input array (``None`` for text or empty arrays)."""
    array = np.asarray(backend.to_host(array))
    if array.dtype.kind not in "biuf" or array.size == 0:
        return None
    quick = finite_input_scale(array)            # the speed-up: same numbers, no copies
    if quick is not None:
        return InputSummary(shape=tuple(array.shape), dtype=str(array.dtype), reader=reader,
                            **quick)
    values = array.astype(np.float64, copy=False).ravel()
    finite = values[np.isfinite(values)] if array.dtype.kind == "f" else values
    if finite.size == 0:
        return None
    return InputSummary(shape=tuple(array.shape), dtype=str(array.dtype),
                        max_abs=float(np.max(np.abs(finite))),
                        rms=float(np.sqrt(np.mean(np.square(finite)))),
                        min=float(finite.min()), reader=reader,
                        whole=array.dtype.kind != "f"
                        or bool(np.all(finite == np.round(finite))))


def finite_input_scale(array):
    r"""``max_abs``, ``rms``, ``min`` and ``whole`` of :func:`summarise_input` for a
    float32 or float64 array whose entries are all finite; ``None`` for any other
    array (then the plain code runs).

    Speed-up: the plain code copies the batch to float64, picks its finite entries
    and squares them -- three new arrays and 0.1 ms for the 32x784 float32 batch of
    ``benchmarks/bench_tracer.py``, at the start of every recorded step (0.2 ms on
    its cold caches). Here the batch is read in its own precision: one compiled pass
    (:func:`kerastutor.compiled.deviation_sums` with the shift 0) sums the squares in
    float64 -- finite exactly when every entry is -- ``np.min`` and ``np.max`` give
    the extremes, :math:`\max|x| = \max(|\min x|, |\max x|)`, and a whole number is
    looked for first in a strided sample (:func:`_all_whole`). Rounding a float to
    an integer is exact in either precision, so ``min``, ``max_abs`` and ``whole``
    are the plain code's and the RMS agrees to float64 rounding
    (``tests/trace/test_hints.py``). 0.03 ms for that batch.
    """
    if array.dtype not in (np.float32, np.float64):
        return None
    flat = array.reshape(-1)
    sums = compiled.deviation_sums(flat, 0.0)
    if sums is None or not math.isfinite(sums[2]):     # no compiler, or a NaN/inf entry
        return None
    low, high = float(flat.min()), float(flat.max())
    return dict(max_abs=max(abs(low), abs(high)), rms=math.sqrt(sums[2] / flat.size), min=low,
                whole=_all_whole(flat))


def _all_whole(flat):
    r"""Is every entry of a flat float array a whole number? A strided sample (every
    :math:`s`-th entry, :math:`s = \lfloor n / 1024 \rfloor`) is asked first: real-valued
    data has a fraction there, and the answer is known without reading the rest."""
    sample = flat[::max(1, flat.size // 1024)]
    if not np.array_equal(sample, np.round(sample)):
        return False
    return bool(np.array_equal(flat, np.round(flat)))


def summarise_labels(array, units=None):
    """A :class:`LabelSummary`: class counts of integer labels or of one-hot rows."""
    y = np.asarray(backend.to_host(array))
    summary = LabelSummary(shape=tuple(y.shape), one_hot=False, units=units)
    integers = y.dtype.kind in "biu"              # finite and whole by their type
    if y.dtype.kind not in "biuf" or y.size == 0 or not (integers or np.all(np.isfinite(y))):
        return summary
    whole = integers or np.array_equal(y, np.round(y))
    if y.ndim >= 2 and y.shape[-1] > 1:                       # one row per sample
        rows = y.reshape(-1, y.shape[-1])
        if whole and rows.min() >= 0 and rows.max() <= 1 and np.all(rows.sum(axis=1) == 1):
            summary.one_hot = True
            summary.class_counts = rows.sum(axis=0).astype(np.int64)
    elif whole and y.min() >= 0 and y.max() <= (units or 10_000):   # integer class labels
        summary.class_counts = np.bincount(y.astype(np.int64).ravel())
    return summary


def describe_batch(model, x, y):
    """A :class:`BatchRecord` of one training batch (``x``, ``y``: lists of arrays)."""
    x = list(x) if isinstance(x, (list, tuple)) else [x]
    y = list(y) if isinstance(y, (list, tuple)) else ([] if y is None else [y])
    outputs = getattr(model, "outputs", None) or []
    units = [_last_axis(t) for t in outputs] + [None] * len(y)
    return BatchRecord(
        inputs=[summarise_input(array, raw_value_reader(model, i)) for i, array in enumerate(x)],
        labels=[summarise_labels(array, units[i]) for i, array in enumerate(y)])


def _last_axis(tensor):
    shape = getattr(tensor, "shape", None)
    return shape[-1] if shape else None


def raw_value_reader(model, index=0):
    """The name of the first layer that computes with model input ``index``'s raw values.

    The graph is walked from the input through layers that only move values
    (``Flatten``, pooling, dropout, augmentation, ...). ``None`` when the
    scale of the data does not matter or cannot be known: the input meets an
    index-reading layer (``Embedding``, lookups), a rescaling one
    (``Normalization``, ``Rescaling``, ``BatchNormalization``), a layer
    without weights that may rescale (``Lambda``, ``Activation``), or the
    model is subclassed (its ``call`` may divide by 255 before any layer).
    """
    steps, slots = getattr(model, "_steps", None), getattr(model, "_input_slots", None)
    if not steps or slots is None or index >= len(slots):
        return None
    reached, readers = {slots[index]}, []
    for step in steps:
        if not any(slot in reached for slot in step.in_slots):
            continue
        if type(step.layer).__name__ in _MOVES_VALUES:
            reached.update(step.out_slots)
        else:
            readers.append(step.layer)
    if not readers:
        return None
    names = []
    for layer in readers:
        kind = type(layer).__name__
        if getattr(layer, "_steps", None):            # a nested graph model: look inside
            inner = raw_value_reader(layer, 0)
            if inner is None:
                return None
            names.append(inner)
        elif kind in INDEX_LAYERS or kind in SCALING_LAYERS or not layer.weights:
            return None
        else:
            names.append(layer.name)
    return ", ".join(names)


# ============================================================ the scale rule
def scale_problem(max_abs, rms):
    """``"large"``, ``"tiny"`` or ``None``: is data of this size far from :math:`|x| \\approx 1`?

    Large needs both numbers: one outlier in standardised data (RMS 1) is no
    scaling problem, and neither are small counts (max 12, RMS 2).
    """
    if max_abs > INPUT_MAX_LIMIT and rms > INPUT_RMS_LIMIT:
        return "large"
    if 0 < max_abs < INPUT_TINY:
        return "tiny"
    return None


def scale_fix(summary):
    """The fix for an :class:`InputSummary` that :func:`scale_problem` flagged."""
    if summary.max_abs < INPUT_TINY:
        return ("standardise it: (x - x.mean(axis=0)) / x.std(axis=0), a "
                "keras.layers.Normalization() adapted on the training data, or "
                "sklearn's StandardScaler")
    if summary.whole and summary.min >= 0 and summary.max_abs <= 255:      # pixel values
        return ("divide by 255 (x / 255.0, pixels become 0..1) or put "
                "keras.layers.Rescaling(1/255) first")
    return ("standardise it: keras.layers.Normalization() adapted on the training data "
            "(layer.adapt(x_train)), sklearn's StandardScaler, or "
            "(x - x.mean(axis=0)) / x.std(axis=0)")


# ============================================================ helpers shared by checks
def _learning_rate(trace):
    """The optimizer's current learning rate as a float, or ``None``."""
    optimizer = getattr(getattr(trace, "model", None), "optimizer", None)
    try:
        return float(optimizer.learning_rate)
    except (AttributeError, TypeError, ValueError):
        return None


def _rate_text(trace):
    """``"the learning rate (10)"`` and the suggestion ``"1"``, or generic words."""
    rate = _learning_rate(trace)
    if rate is None or not np.isfinite(rate) or rate <= 0:
        return "the learning rate", "a tenth of it"
    return f"the learning rate ({rate:g})", f"{rate / 10:g}"


def _output_layer_names(step):
    return {out.layer_name for out in step.outputs if out.layer_name}


def _hidden(step):
    """Layer records that do not produce a model output (all but the last, if unknown)."""
    names = _output_layer_names(step)
    if names:
        return [r for r in step.layers if r.name not in names]
    return step.layers[:-1]


def _likely_cause(trace):
    """A sentence naming a cause this trace shows (``None`` if it shows none)."""
    if learning_rate_too_high(trace) is not None:
        return "Here the cause is most likely the learning rate (see that hint): fix it first."
    if inputs_not_scaled(trace) is not None:
        return "Here the cause is most likely the unscaled inputs (see that hint): fix them first."
    return None


# ============================================================ causes: learning rate
def overall_update_ratio(step):
    r"""One step's :math:`\sqrt{\sum \lVert\Delta W\rVert^2} / \sqrt{\sum \lVert W\rVert^2}`.

    Pooled over all weights, so a bias that is still almost 0 (whose own
    ratio is huge after its first tiny step) does not dominate.
    """
    done = [w for w in step.weights if w.update_norm is not None]
    total = np.sqrt(sum(w.norm ** 2 for w in done))
    if not done or total == 0:
        return None
    return float(np.sqrt(sum(w.update_norm ** 2 for w in done)) / total)


def learning_rate_too_high(trace):
    """The loss rose (even if it then flattened), turned inf/NaN, or a step was huge."""
    losses = [step.loss for step in trace.steps if step.loss is not None]
    rate, smaller = _rate_text(trace)
    fix = f"Divide {rate} by 10 (try {smaller})."
    if len(losses) >= 2 and np.isfinite(losses[0]) and not all(np.isfinite(losses[1:])):
        return Hint("learning_rate_too_high", "Learning rate too high",
                    f"the loss was {losses[0]:.3g}, then became inf or NaN after the "
                    f"updates: each step overshoots the minimum further, until the numbers "
                    f"overflow. {fix}", "optimizer")
    finite = [loss for loss in losses if np.isfinite(loss)]
    if len(finite) >= 2:
        first, peak, last = finite[0], max(finite[1:]), finite[-1]
        if peak > DIVERGENCE_FACTOR * first and last > first:
            shape = ("and stayed there" if abs(last - peak) <= 0.1 * peak
                     else f"then {last:.3g}")
            return Hint("learning_rate_too_high", "Learning rate too high",
                        f"the loss rose from {first:.3g} to {peak:.3g} ({shape}) over "
                        f"{len(finite)} recorded steps, where it should fall: each step "
                        f"jumps past the minimum. {fix}", "optimizer")
    ratios = [r for r in map(overall_update_ratio, trace.steps) if r is not None]
    if ratios and np.isfinite(max(ratios)) and max(ratios) > LARGE_UPDATE_RATIO:
        return Hint("learning_rate_too_high", "Learning rate too high",
                    f"one step changed the weights by {max(ratios):.2g} of their size "
                    f"(healthy steps are about 1e-3): such jumps throw away what was "
                    f"learned. {fix}", "optimizer")
    return None


def learning_rate_too_low(trace):
    ratios = [overall_update_ratio(step) for step in trace.steps]
    ratios = [r for r in ratios if r is not None and np.isfinite(r)]
    if ratios and max(ratios) < TINY_UPDATE_RATIO:
        rate, _ = _rate_text(trace)
        return Hint("learning_rate_too_low", "Learning rate too low",
                    f"each step moved the weights by at most {max(ratios):.1e} of their "
                    f"size (a healthy step is about 1e-3): training will barely move. "
                    f"Multiply {rate} by 10 or 100.", "optimizer")
    return None


# ============================================================ causes: the data
def inputs_not_scaled(trace):
    """The data reaching the first computing layer is far from |x| ~ 1."""
    for step in trace.steps:
        data = getattr(step, "data", None)
        for index, summary in enumerate(data.inputs if data is not None else []):
            if summary is None or summary.reader is None:
                continue
            problem = scale_problem(summary.max_abs, summary.rms)
            if problem is None:
                continue
            name = "x" if len(data.inputs) == 1 else f"x[{index}]"
            size = (f"reach {summary.max_abs:.4g} (RMS {summary.rms:.3g})" if problem == "large"
                    else f"are all below {summary.max_abs:.2g}")
            effect = ("a weighted sum of values this large pushes sigmoid/tanh units to "
                      "their flat ends and makes the first steps huge (ReLUs die)"
                      if problem == "large" else
                      "the first layer's weights get gradients this small and hardly move")
            return Hint("inputs_not_scaled", "Inputs not scaled",
                        f"the inputs ({name}) {size}; networks train best on values of "
                        f"about -1..1, and {effect}. Fix: {scale_fix(summary)}.",
                        f"{name} -> {summary.reader}")
    return None


def _class_counts(trace, index):
    """Class counts of output ``index`` summed over the steps, the output's units, whether
    one-hot, and the largest batch (``record`` may show one batch several times)."""
    total, units, one_hot, batch = None, None, False, 0
    for step in trace.steps:
        data = getattr(step, "data", None)
        if data is None or index >= len(data.labels) or data.labels[index] is None:
            continue
        labels = data.labels[index]
        if labels.class_counts is None:
            return None, None, False, 0
        counts = labels.class_counts
        batch = max(batch, int(counts.sum()))
        if total is None:
            total = counts.copy()
        else:
            size = max(len(total), len(counts))
            total = np.pad(total, (0, size - len(total))) + np.pad(counts, (0, size - len(counts)))
        units, one_hot = labels.units or units, labels.one_hot
    return total, units, one_hot, batch


def labels_counted_from_one(trace):
    """Class 0 never occurs, yet the labels reach the output's last unit."""
    steps = trace.steps
    for index, out in enumerate(steps[-1].outputs if steps else []):
        if "crossentropy" not in out.loss and "hinge" not in out.loss:
            continue                               # not a classification loss
        counts, units, one_hot, batch = _class_counts(trace, index)
        if one_hot and counts is not None:
            units = len(counts)
        if counts is None or units is None or units < 3:
            continue
        top = len(counts) - 1                      # the largest label seen
        present = np.count_nonzero(counts)
        # With uniform labels, a batch of n misses class 0 with probability (1 - 1/C)^n.
        chance = (1 - 1 / units) ** batch
        if counts[0] == 0 and top >= units - 1 and present >= 2 \
                and chance < MISSING_CLASS_CHANCE:
            fix = (f"to_categorical(y - 1, num_classes={units - 1}) and a Dense({units - 1}) "
                   "output" if one_hot else
                   f"y - 1, and a Dense({top}) output for the {top} classes")
            what = ("column 0 of the one-hot labels is never set" if one_hot
                    else f"no label is 0 while labels go up to {top}")
            return Hint("labels_counted_from_one", "Labels counted from 1",
                        f"{what} (in batches of {batch} samples): the classes look "
                        f"numbered 1..{top}, but Keras counts classes from 0, so unit 0 "
                        f"of {out.layer_name or 'the output'} is a class that never "
                        f"occurs. Fix: {fix}.", out.layer_name or "")
    return None


# ============================================================ causes: logits or probabilities
def _makes_probabilities(output):
    if output.activation is not None:
        return output.activation in _PROBABILITY_ACTIVATIONS
    return output.in_unit_interval and (output.rows_sum_to_one or not output.categorical)


def probabilities_given_as_logits(trace):
    """A softmax (sigmoid) output, but the loss was told ``from_logits=True``."""
    for step in trace.steps:
        for out in step.outputs:
            if out.from_logits and _makes_probabilities(out):
                what = out.activation or "probabilities"
                return Hint("softmax_with_from_logits", f"{what} output with from_logits=True",
                            f"{out.layer_name or 'the output'} already gives {what}, but "
                            f"{out.loss} has from_logits=True and applies {what} a second "
                            "time, which squashes the gradients. Fix: from_logits=False in "
                            "the loss, or (more stable) no activation on the last layer "
                            "with from_logits=True.", out.layer_name or "")
    return None


def logits_given_as_probabilities(trace):
    """A linear output fed to a crossentropy that expects probabilities."""
    for step in trace.steps:
        for out in step.outputs:
            if out.from_logits is not False:
                continue
            linear = out.activation == "linear"
            impossible = not out.in_unit_interval or (out.categorical
                                                      and not out.rows_sum_to_one)
            if linear or impossible:
                squash = "sigmoid" if "binary" in out.loss else "softmax"
                return Hint("linear_output_for_probabilities",
                            "Linear output fed to a loss expecting probabilities",
                            f"{out.loss} (from_logits=False) expects probabilities, but "
                            f"{out.layer_name or 'the output layer'} has no softmax/sigmoid"
                            " (its values are not probabilities). The loss clips them to "
                            "[eps, 1-eps], where the gradient is 0. Fix: "
                            f"activation=\"{squash}\" on the last layer, or "
                            "from_logits=True in the loss.", out.layer_name or "")
    return None


# ============================================================ symptoms: activations
def dead_relus(trace):
    for step in trace.steps:
        dead = [r for r in step.layers if r.dead_fraction is not None
                and r.dead_fraction >= DEAD_FRACTION]
        if dead:
            worst = max(dead, key=lambda r: r.dead_fraction)
            cause = _likely_cause(trace) or (
                "Usual causes: a learning rate too high (one big step pushes the biases "
                "far negative), a negative bias initialisation, or unscaled inputs. Fix "
                "the cause; LeakyReLU or He initialisation also help.")
            return Hint("dead_relus", "Dead ReLUs",
                        f"{worst.dead_fraction:.0%} of the units of {worst.name} output 0 "
                        f"for every sample of the batch (step {step.index}), so they get no "
                        f"gradient and cannot recover. {cause}",
                        ", ".join(r.name for r in dead))
    return None


def saturated_activations(trace):
    for step in trace.steps:
        saturated = [r for r in _hidden(step) if r.saturated_fraction is not None
                     and r.saturated_fraction >= SATURATED_FRACTION]
        if saturated:
            worst = max(saturated, key=lambda r: r.saturated_fraction)
            cause = _likely_cause(trace) or (
                "Usual causes: unscaled inputs, weights initialised too large, or a "
                "learning rate too high. Standardise the inputs, use glorot/he "
                "initialisation, or use ReLU.")
            return Hint("saturated_activations", f"Saturated {worst.activation}",
                        f"{worst.saturated_fraction:.0%} of the outputs of {worst.name} sit "
                        f"at the flat ends of {worst.activation} (step {step.index}), where "
                        f"its derivative is almost 0, so the gradient stops there. {cause}",
                        ", ".join(r.name for r in saturated))
    return None


# ============================================================ symptoms: gradient flow
def _hidden_gradient_flow(step):
    """(first hidden, last hidden, RMS ratio, the hidden records) over those with a gradient."""
    flowing = [r for r in _hidden(step) if r.grad_output is not None
               and np.isfinite(r.grad_output.rms) and r.grad_output.rms > 0]
    if len(flowing) < 2:
        return None
    first, last = flowing[0], flowing[-1]
    return first, last, first.grad_output.rms / last.grad_output.rms, flowing


def vanishing_gradients(trace):
    for step in trace.steps:
        flow = _hidden_gradient_flow(step)
        if flow is None or flow[2] >= VANISHING_RATIO:
            continue
        first, last, ratio, hidden = flow
        squashing = sorted({r.activation for r in hidden
                            if r.activation in _SATURATING_ACTIVATIONS})
        if not squashing:
            continue                   # small gradients without sigmoid/tanh: another cause
        return Hint("vanishing_gradients", "Vanishing gradients",
                    f"the gradient reaching {first.name} is {ratio:.1e} times the one "
                    f"reaching {last.name} (step {step.index}): each {'/'.join(squashing)} "
                    "layer multiplies it by a derivative below 1 (at most 0.25 for "
                    "sigmoid), so the first layers hardly learn. Fix: ReLU in the hidden "
                    "layers (with He initialisation), fewer layers, batch normalisation or "
                    "residual connections.", f"{first.name} .. {last.name}")
    return None


def exploding_gradients(trace):
    for step in trace.steps:
        bad = [w.path for w in step.weights if w.grad is not None and w.grad.nonfinite]
        if bad:
            cause = _likely_cause(trace) or "Usual causes: the learning rate or huge inputs."
            return Hint("exploding_gradients", "Exploding gradients",
                        f"some gradients are inf or NaN in step {step.index}. {cause} "
                        "Clipping (clipnorm=1.0 in the optimizer) also guards against it.",
                        ", ".join(bad))
        flow = _hidden_gradient_flow(step)
        if flow and flow[2] > EXPLODING_RATIO:
            first, last, ratio, _ = flow
            return Hint("exploding_gradients", "Exploding gradients",
                        f"the gradient reaching {first.name} is {ratio:.1e} times the one "
                        f"reaching {last.name} (step {step.index}): each layer amplifies "
                        "it. Fix: a smaller initialisation (glorot/he), normalisation "
                        "layers, or clip gradients (clipnorm=1.0).",
                        f"{first.name} .. {last.name}")
    return None


#: Causes first, then the symptoms (which name the cause they found).
CHECKS = (learning_rate_too_high, inputs_not_scaled, labels_counted_from_one,
          probabilities_given_as_logits, logits_given_as_probabilities, learning_rate_too_low,
          dead_relus, saturated_activations, vanishing_gradients, exploding_gradients)


def find_hints(trace):
    """Run every check in :data:`CHECKS`; the hints found, causes first."""
    return [hint for hint in (check(trace) for check in CHECKS) if hint is not None]
