r"""Optimizers: how a gradient becomes a change of the weights.

After the backward pass every trainable :class:`~kerastutor.weight.Weight`
holds its gradient in ``.grad``. One call of :meth:`Optimizer.apply` turns
those gradients into one training step, in Keras 3's order:

1. unscale the gradients, if ``loss_scale_factor`` is set (:math:`g/s`);
2. clip them: ``clipnorm`` (each tensor), else ``global_clipnorm`` (all
   tensors together), else ``clipvalue`` (each element);
3. decoupled weight decay, if ``weight_decay`` is set:
   :math:`\theta \leftarrow \theta - \theta\,\lambda\,\eta`;
4. the optimizer's own rule, :meth:`Optimizer.update_step`, weight by weight;
5. the exponential moving average of the weights, if ``use_ema=True``;
6. constraints (``kernel_constraint=...``) project the new weights;
7. ``iterations += 1``.

The learning rate :math:`\eta` is read once per step; a schedule is
evaluated at ``iterations`` *before* the increment, so the first step uses
``schedule(0)``. Inside the rules, :math:`t` = ``iterations + 1`` counts
steps from 1, which is what the bias corrections of Adam need.

Each rule's :meth:`~Optimizer.update_step` is its formula, one NumPy
statement per line of the math, with the slots (moments, accumulators)
updated in place: ``m += (g - m) * (1 - beta_1)``. On a GPU the same NumPy
runs as one elementwise kernel per operation; for the rules listed in
:data:`FUSED_KERNELS` (SGD and Adam) :meth:`Optimizer.apply` runs one fused
kernel per weight instead (:mod:`kerastutor.gpu.fused`), so the rule files
hold only the formula.
"""
import functools
import inspect
import math
import re
import warnings

import numpy as np

from kerastutor import backend, keras2
from kerastutor.backend import did_you_mean, snake_case
from kerastutor.optimizers import in_place
from kerastutor.optimizers.schedules import (LearningRateSchedule, deserialize_schedule,
                                             serialize_schedule)

#: The rules a GPU runs as one fused kernel per weight: the class that defines the rule's
#: ``update_step`` -> the function of :mod:`kerastutor.gpu.fused` that does the same step.
#: Written with NumPy, Adam's step launches a dozen elementwise kernels that each read and
#: write whole arrays; the fused kernel reads and writes each element once. A subclass that
#: overrides ``update_step`` is a new rule, so it runs its own NumPy.
FUSED_KERNELS = {"kerastutor.optimizers.sgd.SGD": "sgd_step",
                 "kerastutor.optimizers.adam.Adam": "adam_step"}

#: The same idea for NumPy arrays: rules whose step :mod:`kerastutor.optimizers.in_place`
#: writes without temporaries, bit-identical to ``update_step`` -- kept only where
#: ``benchmarks/bench_training.py`` shows the temporaries cost (Adam: 7% of an MLP step).
IN_PLACE_STEPS = {"kerastutor.optimizers.adam.Adam": in_place.adam_in_place}


@functools.lru_cache(maxsize=None)
def _rule_name(optimizer_class):
    """``"module.Class"`` of the class that defines the rule (``update_step``): the key of
    the speed-up tables. A subclass that only changes defaults keeps its parent's rule."""
    rule = next(cls for cls in optimizer_class.__mro__ if "update_step" in vars(cls))
    return f"{rule.__module__}.{rule.__qualname__}"


def _kind_number_error(owner, argument, value, expected):
    hint = f" Hint: write {argument}={float(value)!r}." if isinstance(value, int) else ""
    return ValueError(f"{owner}: `{argument}` must be {expected}, got {argument}={value!r}.{hint}")


def _check_learning_rate(owner, value):
    """A float (stored as float32, as Keras's variable), a schedule, or a callable."""
    if callable(value):
        return value
    if isinstance(value, (float, np.floating)):
        return np.float32(value)
    raise _kind_number_error(owner, "learning_rate", value,
                             "a float, a keras.optimizers.schedules.LearningRateSchedule "
                             "or a callable")


