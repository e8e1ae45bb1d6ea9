"""The Trainer's helpers: what ``compile`` chose, the data in, the batches out.

:class:`~kerastutor.models.trainer.Trainer` holds the loop itself (``fit``,
``train_step``, ``evaluate``, ``predict``); this module holds the Keras
behaviour the loop relies on, each piece a short function:

* **compile** -- :class:`CompiledState` and :func:`resolve_compiled`, which
  turn ``"accuracy"`` or ``"crossentropy"`` into objects once the shapes of
  the targets are known;
* **arguments** -- :func:`checked_counts` and :func:`check_class_weight`:
  a bad ``batch_size``, ``steps`` or ``epochs`` fails before any work;
* **data** -- :func:`prepare_data` (arrays checked: numbers only, at least one
  sample, lengths, finite values, labels that fit the loss; one warning for
  values that overflow float32), ``validation_split`` taking the *last* fraction
  before shuffling (:func:`split_validation`), ``class_weight``, and the
  :class:`BatchIterator` (batch size 32 unless told);
* **bookkeeping** -- the loss of every output, regularization penalties, the
  running-mean loss in the progress bar, and logs with keys in alphabetical
  order, as Keras's History shows them.
"""
import collections.abc
import math
import numbers

import warnings

import numpy as np

from kerastutor import backend, losses
from kerastutor import metrics as metrics_module
from kerastutor.losses.loss import targets_checked_on_host
from kerastutor.metrics.metric import python_floats
from kerastutor.utils.py_dataset import PyDataset


# ============================================================== compile
class CompiledState:
    """What ``compile`` chose, resolved against the first data seen.

    Keras resolves ``"accuracy"`` and ``"crossentropy"`` from the *shapes*
    of the targets and predictions, so this happens at the first
    ``fit``/``evaluate`` call, not in ``compile`` itself.
    """

    def __init__(self, loss, loss_weights, metrics, weighted_metrics):
        self.loss_spec = loss
        self.loss_weights_spec = loss_weights
        self.metrics_spec = metrics
        self.weighted_metrics_spec = weighted_metrics
        self.resolved = False
        self.losses = []           # one Loss per output
        self.loss_weights = []     # one float per output
        self.metrics = []          # (output index, Metric) pairs, unweighted
        self.weighted = []         # (output index, Metric) pairs, get sample weights
        self.loss_tracker = RunningMean("loss")
        self.output_loss_trackers = []


class RunningMean:
    """The epoch loss Keras shows: a mean of batch losses weighted by batch size.

    .. math:: \\bar L = \\frac{\\sum_b n_b L_b}{\\sum_b n_b}

    On the host the sum is a Python float. On a GPU it is a 0-d device array (float32,
    as Keras's own loss tracker): adding a step's loss launches a kernel instead of
    waiting for the GPU to hand the loss over.
    """

    def __init__(self, name):
        self.name = name
        self.reset_state()

    def update_state(self, value, weight=1):
        """Add one batch's loss; ``weight`` is its size (1: a custom step's ``update_state(loss)``)."""
        self.total = plus(self.total, number(value) * weight)
        self.count += weight

    def result(self):
        return self.total / self.count if self.count else 0.0

    def reset_state(self):
        self.total = 0.0
        self.count = 0


# ============================================================== loss numbers
# A step's loss is a number on the host. On a GPU it stays a 0-d device array until
# someone reads it -- the progress bar, a callback, History at the epoch's end,
# evaluate's return value (read_logs) -- because every read makes the host wait
# for the GPU to finish its queue of kernels.
def number(value):
    """A loss or metric value for the bookkeeping: a Python float on the host, the 0-d
    device array itself on a GPU."""
    return value if backend.is_device_array(value) else float(value)


def plus(total, value):
    """``total + value`` for loss numbers: Python arithmetic on the host, exactly as
    always; on a GPU one kernel, and none at all when one side is a plain 0 (no
    penalty, or nothing added yet)."""
    on_device = backend.is_device_array(total) or backend.is_device_array(value)
    if on_device and not backend.is_device_array(value) and value == 0:
        return total
    if on_device and not backend.is_device_array(total) and total == 0:
        return value
    return total + value


def read_logs(logs):
    """The logs with every value a Python float; those on a GPU read back in one download."""
    return dict(zip(logs, python_floats(list(logs.values()))))


def check_names(loss, metrics, weighted_metrics):
    """Unknown loss or metric names fail in compile, with a suggestion (as in Keras)."""
    loss_specs = loss.values() if isinstance(loss, dict) else \
        (loss if isinstance(loss, (list, tuple)) else [loss])
    for spec in loss_specs:
        if isinstance(spec, str) and spec.lower() not in ("crossentropy", "ce"):
            losses.get(spec)
    for group in (metrics, weighted_metrics):
        specs = group.values() if isinstance(group, dict) else (group or [])
        for spec in specs:
            for item in (spec if isinstance(spec, (list, tuple)) else [spec]):
                if isinstance(item, str) and item.lower() not in ("accuracy", "acc"):
                    metrics_module.get(item)