class Optimizer:
    r"""Base class: the bookkeeping every optimizer shares.

    A subclass provides its hyperparameters, the names of its *slots* (the
    per-weight state, like Adam's moments) and :meth:`update_step`, the rule
    that moves one weight. Everything else -- clipping, weight decay, moving
    averages, constraints, the step counter, saving -- lives here; see the
    module docstring for the order of a step.

    Parameters
    ----------
    learning_rate : float, LearningRateSchedule or callable
        :math:`\eta`. A plain number must be a float (``1.0``, not ``1``); it
        is stored in float32 like Keras's learning-rate variable. A
        schedule is called with ``iterations``; another callable with no
        arguments.
    weight_decay : float or None, default None
        :math:`\lambda` of the decoupled decay
        :math:`\theta \leftarrow \theta - \theta\lambda\eta`, applied before the rule.
    clipnorm : float or None
        Rescale each gradient tensor whose L2 norm exceeds this to that norm.
    clipvalue : float or None
        Clip every gradient element into :math:`[-c, c]`.
    global_clipnorm : float or None
        Rescale all gradients together so that their joint L2 norm is at most this.
        At most one of the three clip arguments may be set.
    use_ema : bool, default False
        Keep an exponential moving average of the weights.
    ema_momentum : float, default 0.99
        :math:`\mu` of the average :math:`a \leftarrow \mu a + (1-\mu)\theta`.
    ema_overwrite_frequency : int or None, default None
        Every this many steps copy the averages into the weights (otherwise
        :meth:`finalize_variable_values` does it at the end of ``fit``).
    loss_scale_factor : float or None, default None
        The loss was multiplied by this (:meth:`scale_loss`); gradients are divided by it.
    gradient_accumulation_steps : int or None, default None
        Sum the gradients of this many calls and update once with their mean.
    name : str or None
        Defaults to the lower-case class name (``"adam"``, ``"rmsprop"``).
    """

    #: The slots of each trainable weight, as groups. Keras creates each group with one
    #: call that loops over the weights, so ``variables`` lists m(w0), v(w0), m(w1), ...
    #: inside a group and one group after another.
    slot_groups = ()

    #: The rule's own constructor arguments, kept as attributes of the same names;
    #: :meth:`get_config` writes them after the common ones, in this order.
    hyperparameters = ()

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        owner = type(self).__name__
        if kwargs.pop("decay", None) is not None:
            warnings.warn(f"{owner}: the argument `decay` is no longer supported and is "
                          "ignored. Use a keras.optimizers.schedules.LearningRateSchedule "
                          "instead.", stacklevel=3)
        _reject_unknown_kwargs(type(self), kwargs)
        self._check_clip_arguments(clipnorm, clipvalue, global_clipnorm)
        self._check_averaging_arguments(use_ema, ema_momentum, ema_overwrite_frequency,
                                       gradient_accumulation_steps)
        self._learning_rate = _check_learning_rate(owner, learning_rate)
        self.weight_decay = weight_decay
        self.clipnorm, self.clipvalue = clipnorm, clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema, self.ema_momentum = use_ema, ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.name = name or getattr(type(self), "default_name", None) or snake_case(owner)
        self.built = False
        self._iterations = 0        # calls of apply(); `iterations` counts updates
        self._weights = []          # the trainable weights, in build order
        self._slots = {}            # id(weight) -> {slot name: array}
        self._grad_buffers = {}     # id(weight) -> array for unscaled/clipped gradients
        self._exclude_ids, self._exclude_pattern = set(), None

    def _check_clip_arguments(self, clipnorm, clipvalue, global_clipnorm):
        given = {"clipnorm": clipnorm, "clipvalue": clipvalue,
                 "global_clipnorm": global_clipnorm}
        given = {key: value for key, value in given.items() if value is not None}
        if len(given) > 1:
            raise ValueError(f"{type(self).__name__}: set at most one of `clipnorm`, "
                             f"`clipvalue` and `global_clipnorm`; got {given}. Hint: keep "
                             "only the one you mean, e.g. clipnorm=1.0.")

    def _check_averaging_arguments(self, use_ema, ema_momentum, ema_overwrite_frequency,
                                  gradient_accumulation_steps):
        owner = type(self).__name__
        steps = gradient_accumulation_steps
        if steps is not None and (not isinstance(steps, (int, np.integer)) or steps < 2):
            raise ValueError(f"{owner}: `gradient_accumulation_steps` must be an integer "
                             f">= 2 (or None), got {steps!r}.")
        if use_ema and not 0 <= ema_momentum <= 1:
            raise ValueError(f"{owner}: `ema_momentum` must be in [0, 1], got "
                             f"{ema_momentum!r}. Hint: 0.99 averages over ~100 steps.")
        frequency = ema_overwrite_frequency
        if use_ema and frequency and (not isinstance(frequency, (int, np.integer))
                                      or frequency < 1):
            raise ValueError(f"{owner}: `ema_overwrite_frequency` must be an integer >= 1 "
                             f"or None, got {frequency!r}.")

    # ---------------------------------------------------------------- step counter
    #: While a fit step is captured as a graph (``jit_compile=True`` on a GPU): the device's
    #: copy of the per-step numbers (:class:`kerastutor.gpu.fused.AdamNumbers`), which the
    #: captured step advances on the device. None at every other time.
    device_step = None

    @property
    def iterations(self):
        """How many updates have been applied (calls of :meth:`apply` / accumulation steps)."""
        return self._iterations // (self.gradient_accumulation_steps or 1)

    @iterations.setter
    def iterations(self, value):
        self._iterations = int(value) * (self.gradient_accumulation_steps or 1)

    # --------------------------------------------------------------- learning rate
    @property
    def learning_rate(self):
        """The learning rate of the next step, as a float.

        Setting it to a number changes it (``ReduceLROnPlateau`` does this);
        setting a schedule or callable replaces it.
        """
        return self._current_learning_rate()

    @learning_rate.setter
    def learning_rate(self, value):
        if callable(value):
            self._learning_rate = value
            return
        if isinstance(self._learning_rate, LearningRateSchedule):
            raise TypeError(
                f"{type(self).__name__}: this optimizer was created with a "
                "LearningRateSchedule, so its learning rate is not settable. Hint: create "
                "the optimizer with a float learning_rate if you need to change it.")
        if isinstance(value, (bool, np.bool_, str)) or np.ndim(value) != 0:
            raise ValueError(f"{type(self).__name__}: `learning_rate` must be a number, "
                             f"got {value!r}.")
        self._learning_rate = np.float32(value)

    def _current_learning_rate(self):
        rate = self._learning_rate
        if isinstance(rate, LearningRateSchedule):
            rate = rate(self._iterations)
        elif callable(rate):
            rate = rate()
        # Keras computes in float32: 0.001 becomes 0.0010000000474974513.
        return float(np.float32(rate))

    # ----------------------------------------------------------------------- slots
    def build(self, weights):
        """Create the slots (zeros unless a rule says otherwise) of each trainable weight.

        Called on the first :meth:`apply`; weights that appear later get their
        slots then.
        """
        for weight in weights:
            _check_is_weight(type(self).__name__, weight)
        new = [w for w in weights if w.trainable and id(w) not in self._slots]
        for weight in new:
            self._slots[id(weight)] = {name: self._initial_slot(name, weight)
                                       for group in self._all_slot_groups() for name in group}
        self._weights += new
        self.built = True

    def _all_slot_groups(self):
        # Keras's base build() adds the moving averages and gradient accumulators
        # before the subclass adds its own slots.
        base = (("average",),) if self.use_ema else ()
        if self.gradient_accumulation_steps:
            base += (("gradient_accumulator",),)
        return base + tuple(self.slot_groups)

    def _initial_slot(self, name, weight):
        """The starting value of a slot; zeros unless a subclass overrides this."""
        return np.zeros_like(weight.value)

    def _extra_variables(self):
        """``(name, array)`` pairs of state that is not per weight (Nadam's product)."""
        return []

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Keep some weights out of the decoupled weight decay.

        Parameters
        ----------
        var_list : list of Weight, optional
            These exact weights are not decayed.
        var_names : list of str, optional
            A weight is not decayed if any of these strings occurs in its
            ``name`` (a regular-expression search, e.g. ``["bias"]``).
        """
        self._exclude_ids = {id(weight) for weight in var_list or []}
        names = list(var_names or [])
        self._exclude_pattern = re.compile("|".join(names)) if names else None

    def _uses_weight_decay(self, weight):
        if id(weight) in self._exclude_ids:
            return False
        pattern = self._exclude_pattern
        return pattern is None or pattern.search(weight.name) is None

    # ------------------------------------------------------------------------ step
    def apply(self, weights, trainable_variables=None):
        """One optimisation step from each trainable weight's ``.grad`` (see module docs).

        ``apply(weights)`` is how the fit loop calls it. Keras's own form
        ``apply(grads, trainable_variables)`` also works: then the first
        argument holds the gradients.
        """
        if trainable_variables is not None:
            return self.apply_gradients(zip(weights, trainable_variables))
        weights = [w for w in weights if w.trainable]
        if not weights:                 # nothing to train: Keras does not count the step
            return self.iterations
        if not self.built or any(id(w) not in self._slots for w in weights):
            self.build(weights)
        learning_rate = self._current_learning_rate()
        if self.device_step is not None:      # a step being captured as a graph (GPU only)
            self.device_step.advance()
        grads = self._unscaled_gradients(weights)
        if self.gradient_accumulation_steps:
            self._accumulate_or_update(grads, weights, learning_rate)
        else:
            self._update(grads, weights, learning_rate)
        if self.use_ema:
            self._update_moving_averages()
        for weight in weights:
            if weight.constraint is not None:
                weight.value[...] = weight.constraint(weight.value)
        self._iterations += 1
        return self.iterations

    def apply_gradients(self, grads_and_vars):
        """Keras's API: apply ``[(gradient, weight), ...]`` (``None`` gradients are skipped)."""
        pairs = list(grads_and_vars)
        for _, weight in pairs:
            _check_is_weight(type(self).__name__, weight)
        given = [(grad, weight) for grad, weight in pairs if grad is not None]
        if pairs and not given:
            raise ValueError(f"{type(self).__name__}.apply_gradients: no gradients provided "
                             "for any variable (every gradient is None). Hint: did the loss "
                             "depend on the weights?")
        if len(given) < len(pairs):
            missing = [weight.path for grad, weight in pairs if grad is None]
            backend.warn_user(
                f"Gradients do not exist for variables {missing} when minimizing the loss. "
                "If using `model.compile()`, did you forget to provide a `loss` argument? "
                "(These weights did not take part in computing the loss, so they are left "
                "as they are.)")
        for grad, weight in given:
            grad = np.asarray(grad)
            if grad.shape != weight.value.shape:
                raise ValueError(
                    f"{type(self).__name__}.apply_gradients: the gradient for weight "
                    f"'{weight.path}' has shape {grad.shape}; expected {weight.value.shape}.")
            weight.grad = grad
        return self.apply([weight for _, weight in given])

    def _update(self, grads, weights, learning_rate):
        """Clip, decay, then the rule itself: steps 2-4 of the module docstring."""
        if self._clips():
            grads = self._clip_gradients(grads, out=self._buffers_for(weights, grads))
        self._apply_weight_decay(weights, learning_rate)
        self._update_all(grads, weights, learning_rate)

    def _update_all(self, grads, weights, learning_rate):
        """Move every weight by :meth:`update_step`, or by its faster twin from one of the
        two tables of speed-ups when the rule has one (Nadam adds a per-step scalar here)."""
        for grad, weight in zip(grads, weights):
            fast_step = self._fast_step(weight, grad)
            if fast_step is None or not fast_step(self, weight.value, grad,
                                                  self._slots[id(weight)], learning_rate):
                self.update_step(grad, weight, learning_rate)

    def _fast_step(self, weight, grad):
        """The rule's fused GPU kernel (:data:`FUSED_KERNELS`) for contiguous GPU arrays,
        its in-place NumPy twin (:data:`IN_PLACE_STEPS`) for NumPy arrays, else None."""
        rule_name = _rule_name(type(self))
        if backend.is_device_array(weight.value):
            if not (backend.is_device_array(grad) and weight.value.is_contiguous
                    and grad.is_contiguous) or rule_name not in FUSED_KERNELS:
                return None
            from kerastutor.gpu import fused    # only once a GPU array exists: a CPU run never loads it
            return getattr(fused, FUSED_KERNELS[rule_name])
        if isinstance(grad, np.ndarray) and grad.dtype == weight.value.dtype:
            return IN_PLACE_STEPS.get(rule_name)
        return None

    def update_step(self, grad, weight, learning_rate):
        """Move ``weight.value`` in place by the rule of this optimizer."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_step().")

    def _slot(self, weight, name):
        return self._slots[id(weight)][name]

    # ------------------------------------------------------------ gradient plumbing
    def _buffers_for(self, weights, grads):
        """Arrays the unscaled/clipped gradients are written into: ``w.grad`` stays as is."""
        buffers = []
        for weight, grad in zip(weights, grads):
            buffer = self._grad_buffers.get(id(weight))
            if buffer is None or buffer.shape != grad.shape:
                buffer = self._grad_buffers[id(weight)] = np.empty_like(weight.value)
            buffers.append(buffer)
        return buffers

    def _unscaled_gradients(self, weights):
        grads = [weight.grad for weight in weights]
        if self.loss_scale_factor is None:
            return grads
        # the loss was multiplied by s (scale_loss), so every gradient is s times too big
        buffers = self._buffers_for(weights, grads)
        return [np.divide(grad, self.loss_scale_factor, out=buffer)
                for grad, buffer in zip(grads, buffers)]

    def _clip_gradients(self, grads, out=None):
        r"""Clip as configured (only one of the three is ever set).

        .. math::

            \texttt{clipnorm}:\ g \leftarrow \frac{g\,c}{\max(\|g\|_2,\ c)}, \qquad
            \texttt{global_clipnorm}:\ g_i \leftarrow g_i\,\frac{c}{\max(\|G\|_2,\ c)}, \qquad
            \texttt{clipvalue}:\ g \leftarrow \min(\max(g, -c), c)

        where :math:`\|G\|_2 = \sqrt{\sum_i \|g_i\|_2^2}` over all tensors.
        Results go into ``out`` (one array per gradient) when given.
        """
        if not self._clips():
            return grads
        grads = [backend.asarray(grad) for grad in grads]
        if out is None:
            out = [np.empty_like(grad, dtype=np.result_type(grad.dtype, np.float32))
                   for grad in grads]
        if self.clipnorm and self.clipnorm > 0:
            c = self.clipnorm
            for grad, result in zip(grads, out):
                norm = _l2_norm(grad)            # before writing: `result` may be `grad`
                np.multiply(grad, c, out=result)
                result /= max(norm, c)
            return out
        if self.global_clipnorm and self.global_clipnorm > 0:
            c = self.global_clipnorm
            norm = math.sqrt(sum(_l2_norm(grad) ** 2 for grad in grads))
            # an infinite or NaN norm poisons every gradient, as in Keras
            scale = c / max(norm, c) if math.isfinite(norm) else math.nan
            return [np.multiply(grad, scale, out=result) for grad, result in zip(grads, out)]
        if self.clipvalue and self.clipvalue > 0:
            c = self.clipvalue
            return [np.clip(grad, -c, c, out=result) for grad, result in zip(grads, out)]
        return grads

    def _clips(self):
        return any(c is not None and c > 0
                   for c in (self.clipnorm, self.global_clipnorm, self.clipvalue))

    def _apply_weight_decay(self, weights, learning_rate):
        r"""Decoupled weight decay :math:`\theta \leftarrow \theta - \theta\lambda\eta`."""
        if self.weight_decay is None:
            return
        for weight in weights:
            if self._uses_weight_decay(weight):
                weight.value -= weight.value * self.weight_decay * learning_rate

    def _accumulate_or_update(self, grads, weights, learning_rate):
        """Gradient accumulation: add up ``steps`` calls, then update with their mean."""
        steps = self.gradient_accumulation_steps
        sums = [self._slot(weight, "gradient_accumulator") for weight in weights]
        for grad, total in zip(grads, sums):
            total += grad
        if (self._iterations + 1) % steps != 0:
            return
        for total in sums:
            total /= steps                                    # g = (g_1 + ... + g_k) / k
        self._update(sums, weights, learning_rate)
        for total in sums:
            total.fill(0)

    # ---------------------------------------------------------- moving average (EMA)
    def _update_moving_averages(self):
        r"""EMA :math:`a \leftarrow \mu a + (1 - \mu)\theta` (:math:`\mu = 0` on step one)."""
        momentum = self.ema_momentum if self.iterations != 0 else 0.0
        for weight in self._weights:
            average = self._slot(weight, "average")
            average *= momentum
            average += weight.value * (1 - momentum)
        frequency = self.ema_overwrite_frequency
        if frequency and (self.iterations + 1) % frequency == 0:
            self._overwrite_with_averages(self._weights)

    def _overwrite_with_averages(self, weights):
        for weight in weights:
            np.copyto(weight.value, self._slot(weight, "average"))

    def finalize_variable_values(self, var_list):
        """End of training: with ``use_ema``, the weights take their moving averages."""
        if self.use_ema:
            self._overwrite_with_averages([w for w in var_list if id(w) in self._slots])

    def scale_loss(self, loss):
        """``loss * loss_scale_factor`` (the gradients are divided by it again in apply)."""
        return loss if self.loss_scale_factor is None else loss * self.loss_scale_factor

    # ------------------------------------------------------------- state and saving
    def _state(self):
        """``(name, array)`` of every saved variable, in Keras's order."""
        state = [("iteration", np.array(self._iterations, dtype=np.int64))]
        if not callable(self._learning_rate):
            state.append(("learning_rate", np.array(self._learning_rate, dtype=np.float32)))
        for group in self._all_slot_groups():
            for weight in self._weights:
                stem = f"{self.name}/{weight.path.replace('/', '_')}"
                state += [(f"{stem}_{slot}", self._slot(weight, slot)) for slot in group]
        return state + self._extra_variables()

    @property
    def variables(self):
        """The optimizer's state as NumPy arrays, in Keras's order.

        ``iteration``, ``learning_rate`` (when it is a plain float), then the
        slots group by group -- for Adam ``m(w0), v(w0), m(w1), v(w1), ...``.
        The slot arrays are the live ones, not copies.
        """
        return [array for _, array in self._state()]

    @property
    def variable_names(self):
        """Keras-style names of :attr:`variables` (``adam/sequential_dense_kernel_momentum``)."""
        return [name for name, _ in self._state()]

    def set_variables(self, values):
        """Restore the state from arrays ordered like :attr:`variables` (build first)."""
        values = list(values)
        state = self._state()
        if len(values) != len(state):
            raise ValueError(
                f"{type(self).__name__}.set_variables: expected {len(state)} arrays "
                f"({', '.join(name for name, _ in state[:4])}, ...), got {len(values)}. Hint: "
                "call optimizer.build(model.trainable_weights) before restoring its state.")
        for (name, current), value in zip(state, values):
            value = np.asarray(value)
            if value.shape != current.shape:
                raise ValueError(f"{type(self).__name__}.set_variables: '{name}' has shape "
                                 f"{current.shape}, got an array of shape {value.shape}.")
        for (name, current), value in zip(state, values):
            if name == "iteration":                 # the counter and the rate are scalars
                self._iterations = int(value)
            elif name == "learning_rate":
                self._learning_rate = np.float32(value)
            else:
                current[...] = value                # the slots are restored in place

    set_weights = set_variables

    def save_own_variables(self, store):
        """Write :attr:`variables` into ``store`` under the keys ``"0"``, ``"1"``, ..."""
        for index, array in enumerate(self.variables):
            store[str(index)] = np.array(array)

    def load_own_variables(self, store):
        """Read what :meth:`save_own_variables` wrote (warns and skips on a count mismatch)."""
        if len(store.keys()) != len(self.variables):
            warnings.warn(
                f"Skipping variable loading for optimizer '{self.name}': it has "
                f"{len(self.variables)} variables but the saved one has {len(store.keys())}."
                + (" The optimizer has not been built yet." if not self.built else ""),
                stacklevel=2)
            return
        self.set_variables([np.asarray(store[str(i)]) for i in range(len(store.keys()))])

    def get_config(self):
        """The constructor arguments (Keras's keys); ``learning_rate`` reads back as float32."""
        rate = self._learning_rate
        if isinstance(rate, LearningRateSchedule):
            rate = serialize_schedule(rate)
        elif not callable(rate):
            rate = float(rate)
        return {"name": self.name, "learning_rate": rate, "weight_decay": self.weight_decay,
                "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm,
                "clipvalue": self.clipvalue, "use_ema": self.use_ema,
                "ema_momentum": self.ema_momentum,
                "ema_overwrite_frequency": self.ema_overwrite_frequency,
                "loss_scale_factor": self.loss_scale_factor,
                "gradient_accumulation_steps": self.gradient_accumulation_steps,
                **{name: getattr(self, name) for name in self.hyperparameters}}

    @classmethod
    def from_config(cls, config):
        """A new optimizer (without state) from :meth:`get_config`'s dict."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = deserialize_schedule(config["learning_rate"])
        return cls(**config)

    def __repr__(self):
        return (f"<{type(self).__name__} name={self.name!r} "
                f"learning_rate={self.learning_rate:g} iterations={self.iterations}>")

    def __setattr__(self, name, value):
        # Keras 2 code sets `optimizer.lr = 0.01`. Keras 3 quietly makes a new attribute
        # and trains on with the old rate; a built-in optimizer says so instead (your own
        # subclass may still use a name `lr`).
        if name == "lr" and type(self).__module__.startswith("kerastutor."):
            raise AttributeError(keras2.removed("optimizer.lr", "set "
                                                "`optimizer.learning_rate = value` instead"))
        super().__setattr__(name, value)


# Keras 2's optimizer.lr, get_updates, ...: reading one names the Keras 3 way.
keras2.mark_removed(Optimizer, keras2.OPTIMIZER_ATTRIBUTES)


class AdaptiveMomentOptimizer(Optimizer):
    r"""The constructor the Adam family shares (Adam, Adamax, Nadam, Lamb).

    Each of them keeps a first moment :math:`m` of the gradient with decay
    :math:`\beta_1`, a second statistic (the RMS or the largest magnitude) with
    decay :math:`\beta_2`, and adds :math:`\epsilon` before dividing by it;
    they differ only in :meth:`~Optimizer.update_step`.

    Parameters
    ----------
    learning_rate : float, default 0.001
        :math:`\eta`.
    beta_1, beta_2 : float, default 0.9 and 0.999
        The decays of the first moment and of the second statistic.
    epsilon : float, default 1e-7
        Keeps the division finite while the second statistic is near 0.
    **kwargs
        The common arguments of :class:`Optimizer`.
    """

    hyperparameters = ("beta_1", "beta_2", "epsilon")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon


def _l2_norm(array):
    flat = array.reshape(-1)
    return math.sqrt(float(np.dot(flat, flat)))       # a dot product: no squared temporary


def _check_is_weight(owner, weight):
    if not all(hasattr(weight, attribute) for attribute in ("value", "grad", "trainable")):
        raise ValueError(
            f"{owner}: expected kerastutor Weight objects (with .value, .grad, .trainable), "
            f"got {type(weight).__name__}. Hint: pass model.trainable_weights, not their "
            "NumPy values.")


def _reject_unknown_kwargs(cls, kwargs):
    if not kwargs:
        return
    # every argument the class (and its parents) accepts, for the "did you mean" hint
    known = {name for klass in cls.__mro__ if "__init__" in vars(klass)
             for name in inspect.signature(klass.__init__).parameters} - {"self", "kwargs"}
    renamed = keras2.argument_hints(kwargs, keras2.OPTIMIZER_ARGUMENTS)   # lr=
    hints = "".join(did_you_mean(key, sorted(known)) for key in kwargs if key not in renamed)
    raise ValueError(f"{cls.__name__}: unrecognized argument(s) {sorted(kwargs)}."
                     + "".join(" " + hint for hint in renamed.values()) + hints)