def require_backward(model):
    """Training needs every layer's derivative: fail now, not with a wrong gradient later.

    Except where no gradient goes: the layers at the start of a model that
    only see data and have no trainable weights (a StringLookup or a
    TextVectorization reading text) are never asked for a backward.
    """
    exempt = _layers_before_any_gradient(model)
    for layer in model.layers:
        if not layer.has_backward and id(layer) not in exempt:
            layer.backward(None, None)      # raises the layer's own explanation


def _layers_before_any_gradient(model):
    """The ids of the layers whose every call is fed only by data and that train nothing."""
    steps = getattr(model, "_steps", None)
    if not steps:
        return set()
    fed_by_data = model._steps_fed_only_by_data()
    calls = {}
    for index, step in enumerate(steps):
        calls.setdefault(id(step.layer), []).append(index in fed_by_data)
    return {id(step.layer) for step in steps
            if all(calls[id(step.layer)]) and not step.layer.trainable_weights}


def require_compiled(model, what):
    state = getattr(model, "_compiled", None)
    if state is None:
        raise RuntimeError(
            f"You must call compile() before using the model in {what}(). For example: "
            f"model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', "
            f"metrics=['accuracy']).")
    return state      # compiled without a loss: the model's own losses may do (see below)


def trainable_state(model):
    """``{layer: layer.trainable}`` for the model and every layer inside it."""
    state, todo = {}, [model]
    while todo:
        layer = todo.pop()
        if layer not in state:
            state[layer] = layer.trainable
            todo.extend(layer._sublayers())
    return state


def warn_if_trainable_changed(model, state):
    """Keras's warning when ``trainable`` changed since ``compile`` (once per change).

    kerastutor reads ``trainable`` at every step, so the change takes effect here
    either way; but Keras's compiled functions may keep the old weights, so a
    program meant to run in Keras should recompile. (Keras 3.15.1 means to warn so,
    but its check sits after a ``raise`` in ``_assert_compile_called`` and never runs.)
    """
    now = trainable_state(model)
    changed = [layer.name for layer, trainable in now.items()
               if state.trainable_state.get(layer, not trainable) != trainable]
    if changed:
        warnings.warn(
            "A layer's `trainable` state has changed since the model was compiled. This can "
            "result in unexpected behavior, as the compiled optimizer and loss functions may "
            "not track the correct variables. Please recompile your model (e.g. "
            "`model.compile(...)`) before calling `fit()` or `evaluate()` so the change "
            f"takes effect. Changed layers: {changed}", stacklevel=4)
        state.trainable_state = now


def require_a_loss(state, model):
    """Compiled without a loss, the model must add its own (``add_loss``, regularizers).

    Checked after the forward pass, when ``model.losses`` holds the terms of
    this call; Keras raises the same error at the same point.
    """
    if not state.losses and not model.losses:
        raise ValueError(
            "No loss to compute. Provide a `loss` argument in `compile()`. (Model "
            f"{model.name!r} was compiled without a loss and adds none itself with "
            "add_loss() or a regularizer.) Fix: e.g. model.compile(optimizer='adam', "
            "loss='mse').")


def _per_output(spec, names, what):
    """Spread a loss/metrics spec over the outputs: one value, a list, or a dict."""
    if isinstance(spec, dict):
        unknown = set(spec) - set(names)
        if unknown:
            raise ValueError(f"compile({what}=...): keys {sorted(unknown)} are not output "
                             f"names; the model's outputs are {names}.")
        return [spec.get(name) for name in names]
    if isinstance(spec, (list, tuple)) and len(names) > 1 and what != "metrics":
        if len(spec) != len(names):
            raise ValueError(f"compile({what}=...): got {len(spec)} entries for "
                             f"{len(names)} outputs {names}.")
        return list(spec)
    return [spec] * len(names)


def _metrics_per_output(spec, names):
    if spec is None:
        return [[] for _ in names]
    if isinstance(spec, dict):
        return [_as_list(spec.get(name)) for name in names]
    spec = list(spec)
    if len(names) > 1 and len(spec) == len(names) and all(
            isinstance(s, (list, tuple)) or s is None for s in spec):
        return [_as_list(s) for s in spec]
    return [spec for _ in names]


def _compiled_metrics(spec, names, ys, pred_shapes):
    """``(output index, metric)`` for each metric ``compile`` named, built for that output's
    shapes; with several outputs the name says which (``"out1_accuracy"``)."""
    for index, specs in enumerate(_metrics_per_output(spec, names)):
        for one_spec in specs:
            metric = metrics_module.get_compile_metric(one_spec, np.shape(ys[index]),
                                                       pred_shapes[index])
            if len(names) > 1:
                metric.name = f"{names[index]}_{metric.name}"
            yield index, metric


def _as_list(value):
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def resolve_compiled(model, state, ys):
    """Turn the compile spec into loss and metric objects, now that shapes are known."""
    if state.resolved:
        return
    names = model._data_keys("output")       # a dict output's keys, else the layer names
    pred_shapes = [tuple(t.shape) for t in model.outputs]
    state.model = model            # for require_a_loss, when compiled without a loss
    loss_specs = _per_output(state.loss_spec, names, "loss") if state.loss_spec is not None \
        else []
    _refuse_outputs_without_a_loss(loss_specs, names)
    for index, (spec, y, pred_shape) in enumerate(zip(loss_specs, ys, pred_shapes)):
        if isinstance(spec, str) and spec.lower() in ("crossentropy", "ce"):
            spec = losses.resolve_crossentropy(np.shape(y), pred_shape)
        loss = losses.get(spec)
        state.losses.append(loss)
        _warn_logits_mismatch(model, index, loss)
    weights = _per_output(state.loss_weights_spec, names, "loss_weights")
    state.loss_weights = [1.0 if w is None else float(w) for w in weights]
    multi = len(names) > 1
    taken = {"loss"}
    for index, metric in _compiled_metrics(state.metrics_spec, names, ys, pred_shapes):
        taken.add(metric.name)
        state.metrics.append((index, metric))
    for index, metric in _compiled_metrics(state.weighted_metrics_spec, names, ys, pred_shapes):
        if metric.name in taken:
            metric.name = f"weighted_{metric.name}"
        state.weighted.append((index, metric))
    if multi and state.losses:
        state.output_loss_trackers = [RunningMean(f"{name}_loss") for name in names]
    state.resolved = True


def _refuse_outputs_without_a_loss(loss_specs, names):
    """A loss dict must name every output.

    Keras 3.15.1 trains only the outputs a loss dict names, but then wants
    ``y`` for exactly those; kerastutor trains every output, so it says so
    here instead of failing inside the step.
    """
    missing = [name for name, spec in zip(names, loss_specs) if spec is None]
    if missing and len(missing) < len(names):
        raise ValueError(
            f"compile(loss=...): the loss dict has no entry for the output(s) {missing}; "
            "kerastutor trains every output of the model. Fix: give each output a loss, "
            f"and weigh one out with loss_weights={{{missing[0]!r}: 0.0}} if it should not "
            "train, or build a model without that output.")


def _warn_logits_mismatch(model, index, loss):
    """Softmax output + from_logits=True (or linear + from_logits=False) never trains well."""
    from_logits = getattr(loss, "from_logits", None)
    if from_logits is None:
        return
    layer = model.outputs[index].history[0]
    act = getattr(getattr(layer, "activation", None), "name", None)
    if from_logits and act in ("softmax", "sigmoid"):
        backend.warn_user(
            f'Output layer "{layer.name}" applies {act}, but the loss {loss.name} has '
            f"from_logits=True, so it applies {act} a second time. Use from_logits=False, "
            f"or remove the activation from the last layer.")


# ============================================================== data
def to_arrays(model, data, what, kind, warn=True):
    """``x`` or ``y`` as a list of arrays, one per model input/output.

    Every array is checked on the way in (:func:`_checked_array`): numbers
    only, one fixed shape, at least one sample. ``warn=False`` skips the
    float32-overflow warning (for a second conversion of the same data).
    """
    if data is None:
        return None
    _refuse_stream(data, what)
    names = model._data_keys(kind) if model.built else None     # dict keys or layer names
    if isinstance(data, dict):
        if names is None:
            raise ValueError(f"{what}: a dict needs a model with named inputs/outputs.")
        missing = [n for n in names if n not in data]
        if missing:
            raise ValueError(f"{what}: the dict has no entry for {missing}; "
                             f"expected keys {names}.")
        data = [data[n] for n in names]
    several = isinstance(data, (list, tuple))
    if several and names is not None and len(names) == 1 and len(data) != 1:
        several = False                      # a plain Python list of samples
    elif several and names is None and not _is_list_of_arrays(data):
        several = _one_list_per_input(data)  # before the model is built: guess from shapes
    parts = list(data) if several else [data]
    labels = [what if len(parts) == 1 else f"{what}[{i}]" for i in range(len(parts))]
    text = _text_inputs(model, kind, len(parts))
    arrays = [_checked_array(part, label, is_text)
              for part, label, is_text in zip(parts, labels, text)]
    if warn:
        _warn_overflow(arrays, labels)
    return [_cast(a) for a in arrays]


def _is_list_of_arrays(data):
    """``[x1, x2]`` for a multi-input model, as opposed to ``[[0.1, 0.2], [0.3, 0.4]]``."""
    return all(hasattr(part, "__array__") or hasattr(part, "shape") or isinstance(part, dict)
               for part in data)


def _one_list_per_input(data):
    """Python lists before the model is built: rows of one array, or one list per input?

    Rows of one array convert to one array; lists for several inputs hold the
    same number of samples each but cannot be stacked (their features differ).
    """
    try:
        np.asarray(data)
        return False
    except ValueError:
        pass
    try:
        lengths = {len(np.asarray(part)) for part in data}
    except (ValueError, TypeError):
        return False                         # ragged inside: _checked_array explains
    return len(lengths) == 1


def _refuse_stream(data, what):
    """A stream where arrays are needed: Keras's "Unrecognized data type", and the fix.

    ``fit``/``evaluate``/``predict`` read a ``PyDataset`` or a generator passed
    as ``x`` itself (:mod:`kerastutor.models.data_adapters`); any other
    iterator, or a stream inside a list or dict, or a stream given to a
    ``*_on_batch`` method, ends here.
    """
    parts = data if isinstance(data, (list, tuple)) else [data]
    for part in parts:
        if isinstance(part, (collections.abc.Iterator, PyDataset)):
            raise ValueError(
                f"Unrecognized data type: {what}={part!r} (of type {type(part)}) Fix: pass "
                "NumPy arrays, or give fit/evaluate/predict a keras.utils.PyDataset or a "
                "Python generator (a function with `yield`) as x itself -- other iterators "
                "are not read; collect them into arrays first, e.g. "
                "x = np.concatenate(list(batches)).")


def _text_inputs(model, kind, count):
    """For each of ``count`` arrays: does the model take it as text?

    Only an input declared ``keras.Input(..., dtype="string")`` does -- a
    model that begins with a StringLookup, TextVectorization or Hashing
    layer. Everywhere else text is a mistake, and :func:`_checked_array`
    says how to fix it.
    """
    inputs = getattr(model, "inputs", None) if kind == "input" and model.built else None
    if not inputs or len(inputs) != count:
        return [False] * count
    return [getattr(t, "dtype", None) == "string" for t in inputs]


def _checked_text(array, what):
    """Text for a string input: NumPy's ``str`` array (Python strings in an object
    array, as pandas gives them, are converted; anything else there is refused)."""
    if array.dtype.kind == "O":
        if not all(isinstance(item, (str, bytes)) for item in array.ravel()):
            raise TypeError(
                f"{what} is the text of a string input, but holds values that are not "
                "strings (dtype object). Fix: pass an array of str, e.g. "
                "np.asarray(texts, dtype=str).")
        array = array.astype(str)
    if array.ndim == 0 or len(array) == 0:
        raise ValueError(f"{what} needs one text per sample; got shape {array.shape}. Fix: "
                         'pass an array of texts, e.g. np.array([["a text"], ["another"]]).')
    return array


def _checked_array(data, what, text=False):
    """One input or target as a NumPy array of numbers, or an error saying what to pass.

    Kinds accepted: bool (``b``), integers (``i``, ``u``) and floats (``f``);
    strings, complex numbers, dates and Python objects are refused -- except
    strings for an input the model declares as text (``text=True``:
    ``keras.Input(shape=(1,), dtype="string")``).
    """
    try:
        array = np.asarray(data)
    except ValueError:               # NumPy >= 1.24 refuses ragged nesting outright
        raise ValueError(
            f"{what} is a ragged list: its samples have different lengths "
            f"({_sample_lengths(data)}). The model needs one fixed shape. Fix: pad or "
            "truncate every sample to one length first, e.g. rows of zeros after the "
            "values, and pass a NumPy array.") from None
    kind = array.dtype.kind
    if text and kind in "USO":
        return _checked_text(array, what)
    if kind == "O":
        _refuse_objects(array, data, what)
    if kind in "USa":
        raise TypeError(
            f"{what} holds strings (dtype {array.dtype}, e.g. {str(array.flat[0])!r}); the model "
            "needs numbers. Fix: turn text into numbers first (a lookup of the vocabulary, "
            "or np.asarray(values, dtype='float32') if they are numbers written as text) -- "
            "or, if the model's first layer reads text (StringLookup, TextVectorization, "
            "Hashing), start it with keras.Input(shape=(1,), dtype='string').")
    if kind == "c":
        raise TypeError(
            f"{what} holds complex numbers (dtype {array.dtype}); the layers work on real "
            "numbers. Fix: pass the real and imaginary parts as two features, e.g. "
            "np.stack([x.real, x.imag], axis=-1).")
    if kind not in "biuf":
        raise TypeError(f"{what} has dtype {array.dtype}, which the model cannot use. Fix: "
                        "pass bool, integer or float values, e.g. x.astype('float32').")
    if array.ndim == 0:
        raise ValueError(f"{what} is a single number ({array.item()!r}); it needs one entry "
                         "per sample. Fix: pass an array whose first axis is the samples, "
                         f"e.g. np.array([{array.item()!r}]).")
    if len(array) == 0:
        raise ValueError(
            f"{what} is empty: shape {array.shape}, 0 samples. fit, evaluate and predict "
            "need at least one sample. Fix: check the loading or slicing that produced it.")
    return array


def _sample_lengths(data):
    lengths = [len(row) if hasattr(row, "__len__") else "a number" for row in data]
    shown = ", ".join(str(n) for n in lengths[:6])
    return f"lengths {shown}{', ...' if len(lengths) > 6 else ''}"


def _refuse_objects(array, data, what):
    """dtype ``object``: a ragged nesting NumPy kept, or values that are not numbers."""
    items = array.ravel()
    if any(hasattr(item, "__len__") and not isinstance(item, str) for item in items):
        raise ValueError(
            f"{what} is a ragged list: its samples have different lengths "
            f"({_sample_lengths(data)}). The model needs one fixed shape. Fix: pad or "
            "truncate every sample to one length first, and pass a NumPy array.")
    odd = next((item for item in items if not isinstance(item, (int, float, bool))), None)
    raise TypeError(
        f"{what} has dtype object: it holds a {type(odd).__name__} ({odd!r}) where numbers "
        "were expected. Fix: pass numbers only -- replace missing values (None) with a number "
        "and convert the rest, e.g. np.asarray(x, dtype='float32').")


def _warn_overflow(arrays, labels):
    r"""One warning when values are too large for float32 arithmetic.

    float32 holds magnitudes up to :math:`M \approx 3.4\times10^{38}`; a
    float64 value beyond it turns into ``inf`` when cast (it is clipped to
    :math:`\pm M` here instead), and any value beyond
    :math:`\sqrt{M} \approx 1.8\times10^{19}` overflows as soon as it is
    squared (a squared error, a variance), so training ends in NaN.
    """
    limit = math.sqrt(float(np.finfo(np.float32).max))
    big = [(label, _largest_finite(a)) for a, label in zip(arrays, labels)
           if a.dtype.kind == "f"]
    big = [(label, top) for label, top in big if top > limit]
    if big:
        found = ", ".join(f"{label} up to {top:.3g}" for label, top in big)
        backend.warn_user(
            f"Input values too large for float32: {found} (float32 overflows beyond "
            "3.4e38, and a value's square beyond 1.8e19), so the loss and the weights will "
            "become inf/NaN. Fix: rescale the data before training, e.g. "
            "x = (x - x.mean(axis=0)) / x.std(axis=0), or divide by np.abs(x).max().")


def _largest_finite(array):
    """max |x| over the finite values; two reductions and no copy in the usual case."""
    top = max(-float(array.min()), float(array.max()))
    if math.isfinite(top):
        return top
    finite = array[np.isfinite(array)]       # rare: inf/NaN present (refused later)
    return float(np.abs(finite).max(initial=0.0))


def _cast(array):
    if array.dtype.kind == "f" and array.dtype != backend.floatx():
        top = float(np.finfo(backend.floatx()).max)
        if array.dtype.itemsize > np.dtype(backend.floatx()).itemsize and \
                _largest_finite(array) > top:
            array = np.clip(array, -top, top)     # finite stays finite (warned above)
        return array.astype(backend.floatx())
    return array


def _check_finite(arrays, what):
    for index, array in enumerate(arrays or []):
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            bad = np.argwhere(~np.isfinite(array))
            count = len(bad)
            raise ValueError(
                f"{what}{'' if len(arrays) == 1 else f'[{index}]'} contains {count} NaN or "
                f"infinite value(s), the first at index {tuple(int(i) for i in bad[0])}. "
                "Hint: clean or impute them (np.nan_to_num, dropping rows) before training; "
                "a single NaN turns every weight into NaN.")


def num_samples(arrays, what):
    sizes = {len(a) for a in arrays}
    if len(sizes) > 1:
        raise ValueError(f"{what}: all arrays must have the same number of samples, "
                         f"got {[len(a) for a in arrays]}.")
    return sizes.pop()


def _check_xy(xs, ys):
    n_x, n_y = num_samples(xs, "x"), num_samples(ys, "y")
    if n_x != n_y:
        raise ValueError(f"x has {n_x} samples but y has {n_y}. Each input sample needs "
                         "exactly one target.")


def class_weight_to_sample_weights(y, class_weight):
    """Keras's rule: a class index per sample (argmax of one-hot), then a lookup."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        classes = y.argmax(axis=1)
    else:
        classes = np.round(y.reshape(len(y), -1)[:, 0]).astype(np.int64)
    weights = np.ones(len(y), dtype=backend.floatx())
    for cls, weight in class_weight.items():
        weights[classes == int(cls)] = weight
    return weights


def split_validation(xs, ys, sw, validation_split):
    """Keras takes the LAST fraction as validation, before any shuffling."""
    if not 0 < validation_split < 1:
        raise ValueError(f"validation_split must be between 0 and 1, got {validation_split}.")
    n = len(xs[0])
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(
            f"validation_split={validation_split} on {n} samples leaves "
            f"{split_at} for training and {n - split_at} for validation; both must be > 0.")
    head = ([a[:split_at] for a in xs], [a[:split_at] for a in ys],
            None if sw is None else sw[:split_at])
    tail = ([a[split_at:] for a in xs], [a[split_at:] for a in ys],
            None if sw is None else sw[split_at:])
    return head, tail


class BatchIterator:
    """Hands out batches of indices; reshuffles each time the data runs out.

    With ``steps_per_epoch`` smaller than a full pass, an epoch takes only
    that many batches and the next epoch continues where it stopped (as
    Keras does).
    """

    def __init__(self, n, batch_size, shuffle):
        self.n, self.batch_size, self.shuffle = n, batch_size, shuffle
        self.position = n            # forces a fresh order on first use

    def _new_order(self):
        if self.shuffle is True:
            self.order = backend.rng().permutation(self.n)
        else:
            self.order = None        # contiguous slices: views, no copies
        self.position = 0

    def next(self):
        if self.position >= self.n:
            self._new_order()
        start, stop = self.position, min(self.position + self.batch_size, self.n)
        self.position = stop
        if self.order is not None:
            return self.order[start:stop]
        if self.shuffle == "batch":
            return start + backend.rng().permutation(stop - start)
        return slice(start, stop)


# ============================================================== one step
def on_device(arrays):
    """The batch on the current device: unchanged on the CPU, copied once to a GPU."""
    return [a if a.dtype.kind in "US" else backend.to_device(a)   # text stays on the host
            for a in arrays]


def losses_and_gradients(state, ys, preds, sample_weight, output_masks=None):
    """Total loss = sum_i w_i L_i(y_i, y_pred_i), and dL/dy_pred_i for each output.

    Compiled without a loss, both are zero: the model's own losses (added by
    the caller from the forward pass) are all there is to minimise. The targets
    passed :func:`prepare_data`'s checks on the host before they were uploaded,
    so the losses skip the checks that would read them back from a GPU.
    """
    if not state.losses:
        require_a_loss(state, state.model)
        return 0.0, [np.zeros_like(pred) for pred in preds]
    total, grads = 0.0, []
    for index, (loss, weight) in enumerate(zip(state.losses, state.loss_weights)):
        weights = sample_weight
        if output_masks is not None and output_masks[index] is not None:
            weights = masked_sample_weight(sample_weight, output_masks[index], loss)
        with targets_checked_on_host():
            value, grad = loss.value_and_gradient(ys[index], preds[index], weights)
        if state.output_loss_trackers:      # Keras logs each output's loss unweighted
            state.output_loss_trackers[index].update_state(value, len(ys[index]))
        if weight != 1.0:
            value, grad = value * weight, grad * weight
        total = plus(total, number(value))
        grads.append(grad)
    return total, grads


def losses_only(state, ys, preds, sample_weight, output_masks=None):
    """Total loss :math:`\\sum_i w_i L_i` without gradients (evaluation)."""
    if not state.losses:
        require_a_loss(state, state.model)
    total = 0.0
    for index, (loss, weight) in enumerate(zip(state.losses, state.loss_weights)):
        weights = sample_weight
        if output_masks is not None and output_masks[index] is not None:
            weights = masked_sample_weight(sample_weight, output_masks[index], loss)
        with targets_checked_on_host():       # see losses_and_gradients
            value = number(loss(ys[index], preds[index], weights))
        total = plus(total, value if weight == 1.0 else weight * value)
        if state.output_loss_trackers:      # Keras logs each output's loss unweighted
            state.output_loss_trackers[index].update_state(value, len(ys[index]))
    return total


def masked_sample_weight(sample_weight, mask, loss):
    r"""Keras's rule for a masked output (padded time steps): they weigh nothing.

    With the mean reductions a kept step weighs :math:`T/V` (``T`` steps in
    all, ``V`` kept), so the mean runs over the kept steps only:
    :math:`\frac{1}{T}\sum_t \frac{T}{V} m_t \ell_t = \frac{1}{V}\sum_{t\,kept} \ell_t`.
    """
    mask = np.asarray(mask, dtype=backend.floatx())
    if getattr(loss, "reduction", None) in ("sum_over_batch_size", "mean"):
        mask = mask * (mask.size / (mask.sum() + backend.epsilon()))
    if sample_weight is None:
        return mask
    sample_weight = np.asarray(sample_weight, dtype=mask.dtype)
    extra = mask.ndim - sample_weight.ndim
    return sample_weight.reshape(sample_weight.shape + (1,) * max(extra, 0)) * mask


def regularization_penalty(weights):
    """:math:`\\sum_W R(W)`: a Python float on the host, a 0-d device array on a GPU."""
    penalty = 0.0
    for w in weights:
        if w.regularizer is not None:
            penalty = plus(penalty, number(w.regularizer(w.value)))
    return penalty


def with_penalties(total, weights, tape):
    """The step's loss plus the weight penalties and the layers' own losses (``add_loss``)."""
    return plus(total, plus(regularization_penalty(weights), getattr(tape, "penalty", 0.0)))


def add_regularization_gradients(weights):
    for w in weights:
        if w.regularizer is not None:
            w.grad += w.regularizer.gradient(w.value)


def update_metrics(state, total, ys, preds, sample_weight, batch):
    state.loss_tracker.update_state(total, batch)
    for index, metric in state.metrics:
        metric.update_state(ys[index], preds[index])
    for index, metric in state.weighted:
        metric.update_state(ys[index], preds[index], sample_weight=sample_weight)


def current_logs(state):
    """Loss and metric results, keys sorted as Keras's History/progress bar show them.

    On a GPU the values are 0-d device arrays: :func:`read_logs` (or the callbacks,
    which read what they are given) turns them into floats.
    """
    logs = {"loss": state.loss_tracker.result()}
    for tracker in state.output_loss_trackers:
        logs[tracker.name] = tracker.result()
    for _, metric in state.metrics + state.weighted:
        logs[metric.name] = number(metric.result())
    return dict(sorted(logs.items()))


def reset_metrics(state):
    state.loss_tracker.reset_state()
    for tracker in state.output_loss_trackers:
        tracker.reset_state()
    for _, metric in state.metrics + state.weighted:
        metric.reset_state()

# ============================================================== fit
def class_weights_for_fit(ys, class_weight, sample_weight):
    """``fit(class_weight=...)`` as sample weights (one output, no sample_weight as well)."""
    if sample_weight is not None:
        raise ValueError("fit: give class_weight or sample_weight, not both.")
    if len(ys) > 1:
        raise ValueError("fit: class_weight only works for single-output models.")
    return class_weight_to_sample_weights(ys[0], class_weight)


def batch_size_for(batch_size, n, steps_per_epoch):
    """The batch size: as given, else spread over ``steps_per_epoch``, else Keras's 32."""
    if batch_size is None:
        return math.ceil(n / steps_per_epoch) if steps_per_epoch else 32
    return batch_size


# ============================================================== arguments
#: The smallest value each count argument may take. ``epochs=0`` is allowed, as in
#: Keras: ``fit`` then trains nothing and returns an empty History (callbacks still
#: see ``on_train_begin``/``on_train_end``); a negative count is always an error.
_SMALLEST = {"epochs": 0, "initial_epoch": 0}


def checked_counts(method, **counts):
    """Each count argument (``batch_size``, ``steps``, ``epochs``, ...) as a Python int.

    ``None`` stays ``None`` (the default applies). Checked before any work, so a
    bad value never trains (or evaluates) silently.
    """
    return [_checked_count(value, name, method) for name, value in counts.items()]


def _checked_count(value, name, method):
    if value is None:
        return None
    smallest = _SMALLEST.get(name, 1)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{method}({name}=...) must be a whole number >= {smallest}, got {value!r} "
            f"({type(value).__name__}). Fix: pass an int, e.g. {name}={_example(name)}.")
    if value < smallest:
        what = "a positive integer" if smallest == 1 else "an integer >= 0"
        raise ValueError(
            f"{method}({name}=...) must be {what}, got {value}. Fix: pass "
            f"{name}={_example(name)}{_count_hint(name)}.")
    return int(value)


def _example(name):
    return {"batch_size": 32, "validation_batch_size": 32, "epochs": 10}.get(name, 1)


def _count_hint(name):
    if name.endswith("steps") or name == "steps_per_epoch":
        return f", or leave {name}=None for one full pass over the data"
    if name.endswith("batch_size"):
        return f", or leave {name}=None for Keras's default of 32"
    return ""


def check_class_weight(model, class_weight, ys, method):
    r"""``class_weight`` keys must be classes the model can predict.

    The classes are :math:`0, \dots, K-1` with :math:`K` the width of the
    output (2 for one sigmoid unit); a key outside that range weighs nothing
    and hides a typo, so it is refused.
    """
    if not isinstance(class_weight, dict):
        raise TypeError(f"{method}(class_weight=...) must be a dict {{class index: weight}}, "
                        f"got {type(class_weight).__name__}. Fix: e.g. "
                        "class_weight={0: 1.0, 1: 5.0}.")
    width = model.outputs[0].shape[-1] if model.outputs else None
    if width is None:
        classes = _label_count(ys[0])
    else:
        classes = 2 if width == 1 else width
    for key in class_weight:
        if isinstance(key, (bool, np.bool_)) or not isinstance(key, numbers.Integral) \
                or not 0 <= key < classes:
            raise ValueError(
                f"{method}(class_weight=...): key {key!r} is not a class of this model; "
                f"its output has {classes} classes, 0 to {classes - 1}. Fix: use integer "
                f"keys 0..{classes - 1}, e.g. class_weight={{0: 1.0, {classes - 1}: 2.0}}.")


def _label_count(y):
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        return y.shape[1]
    return int(np.max(y)) + 1 if y.size else 0


def validate_now(epoch, validation_freq):
    if isinstance(validation_freq, int):
        return (epoch + 1) % validation_freq == 0
    return (epoch + 1) in validation_freq


def prepare_data(model, state, x, y, sample_weight, what):
    """Arrays in, checked: same lengths, finite, labels matching the loss."""
    if x is None:
        raise ValueError(f"{what}: x is required (the input data).")
    xs = to_arrays(model, x, "x", "input", warn=model.built)
    if not model.built:               # build, then convert again with the model's input names
        model._ensure_built_for(xs if len(xs) > 1 else xs[0])
        xs = to_arrays(model, x, "x", "input")
    if len(xs) != len(model.inputs):
        raise ValueError(f"{what}: model {model.name!r} has {len(model.inputs)} input(s) "
                         f"but x provides {len(xs)} array(s).")
    model._check_input([a.shape for a in xs])
    _check_finite(xs, "x")
    if y is None:
        if what not in ("fit", "evaluate"):
            return xs, None, None
        ys = _no_targets(model, state, xs, what)
    else:
        ys = to_arrays(model, y, "y", "output")
    if len(ys) != len(model.outputs):
        raise ValueError(f"{what}: model {model.name!r} has {len(model.outputs)} output(s) "
                         f"but y provides {len(ys)} array(s).")
    _check_finite(ys, "y")
    _check_xy(xs, ys)
    resolve_compiled(model, state, ys)
    for loss, y_true, tensor in zip(state.losses, ys, model.outputs):
        check = getattr(loss, "check_targets", None)
        if check is not None:
            check(y_true, tuple(tensor.shape))
    sw = None if sample_weight is None else checked_sample_weight(sample_weight, len(xs[0]),
                                                                   what)
    return xs, ys, sw


def _no_targets(model, state, xs, what):
    """``fit(x)`` without ``y``: allowed when nothing compiled needs targets.

    A model compiled without a loss and metrics minimises only what it adds
    itself (``add_loss``); each output gets an empty stand-in target of shape
    ``(n, 0)``, so the batches line up and nothing reads them.
    """
    if state.loss_spec is not None or state.metrics_spec or state.weighted_metrics_spec:
        raise ValueError(f"{what}: y (the targets) is required: the loss and metrics given "
                         "to compile() compare the predictions with y. (Only a model "
                         "compiled without a loss, minimising what it adds with "
                         "add_loss(), trains on x alone.)")
    return [np.zeros((len(xs[0]), 0), dtype=backend.floatx()) for _ in model.outputs]


def checked_sample_weight(sample_weight, n_samples, what):
    """One finite weight per sample (or per sample and timestep), as floats."""
    weights = _checked_array(sample_weight, f"{what}: sample_weight")   # ragged, text, ...
    fix = (f"Fix: pass one number per sample, e.g. sample_weight=np.ones({n_samples}), "
           "or leave sample_weight=None.")
    if len(weights) != n_samples:
        raise ValueError(f"{what}: sample_weight has {len(weights)} entries for {n_samples} "
                         f"samples. {fix}")
    weights = weights.astype(backend.floatx())
    finite = np.isfinite(weights).reshape(n_samples, -1).all(axis=1)
    if not finite.all():
        raise ValueError(f"{what}: sample_weight contains NaN or infinity (first at sample "
                         f"{int(np.argmin(finite))}); the loss would be NaN. {fix}")
    return weights


def in_compile_order(state, logs):
    """``evaluate``'s list, in Keras 3.15.1's order; one value alone.

    ``loss`` first; then, with several outputs, each output's loss in the order
    the losses were given (a loss dict's own order) and the metrics sorted by
    name (Keras lists them from its sorted logs); with one output, the metrics
    in the order given to ``compile``.
    """
    losses = [t.name for t in state.output_loss_trackers]
    if isinstance(state.loss_spec, dict):
        given = [f"{key}_loss" for key in state.loss_spec]
        losses = [n for n in given if n in losses] + [n for n in losses if n not in given]
    metrics = [m.name for _, m in state.metrics + state.weighted]
    if state.output_loss_trackers:
        metrics = sorted(metrics)
    ordered = [logs[name] for name in ["loss"] + losses + metrics]
    return ordered[0] if len(ordered) == 1 else ordered


