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

Each rule is written twice: as the formula (in the class docstring and in
the comment above the code) and as NumPy that updates the arrays **in
place** with ``out=`` and preallocated scratch buffers. That is not
decoration: the MNIST MLP has 670k parameters, and allocating fresh
temporaries of that size on every step (which the C library then hands back
to the operating system) costs more than the arithmetic itself.
"""
import inspect
import math
import re
import sys
import types
import warnings

import numpy as np

from kerastutor import backend
from kerastutor.backend import did_you_mean, snake_case


# ========================================================= learning-rate schedules
class LearningRateSchedule:
    r"""A learning rate that changes with the step: :math:`\eta = f(t)`.

    Pass an instance as any optimizer's ``learning_rate``. The optimizer calls
    it with ``optimizer.iterations`` (0 on the first step) and uses the result
    for that whole step. Subclasses implement ``__call__(step)`` and
    ``get_config()``; ``step`` may be an int or a NumPy array of steps (handy
    for plotting a schedule).
    """

    def __call__(self, step):
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override "
            "`__call__(self, step)`.")

    def get_config(self):
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `get_config()` "
            "to be saved.")

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _check_positive_steps(owner, argument, value):
    if not value > 0:
        raise ValueError(f"{owner}: `{argument}` must be > 0 (the number of steps the decay "
                         f"takes), got {argument}={value!r}.")


class ExponentialDecay(LearningRateSchedule):
    r"""Multiply the learning rate by ``decay_rate`` every ``decay_steps`` steps.

    .. math::

        \eta(t) = \eta_0 \, r^{\,t / T}
        \qquad\text{or, with } \texttt{staircase=True}:\qquad
        \eta(t) = \eta_0 \, r^{\lfloor t / T \rfloor}

    Parameters
    ----------
    initial_learning_rate : float
        :math:`\eta_0`.
    decay_steps : int
        :math:`T`, must be positive.
    decay_rate : float
        :math:`r`.
    staircase : bool, default False
        Decay in jumps (integer division) instead of smoothly.
    name : str, default "ExponentialDecay"
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        _check_positive_steps("ExponentialDecay", "decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step):
        progress = np.asarray(step, dtype=np.float64) / self.decay_steps
        if self.staircase:
            progress = np.floor(progress)
        return self.initial_learning_rate * np.power(self.decay_rate, progress)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class PiecewiseConstantDecay(LearningRateSchedule):
    r"""A step function: ``values[i]`` between ``boundaries[i-1]`` and ``boundaries[i]``.

    .. math::

        \eta(t) = \begin{cases}
            v_0 & t \le b_0 \\
            v_i & b_{i-1} < t \le b_i \\
            v_n & t > b_{n-1}
        \end{cases}

    Parameters
    ----------
    boundaries : list of int
        Strictly increasing steps :math:`b_0 < b_1 < \dots`.
    values : list of float
        One more value than boundaries.
    name : str, default "PiecewiseConstant"
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "PiecewiseConstantDecay: `values` must have exactly one more entry than "
                f"`boundaries`; got {len(boundaries)} boundaries and {len(values)} values. "
                "Hint: boundaries=[100, 200], values=[1.0, 0.5, 0.1].")
        self.boundaries = list(boundaries)
        self.values = list(values)
        self.name = name

    def __call__(self, step):
        # side="left" counts the boundaries strictly below t, so t == b_i stays in piece i.
        piece = np.searchsorted(self.boundaries, step, side="left")
        return np.asarray(self.values, dtype=np.float64)[piece]

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    r"""Decay polynomially from ``initial_learning_rate`` to ``end_learning_rate``.

    .. math::

        \eta(t) = (\eta_0 - \eta_\text{end})
                  \left(1 - \frac{\min(t, T)}{T}\right)^{p} + \eta_\text{end}

    With ``cycle=True``, :math:`T` is replaced by the first multiple
    :math:`T \lceil t/T \rceil` at or beyond :math:`t`, and the decay restarts.

    Parameters
    ----------
    initial_learning_rate : float
    decay_steps : int
        :math:`T`, must be positive.
    end_learning_rate : float, default 0.0001
    power : float, default 1.0
        :math:`p` (1.0 is a straight line).
    cycle : bool, default False
    name : str, default "PolynomialDecay"
    """

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001,
                 power=1.0, cycle=False, name="PolynomialDecay"):
        _check_positive_steps("PolynomialDecay", "decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step):
        step = np.asarray(step, dtype=np.float64)
        if self.cycle:
            # at t = 0 the multiplier would be 0; Keras uses 1 there
            cycles = np.where(step == 0, 1.0, np.ceil(step / self.decay_steps))
            horizon = self.decay_steps * cycles
        else:
            horizon = float(self.decay_steps)
            step = np.minimum(step, horizon)
        remaining = 1 - step / horizon
        span = self.initial_learning_rate - self.end_learning_rate
        return span * np.power(remaining, self.power) + self.end_learning_rate

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "end_learning_rate": self.end_learning_rate,
                "power": self.power, "cycle": self.cycle, "name": self.name}


class InverseTimeDecay(LearningRateSchedule):
    r"""Divide the learning rate by a linearly growing factor ("1/t decay").

    .. math::

        \eta(t) = \frac{\eta_0}{1 + r\, t / T}
        \qquad(\texttt{staircase}: \lfloor t/T \rfloor \text{ instead of } t/T)

    Parameters
    ----------
    initial_learning_rate : float
    decay_steps : int
        :math:`T`, must be positive.
    decay_rate : float
        :math:`r`.
    staircase : bool, default False
    name : str, default "InverseTimeDecay"
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="InverseTimeDecay"):
        _check_positive_steps("InverseTimeDecay", "decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step):
        progress = np.asarray(step, dtype=np.float64) / self.decay_steps
        if self.staircase:
            progress = np.floor(progress)
        return self.initial_learning_rate / (1 + self.decay_rate * progress)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class CosineDecay(LearningRateSchedule):
    r"""Half a cosine wave from the start rate down to ``alpha`` times it, after a warmup.

    .. math::

        \eta(t) = \eta_\text{peak}\left[(1 - \alpha)\,
                  \tfrac12\left(1 + \cos\frac{\pi \min(t, T)}{T}\right) + \alpha\right]

    Without ``warmup_target``, :math:`\eta_\text{peak}` is
    ``initial_learning_rate``. With it, the rate first climbs linearly from
    ``initial_learning_rate`` to ``warmup_target`` over ``warmup_steps``
    steps, then the cosine runs (with :math:`t` counted from the end of the
    warmup and :math:`\eta_\text{peak}` = ``warmup_target``).

    Parameters
    ----------
    initial_learning_rate : float
    decay_steps : int
        :math:`T`, must be positive.
    alpha : float, default 0.0
        The final rate as a fraction of the peak.
    name : str, default "CosineDecay"
    warmup_target : float or None, default None
    warmup_steps : int, default 0
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        _check_positive_steps("CosineDecay", "decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def _cosine(self, step, peak):
        cosine = 0.5 * (1 + np.cos(np.pi * step / self.decay_steps))
        return peak * ((1 - self.alpha) * cosine + self.alpha)

    def __call__(self, step):
        step = np.asarray(step, dtype=np.float64)
        if self.warmup_target is None:
            return self._cosine(np.minimum(step, self.decay_steps), self.initial_learning_rate)
        step = np.minimum(step, self.decay_steps + self.warmup_steps)
        with np.errstate(divide="ignore", invalid="ignore"):   # warmup_steps may be 0
            climbed = step / self.warmup_steps
        warmup = self.initial_learning_rate + \
            (self.warmup_target - self.initial_learning_rate) * climbed
        decay = self._cosine(step - self.warmup_steps, self.warmup_target)
        return np.where(step < self.warmup_steps, warmup, decay)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha, "name": self.name,
                "warmup_target": self.warmup_target, "warmup_steps": self.warmup_steps}


class CosineDecayRestarts(LearningRateSchedule):
    r"""Cosine decay with warm restarts (SGDR, Loshchilov & Hutter 2016).

    The first cosine lasts :math:`T_0` = ``first_decay_steps``; each restart
    lasts ``t_mul`` times longer and peaks at ``m_mul`` times the previous
    peak. Within restart :math:`i`, at fraction :math:`f` of its length:

    .. math::

        \eta = \eta_0 \left[(1 - \alpha)\, \tfrac12\, m^{i} (1 + \cos \pi f) + \alpha\right]

    Parameters
    ----------
    initial_learning_rate : float
    first_decay_steps : int
        Must be positive.
    t_mul : float, default 2.0
    m_mul : float, default 1.0
    alpha : float, default 0.0
    name : str, default "SGDRDecay"
    """

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0,
                 alpha=0.0, name="SGDRDecay"):
        _check_positive_steps("CosineDecayRestarts", "first_decay_steps", first_decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self.t_mul = t_mul
        self.m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def _restart_and_fraction(self, progress):
        if self.t_mul == 1.0:
            restart = np.floor(progress)
            return restart, progress - restart
        # restart lengths 1, m, m^2, ...: restart i starts at (1 - m^i) / (1 - m)
        restart = np.floor(np.log(1 - progress * (1 - self.t_mul)) / np.log(self.t_mul))
        start = (1 - self.t_mul ** restart) / (1 - self.t_mul)
        return restart, (progress - start) / self.t_mul ** restart

    def __call__(self, step):
        progress = np.asarray(step, dtype=np.float64) / self.first_decay_steps
        restart, fraction = self._restart_and_fraction(progress)
        cosine = 0.5 * self.m_mul ** restart * (1 + np.cos(np.pi * fraction))
        return self.initial_learning_rate * ((1 - self.alpha) * cosine + self.alpha)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "first_decay_steps": self.first_decay_steps, "t_mul": self.t_mul,
                "m_mul": self.m_mul, "alpha": self.alpha, "name": self.name}


_SCHEDULES = {cls.__name__: cls for cls in (
    ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay, InverseTimeDecay,
    CosineDecay, CosineDecayRestarts)}


def serialize_schedule(schedule):
    """A schedule as Keras's ``{"module", "class_name", "config", "registered_name"}`` dict."""
    if not isinstance(schedule, LearningRateSchedule):
        raise ValueError(
            f"serialize_schedule: expected a LearningRateSchedule, got {schedule!r}. "
            "Hint: plain functions cannot be saved; subclass "
            "keras.optimizers.schedules.LearningRateSchedule and give it get_config().")
    return {"module": "keras.optimizers.schedules", "class_name": type(schedule).__name__,
            "config": schedule.get_config(), "registered_name": None}


def deserialize_schedule(config):
    """The schedule a :func:`serialize_schedule` dict describes."""
    name = config.get("class_name") if isinstance(config, dict) else None
    if name not in _SCHEDULES:
        raise ValueError(
            f"deserialize_schedule: unknown schedule class {name!r}."
            f"{did_you_mean(name, _SCHEDULES)} Known schedules: {', '.join(sorted(_SCHEDULES))}.")
    return _SCHEDULES[name].from_config(config.get("config", {}))


# ``keras.optimizers.schedules`` is a module in Keras. This file is a single module, so we
# build the submodule object here and register it: both ``keras.optimizers.schedules.X`` and
# ``from kerastutor.optimizers.schedules import X`` then work.
schedules = types.ModuleType(__name__ + ".schedules",
                             "Learning-rate schedules (``keras.optimizers.schedules``).")
for _cls in (LearningRateSchedule, *_SCHEDULES.values()):
    setattr(schedules, _cls.__name__, _cls)
schedules.serialize = serialize_schedule
schedules.deserialize = deserialize_schedule
sys.modules[schedules.__name__] = schedules


# ============================================================ the shared machinery
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
    #: How many scratch arrays of each weight's shape the rule needs.
    scratch_buffers = 1

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
        self._scratch = {}          # id(weight) -> tuple of scratch arrays
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
        slots then. Also allocates the scratch arrays the in-place rules write into.
        """
        for weight in weights:
            _check_is_weight(type(self).__name__, weight)
        new = [w for w in weights if w.trainable and id(w) not in self._slots]
        for weight in new:
            self._slots[id(weight)] = {name: self._initial_slot(name, weight)
                                       for group in self._all_slot_groups() for name in group}
            self._scratch[id(weight)] = tuple(np.empty_like(weight.value)
                                              for _ in range(self.scratch_buffers))
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
        """Run :meth:`update_step` on every weight (Nadam adds a per-step scalar here)."""
        for grad, weight in zip(grads, weights):
            self.update_step(grad, weight, learning_rate)

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
                decay = self._scratch[id(weight)][0]
                np.multiply(weight.value, self.weight_decay, out=decay)   # theta * wd * lr
                decay *= learning_rate
                weight.value -= decay

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
            average, blend = self._slot(weight, "average"), self._scratch[id(weight)][0]
            average *= momentum
            np.multiply(weight.value, 1 - momentum, out=blend)
            average += blend
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
                "gradient_accumulation_steps": self.gradient_accumulation_steps}

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
    hints = "".join(did_you_mean(key, sorted(known)) for key in kwargs)
    raise ValueError(f"{cls.__name__}: unrecognized argument(s) {sorted(kwargs)}.{hints}")


# ================================================================== the rules
def _fused_on_device(weight, grad):
    """Whether this update can run as one fused GPU kernel (``kerastutor.gpu.fused``):
    the weight and its gradient are contiguous float32 device arrays."""
    return backend.is_device_array(weight.value) and backend.is_device_array(grad) \
        and weight.value.is_contiguous and grad.is_contiguous


class SGD(Optimizer):
    r"""Stochastic gradient descent, with Keras's momentum and Nesterov forms.

    .. math::

        \text{plain:}\qquad \theta \leftarrow \theta - \eta g

        \text{momentum:}\qquad m \leftarrow \mu m - \eta g, \qquad \theta \leftarrow \theta + m

        \text{Nesterov:}\qquad m \leftarrow \mu m - \eta g, \qquad
        \theta \leftarrow \theta + \mu m - \eta g

    Nesterov looks one momentum step ahead using the *new* :math:`m`. The
    ``momentum`` slot exists only when :math:`\mu \ne 0`.

    Parameters
    ----------
    learning_rate : float, default 0.01
    momentum : float, default 0.0
        :math:`\mu`, a float in [0, 1].
    nesterov : bool, default False
    **kwargs
        The common arguments of :class:`Optimizer`.
    """

    default_name = "sgd"

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        if not isinstance(momentum, (float, np.floating)) or not 0 <= momentum <= 1:
            raise _kind_number_error("SGD", "momentum", momentum, "a float in [0, 1]")
        self.momentum, self.nesterov = float(momentum), nesterov
        self.slot_groups = (("momentum",),) if self.momentum != 0 else ()
        self.scratch_buffers = 2 if nesterov else 1     # Nesterov needs a second buffer

    def update_step(self, grad, weight, learning_rate):
        if _fused_on_device(weight, grad):        # a GPU does the same rule in one kernel
            from kerastutor.gpu import fused
            if self.momentum == 0:
                return fused.sgd_update(weight.value, grad, learning_rate)
            return fused.sgd_momentum_update(weight.value, self._slot(weight, "momentum"),
                                             grad, learning_rate, self.momentum, self.nesterov)
        theta, scratch = weight.value, self._scratch[id(weight)]
        step = np.multiply(grad, learning_rate, out=scratch[0])     # step = eta g
        if self.momentum == 0:
            theta -= step                                       # theta <- theta - eta g
            return
        m = self._slot(weight, "momentum")
        m *= self.momentum                                      # m <- mu m - eta g
        m -= step
        if self.nesterov:
            ahead = np.multiply(m, self.momentum, out=scratch[1])   # theta += mu m - eta g
            ahead -= step
            theta += ahead
        else:
            theta += m                                          # theta <- theta + m

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class RMSprop(Optimizer):
    r"""RMSprop: divide each step by a running root mean square of the gradient.

    .. math::

        v \leftarrow \rho v + (1 - \rho) g^2

        \Delta = \frac{\eta\, g}{\sqrt{v + \epsilon}}
        \qquad\text{or, with } \texttt{centered=True}:\qquad
        \bar g \leftarrow \rho \bar g + (1 - \rho) g, \quad
        \Delta = \frac{\eta\, g}{\sqrt{v - \bar g^2 + \epsilon}}

        \theta \leftarrow \theta - \Delta
        \qquad\text{or, with momentum } \mu > 0:\qquad
        m \leftarrow \mu m + \Delta, \quad \theta \leftarrow \theta - m

    Keras puts :math:`\epsilon` **inside** the square root. Centering divides
    by an estimate of the gradient's standard deviation instead of its RMS.

    Parameters
    ----------
    learning_rate : float, default 0.001
    rho : float, default 0.9
    momentum : float, default 0.0
    epsilon : float, default 1e-7
    centered : bool, default False
    **kwargs
        The common arguments of :class:`Optimizer`.
    """

    default_name = "rmsprop"
    scratch_buffers = 2

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered
        # three separate groups in Keras: all velocities, then momentums, then averages
        self.slot_groups = (("velocity",),) + ((("momentum",),) if momentum > 0 else ()) \
            + ((("average_gradient",),) if centered else ())

    def update_step(self, grad, weight, learning_rate):
        rho, (denominator, increment) = self.rho, self._scratch[id(weight)]
        v = self._slot(weight, "velocity")
        v *= rho                                                # v <- rho v + (1-rho) g^2
        np.square(grad, out=denominator)
        denominator *= 1 - rho
        v += denominator
        if self.centered:
            g_bar = self._slot(weight, "average_gradient")
            g_bar *= rho                                        # gbar <- rho gbar + (1-rho) g
            np.multiply(grad, 1 - rho, out=increment)
            g_bar += increment
            np.square(g_bar, out=denominator)                   # den = v - gbar^2 + eps
            np.subtract(v, denominator, out=denominator)
            denominator += self.epsilon
        else:
            np.add(v, self.epsilon, out=denominator)            # den = v + eps
        np.sqrt(denominator, out=denominator)
        np.multiply(grad, learning_rate, out=increment)         # inc = eta g / sqrt(den)
        increment /= denominator
        if self.momentum > 0:
            m = self._slot(weight, "momentum")
            m *= self.momentum                                  # m <- mu m + inc
            m += increment
            weight.value -= m                                   # theta <- theta - m
        else:
            weight.value -= increment                           # theta <- theta - inc

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon, "centered": self.centered}


class Adagrad(Optimizer):
    r"""Adagrad: each parameter's step shrinks with its own accumulated squared gradient.

    .. math::

        a \leftarrow a + g^2, \qquad
        \theta \leftarrow \theta - \frac{\eta\, g}{\sqrt{a + \epsilon}}

    The accumulator starts at ``initial_accumulator_value`` (0.1), not 0, so
    the first steps are not huge. :math:`\epsilon` sits inside the square root.

    Parameters
    ----------
    learning_rate : float, default 0.001
    initial_accumulator_value : float, default 0.1
    epsilon : float, default 1e-7
    **kwargs
        The common arguments of :class:`Optimizer`.
    """

    default_name = "adagrad"
    slot_groups = (("accumulator",),)
    scratch_buffers = 2

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon

    def _initial_slot(self, name, weight):
        if name == "accumulator":
            return np.full_like(weight.value, self.initial_accumulator_value)
        return super()._initial_slot(name, weight)

    def update_step(self, grad, weight, learning_rate):
        a, (root, step) = self._slot(weight, "accumulator"), self._scratch[id(weight)]
        np.square(grad, out=root)                               # a <- a + g^2
        a += root
        np.add(a, self.epsilon, out=root)                       # root = sqrt(a + eps)
        np.sqrt(root, out=root)
        np.multiply(grad, learning_rate, out=step)              # theta -= eta g / root
        step /= root
        weight.value -= step

    def get_config(self):
        return {**super().get_config(),
                "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}


class Adam(Optimizer):
    r"""Adam: momentum on the gradient, divided by the RMS of the gradient.

    .. math::

        m \leftarrow m + (g - m)(1 - \beta_1), \qquad
        v \leftarrow v + (g^2 - v)(1 - \beta_2)

        \alpha_t = \eta\,\frac{\sqrt{1 - \beta_2^{\,t}}}{1 - \beta_1^{\,t}}, \qquad
        \theta \leftarrow \theta - \frac{\alpha_t\, m}{\sqrt{v} + \epsilon}

    The bias corrections are folded into :math:`\alpha_t`, so :math:`\epsilon`
    is added to the *uncorrected* :math:`\sqrt v`. (PyTorch adds it after the
    correction; the two differ slightly while :math:`v` is tiny.) With
    ``amsgrad=True`` the step divides by :math:`\sqrt{\hat v}` where
    :math:`\hat v \leftarrow \max(\hat v, v)` never decreases.

    Parameters
    ----------
    learning_rate : float, default 0.001
    beta_1 : float, default 0.9
    beta_2 : float, default 0.999
    epsilon : float, default 1e-7
    amsgrad : bool, default False
    **kwargs
        The common arguments of :class:`Optimizer`.
    """

    default_name = "adam"
    scratch_buffers = 2

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, amsgrad
        self.slot_groups = (("momentum", "velocity"),) + \
            ((("velocity_hat",),) if amsgrad else ())

    def update_step(self, grad, weight, learning_rate):
        b1, b2, t = self.beta_1, self.beta_2, self.iterations + 1
        m, v = self._slot(weight, "momentum"), self._slot(weight, "velocity")
        tmp, step = self._scratch[id(weight)]
        alpha = learning_rate * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        if _fused_on_device(weight, grad) and not self.amsgrad:   # one kernel on a GPU
            from kerastutor.gpu import fused
            return fused.adam_update(weight.value, m, v, grad, alpha, b1, b2, self.epsilon)
        np.subtract(grad, m, out=tmp)                           # m <- m + (g - m)(1 - b1)
        tmp *= 1 - b1
        m += tmp
        np.square(grad, out=tmp)                                # v <- v + (g^2 - v)(1 - b2)
        tmp -= v
        tmp *= 1 - b2
        v += tmp
        if self.amsgrad:
            v_hat = self._slot(weight, "velocity_hat")
            np.maximum(v_hat, v, out=v_hat)                     # vhat <- max(vhat, v)
            v = v_hat
        np.sqrt(v, out=tmp)                                     # theta -= alpha m / (sqrt v + eps)
        tmp += self.epsilon
        np.multiply(m, alpha, out=step)
        step /= tmp
        weight.value -= step

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "amsgrad": self.amsgrad}


class AdamW(Adam):
    r"""Adam with decoupled weight decay switched on (Loshchilov & Hutter).

    .. math::

        \theta \leftarrow \theta - \theta\,\lambda\,\eta
        \quad\text{(before the step)}, \qquad \text{then the } Adam \text{ step.}

    The decay does not pass through :math:`m, v`, unlike an L2 penalty in
    the loss. Everything else is :class:`Adam`.

    Parameters
    ----------
    learning_rate : float, default 0.001
    weight_decay : float, default 0.004
        :math:`\lambda`; must not be None.
    beta_1, beta_2, epsilon, amsgrad
        As in :class:`Adam`.
    **kwargs
        The common arguments of :class:`Optimizer`.
    """

    default_name = "adamw"

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, **kwargs):
        super().__init__(learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         amsgrad=amsgrad, weight_decay=weight_decay, **kwargs)
        if weight_decay is None:
            raise ValueError("AdamW: `weight_decay` must be a float, got None. Hint: use "
                             "Adam for no decay, or keep the default weight_decay=0.004.")


class Adadelta(Optimizer):
    r"""Adadelta: step sizes from the ratio of two running RMS values.

    .. math::

        E_g \leftarrow \rho E_g + (1 - \rho) g^2

        \Delta = -\frac{\sqrt{E_{\Delta} + \epsilon}}{\sqrt{E_g + \epsilon}}\, g

        E_{\Delta} \leftarrow \rho E_{\Delta} + (1 - \rho) \Delta^2, \qquad
        \theta \leftarrow \theta + \eta \Delta

    The ratio has the units of :math:`\theta`, so the original paper needed
    no learning rate; Keras still multiplies by one (default 0.001).

    Parameters
    ----------
    learning_rate : float, default 0.001
    rho : float, default 0.95
    epsilon : float, default 1e-7
    **kwargs
        The common arguments of :class:`Optimizer`.
    """

    default_name = "adadelta"
    slot_groups = (("accumulated_grad", "accumulated_delta_var"),)
    scratch_buffers = 2

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rho, self.epsilon = rho, epsilon

    def update_step(self, grad, weight, learning_rate):
        rho, eps = self.rho, self.epsilon
        e_g = self._slot(weight, "accumulated_grad")
        e_delta = self._slot(weight, "accumulated_delta_var")
        tmp, step = self._scratch[id(weight)]
        e_g *= rho                                              # Eg <- rho Eg + (1-rho) g^2
        np.square(grad, out=tmp)
        tmp *= 1 - rho
        e_g += tmp
        # step = -Delta = sqrt(Ed + eps) g / sqrt(Eg + eps)
        np.add(e_delta, eps, out=step)
        np.sqrt(step, out=step)
        step *= grad
        np.add(e_g, eps, out=tmp)
        np.sqrt(tmp, out=tmp)
        step /= tmp
        e_delta *= rho                                          # Ed <- rho Ed + (1-rho) Delta^2
        np.square(step, out=tmp)
        tmp *= 1 - rho
        e_delta += tmp
        step *= learning_rate                                   # theta <- theta + eta Delta
        weight.value -= step

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


class Adamax(Optimizer):
    r"""Adamax: Adam with the infinity norm in place of the RMS.

    .. math::

        m \leftarrow m + (g - m)(1 - \beta_1), \qquad
        u \leftarrow \max(\beta_2 u,\ |g|)

        \theta \leftarrow \theta - \frac{\eta\, m}{(1 - \beta_1^{\,t})(u + \epsilon)}

    Parameters
    ----------
    learning_rate : float, default 0.001
    beta_1 : float, default 0.9
    beta_2 : float, default 0.999
    epsilon : float, default 1e-7
    **kwargs
        The common arguments of :class:`Optimizer`.
    """

    default_name = "adamax"
    slot_groups = (("momentum", "norm"),)
    scratch_buffers = 2

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def update_step(self, grad, weight, learning_rate):
        b1, t = self.beta_1, self.iterations + 1
        m, u = self._slot(weight, "momentum"), self._slot(weight, "norm")
        tmp, step = self._scratch[id(weight)]
        np.subtract(grad, m, out=tmp)                           # m <- m + (g - m)(1 - b1)
        tmp *= 1 - b1
        m += tmp
        u *= self.beta_2                                        # u <- max(b2 u, |g|)
        np.abs(grad, out=tmp)
        np.maximum(u, tmp, out=u)
        # theta <- theta - eta m / ((1 - b1^t)(u + eps))
        np.add(u, self.epsilon, out=tmp)
        tmp *= 1 - b1 ** t
        np.multiply(m, learning_rate, out=step)
        step /= tmp
        weight.value -= step

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}


class Nadam(Optimizer):
    r"""Nadam: Adam with Nesterov momentum and a warming-up :math:`\beta_1` schedule.

    .. math::

        \mu_t = \beta_1\left(1 - \tfrac12\, 0.96^{\,t}\right), \qquad
        \Pi_t = \prod_{k \le t} \mu_k \quad\text{(kept across steps)}

        m \leftarrow m + (g - m)(1 - \beta_1), \qquad
        v \leftarrow v + (g^2 - v)(1 - \beta_2)

        \hat m = \frac{\mu_{t+1}\, m}{1 - \Pi_t \mu_{t+1}} + \frac{(1 - \mu_t)\, g}{1 - \Pi_t},
        \qquad \hat v = \frac{v}{1 - \beta_2^{\,t}}

        \theta \leftarrow \theta - \frac{\eta\, \hat m}{\sqrt{\hat v} + \epsilon}

    :math:`\Pi_t` is one scalar for the whole optimizer, updated once per step
    before the weights; it is saved as the last of :attr:`variables`.

    Parameters
    ----------
    learning_rate : float, default 0.001
    beta_1 : float, default 0.9
    beta_2 : float, default 0.999
    epsilon : float, default 1e-7
    **kwargs
        The common arguments of :class:`Optimizer`.
    """

    default_name = "nadam"
    slot_groups = (("momentum", "velocity"),)
    scratch_buffers = 2

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self._u_product = None

    def build(self, weights):
        if self._u_product is None:
            trainable = [w for w in weights if w.trainable]
            dtype = trainable[0].value.dtype if trainable else np.float32
            self._u_product = np.ones((), dtype=dtype)
        super().build(weights)

    def _extra_variables(self):
        return [("u_product", self._u_product)] if self._u_product is not None else []

    def _mu(self, t):
        return self.beta_1 * (1 - 0.5 * 0.96 ** t)

    def _update_all(self, grads, weights, learning_rate):
        self._u_product *= self._mu(self.iterations + 1)       # Pi_t <- Pi_{t-1} mu_t
        super()._update_all(grads, weights, learning_rate)

    def update_step(self, grad, weight, learning_rate):
        b1, b2, t = self.beta_1, self.beta_2, self.iterations + 1
        mu_t, mu_next, product = self._mu(t), self._mu(t + 1), float(self._u_product)
        m, v = self._slot(weight, "momentum"), self._slot(weight, "velocity")
        tmp, m_hat = self._scratch[id(weight)]
        np.subtract(grad, m, out=tmp)                           # m <- m + (g - m)(1 - b1)
        tmp *= 1 - b1
        m += tmp
        np.square(grad, out=tmp)                                # v <- v + (g^2 - v)(1 - b2)
        tmp -= v
        tmp *= 1 - b2
        v += tmp
        np.multiply(m, mu_next / (1 - product * mu_next), out=m_hat)   # m_hat
        np.multiply(grad, (1 - mu_t) / (1 - product), out=tmp)
        m_hat += tmp
        # theta <- theta - eta m_hat / (sqrt(v_hat) + eps),  v_hat = v / (1 - b2^t)
        np.divide(v, 1 - b2 ** t, out=tmp)
        np.sqrt(tmp, out=tmp)
        tmp += self.epsilon
        m_hat *= learning_rate
        m_hat /= tmp
        weight.value -= m_hat

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}


class Lion(Optimizer):
    r"""Lion ("evolved sign momentum", Chen et al. 2023): every step has size :math:`\eta`.

    .. math::

        \theta \leftarrow \theta - \eta\,\operatorname{sign}(\beta_1 m + (1 - \beta_1) g),
        \qquad m \leftarrow \beta_2 m + (1 - \beta_2) g

    Only the sign of the interpolated momentum is used, so each parameter
    moves by exactly :math:`\pm\eta` (or 0). Typical learning rates are 3-10
    times smaller than Adam's.

    Parameters
    ----------
    learning_rate : float, default 0.001
    beta_1 : float, default 0.9
        Must be in (0, 1]; 0 would make this plain sign-SGD.
    beta_2 : float, default 0.99
    **kwargs
        The common arguments of :class:`Optimizer`.
    """

    default_name = "lion"
    slot_groups = (("momentum",),)
    scratch_buffers = 2

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, **kwargs):
        super().__init__(learning_rate, **kwargs)
        if not 0 < beta_1 <= 1:
            raise ValueError(f"Lion: `beta_1` must be in (0, 1], got beta_1={beta_1!r}. Hint: "
                             "with beta_1=0 Lion degenerates to sign-SGD; the default is 0.9.")
        self.beta_1, self.beta_2 = beta_1, beta_2

    def update_step(self, grad, weight, learning_rate):
        b1, b2 = self.beta_1, self.beta_2
        m, (direction, part) = self._slot(weight, "momentum"), self._scratch[id(weight)]
        np.multiply(m, b1, out=direction)                       # c = b1 m + (1 - b1) g
        np.multiply(grad, 1 - b1, out=part)
        direction += part
        # theta <- theta - eta sign(c). (np.sign in place is ~10x slower on mixed signs.)
        np.sign(direction, out=part)
        part *= learning_rate
        weight.value -= part
        m *= b2                                                 # m <- b2 m + (1 - b2) g
        np.multiply(grad, 1 - b2, out=part)
        m += part

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}


class Ftrl(Optimizer):
    r"""FTRL-proximal ("follow the regularized leader"), as in TensorFlow and Keras.

    With :math:`p` = ``learning_rate_power`` (:math:`-\tfrac12` by default),
    :math:`n` the accumulated squared gradient and :math:`z` the "linear" slot:

    .. math::

        n' = n + g^2, \qquad
        \sigma = \frac{n'^{-p} - n^{-p}}{\eta}

        z \leftarrow z + g + 2\lambda_\text{shrink}\theta - \sigma\theta

        q = \frac{n'^{-p}}{\eta} + 2\left(\lambda_2 + \frac{\beta}{2\eta}\right), \qquad
        \theta \leftarrow \frac{\operatorname{clip}(z, -\lambda_1, \lambda_1) - z}{q},
        \qquad n \leftarrow n'

    The weight is recomputed from :math:`z` each step; :math:`\lambda_1`
    sets small weights exactly to zero (sparse models).

    Parameters
    ----------
    learning_rate : float, default 0.001
    learning_rate_power : float, default -0.5
        Must be <= 0.
    initial_accumulator_value : float, default 0.1
        Must be >= 0.
    l1_regularization_strength, l2_regularization_strength : float, default 0.0
    l2_shrinkage_regularization_strength : float, default 0.0
    beta : float, default 0.0
    **kwargs
        The common arguments of :class:`Optimizer`.
    """

    default_name = "ftrl"
    slot_groups = (("accumulator", "linear"),)
    scratch_buffers = 2

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5,
                 initial_accumulator_value=0.1, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, l2_shrinkage_regularization_strength=0.0,
                 beta=0.0, **kwargs):
        super().__init__(learning_rate, **kwargs)
        for argument, value in (("initial_accumulator_value", initial_accumulator_value),
                                ("l1_regularization_strength", l1_regularization_strength),
                                ("l2_regularization_strength", l2_regularization_strength),
                                ("l2_shrinkage_regularization_strength",
                                 l2_shrinkage_regularization_strength)):
            if value < 0:
                raise ValueError(f"Ftrl: `{argument}` must be >= 0, got {argument}={value!r}.")
        if learning_rate_power > 0:
            raise ValueError("Ftrl: `learning_rate_power` must be <= 0, got "
                             f"learning_rate_power={learning_rate_power!r}.")
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def _initial_slot(self, name, weight):
        if name == "accumulator":
            return np.full_like(weight.value, self.initial_accumulator_value)
        return super()._initial_slot(name, weight)

    def update_step(self, grad, weight, learning_rate):
        power, theta = -self.learning_rate_power, weight.value
        n, z = self._slot(weight, "accumulator"), self._slot(weight, "linear")
        sigma, root = self._scratch[id(weight)]
        np.power(n, power, out=sigma)                           # n^-p (old)
        np.square(grad, out=root)                               # n <- n + g^2
        n += root
        np.power(n, power, out=root)                            # root = n'^-p
        np.subtract(root, sigma, out=sigma)                     # sigma theta
        sigma /= learning_rate
        sigma *= theta
        z -= sigma                                              # z += g + 2 ls theta - sigma theta
        np.multiply(theta, 2 * self.l2_shrinkage_regularization_strength, out=sigma)
        sigma += grad
        z += sigma
        l2 = self.l2_regularization_strength + self.beta / (2 * learning_rate)
        root /= learning_rate                                   # q = n'^-p / eta + 2 l2
        root += 2 * l2
        l1 = self.l1_regularization_strength
        np.clip(z, -l1, l1, out=sigma)                          # theta <- (clip(z) - z) / q
        sigma -= z
        np.divide(sigma, root, out=theta)

    def get_config(self):
        return {**super().get_config(), "learning_rate_power": self.learning_rate_power,
                "initial_accumulator_value": self.initial_accumulator_value,
                "l1_regularization_strength": self.l1_regularization_strength,
                "l2_regularization_strength": self.l2_regularization_strength,
                "l2_shrinkage_regularization_strength":
                    self.l2_shrinkage_regularization_strength,
                "beta": self.beta}


class Lamb(Optimizer):
    r"""LAMB (You et al. 2019): Adam's direction, scaled per weight by a trust ratio.

    .. math::

        m \leftarrow m + (g - m)(1 - \beta_1), \qquad
        v \leftarrow v + (g^2 - v)(1 - \beta_2)

        u = \frac{m / (1 - \beta_1^{\,t})}{\sqrt{v / (1 - \beta_2^{\,t})} + \epsilon},
        \qquad
        r = \frac{\lVert \theta \rVert_2}{\lVert u \rVert_2}
        \ (\text{or } 1 \text{ if either norm is } 0), \qquad
        \theta \leftarrow \theta - \eta\, r\, u

    The trust ratio :math:`r` makes every weight tensor move by about
    :math:`\eta` *relative to its own size*, which keeps very large batches
    stable. Unlike :class:`Adam`, the bias corrections are applied to
    :math:`m` and :math:`v` themselves, so :math:`\epsilon` is added to the
    corrected :math:`\sqrt{\hat v}`.

    Parameters
    ----------
    learning_rate : float, default 0.001
    beta_1 : float, default 0.9
    beta_2 : float, default 0.999
    epsilon : float, default 1e-7
    **kwargs
        The common arguments of :class:`Optimizer`.
    """

    default_name = "lamb"
    slot_groups = (("momentum", "velocity"),)
    scratch_buffers = 2

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def update_step(self, grad, weight, learning_rate):
        b1, b2, t = self.beta_1, self.beta_2, self.iterations + 1
        m, v = self._slot(weight, "momentum"), self._slot(weight, "velocity")
        tmp, update = self._scratch[id(weight)]
        np.subtract(grad, m, out=tmp)                           # m <- m + (g - m)(1 - b1)
        tmp *= 1 - b1
        m += tmp
        np.square(grad, out=tmp)                                # v <- v + (g^2 - v)(1 - b2)
        tmp -= v
        tmp *= 1 - b2
        v += tmp
        np.divide(v, 1 - b2 ** t, out=tmp)                      # sqrt(v_hat) + eps
        np.sqrt(tmp, out=tmp)
        tmp += self.epsilon
        np.divide(m, 1 - b1 ** t, out=update)                   # u = m_hat / (sqrt(v_hat) + eps)
        update /= tmp
        w_norm, u_norm = _l2_norm(weight.value), _l2_norm(update)
        ratio = w_norm / u_norm if w_norm > 0 and u_norm > 0 else 1.0   # trust ratio r
        update *= ratio * learning_rate                         # theta <- theta - lr r u
        weight.value -= update

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}


class Adafactor(Optimizer):
    r"""Adafactor (Shazeer & Stern 2018): Adam-like steps with *factored* second moments.

    For a matrix gradient :math:`G` (the last two axes), instead of a full
    :math:`v` it keeps row means :math:`r` and column means :math:`c` of
    :math:`G^2 + \epsilon_1` and rebuilds :math:`v` from them -- memory
    :math:`O(n + m)` instead of :math:`O(nm)`:

    .. math::

        \hat\beta_{2,t} = 1 - t^{\,d}, \qquad
        r \leftarrow \hat\beta_{2,t} r + (1 - \hat\beta_{2,t})\,\mathrm{mean}_{-1}(G^2 + \epsilon_1),
        \qquad
        c \leftarrow \hat\beta_{2,t} c + (1 - \hat\beta_{2,t})\,\mathrm{mean}_{-2}(G^2 + \epsilon_1)

        v = \frac{r}{\mathrm{mean}(r)} \otimes c
        \quad(\text{vectors and scalars keep a full } v
        \leftarrow \hat\beta_{2,t} v + (1-\hat\beta_{2,t})(g^2 + \epsilon_1))

        u = \frac{g}{\sqrt v}, \qquad
        \hat u = \frac{u}{\max(1, \mathrm{RMS}(u) / d_{clip})}, \qquad
        \theta \leftarrow \theta - \max(\epsilon_2, \mathrm{RMS}(\theta))\,\rho_t\,\hat u

    with :math:`\rho_t = \min(\eta, 1/\sqrt t)` (and, with ``relative_step``,
    :math:`\eta` itself capped at :math:`1/\sqrt t`): steps are relative to the
    size of the weights. Defaults as Keras: ``learning_rate=0.001,
    beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=1e-3, clip_threshold=1.0,
    relative_step=True``.
    """

    default_name = "adafactor"
    slot_groups = (("r", "c", "velocity"),)

    def __init__(self, learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30,
                 epsilon_2=1e-3, clip_threshold=1.0, relative_step=True, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_2_decay, self.epsilon_1, self.epsilon_2 = beta_2_decay, epsilon_1, epsilon_2
        self.clip_threshold, self.relative_step = clip_threshold, relative_step

    def _initial_slot(self, name, weight):
        shape = weight.value.shape
        if name == "r":                         # one mean per row (drops the last axis)
            return np.zeros_like(weight.value, shape=shape[:-1] if len(shape) >= 2 else ())
        if name == "c":                         # one mean per column (drops axis -2)
            return np.zeros_like(weight.value,
                                 shape=shape[:-2] + shape[-1:] if len(shape) >= 2 else ())
        return super()._initial_slot(name, weight)

    def update_step(self, grad, weight, learning_rate):
        t = self.iterations + 1
        lr = learning_rate
        if self.relative_step and not callable(self._learning_rate):
            lr = min(lr, 1 / math.sqrt(t))
        rho = min(lr, 1 / math.sqrt(t))
        alpha = max(self.epsilon_2, _rms(weight.value)) * rho
        squared = np.square(grad) + self.epsilon_1
        beta = 1 - t ** self.beta_2_decay
        r, c, v = (self._slot(weight, name) for name in ("r", "c", "velocity"))
        if grad.ndim >= 2:
            r[...] = beta * r + (1 - beta) * squared.mean(axis=-1)
            c[...] = beta * c + (1 - beta) * squared.mean(axis=-2)
            row_share = r / r.mean(axis=-1, keepdims=True)
            v[...] = row_share[..., :, None] * c[..., None, :]      # v = (r / mean r) (x) c
        else:
            v[...] = beta * v + (1 - beta) * squared
        u = grad / np.sqrt(v)
        u /= max(1.0, _rms(u) / self.clip_threshold)               # clip the update's RMS
        weight.value -= alpha * u

    def get_config(self):
        return {**super().get_config(), "beta_2_decay": self.beta_2_decay,
                "epsilon_1": self.epsilon_1, "epsilon_2": self.epsilon_2,
                "clip_threshold": self.clip_threshold, "relative_step": self.relative_step}


def _rms(array):
    """Root mean square of every entry."""
    return math.sqrt(float(np.mean(np.square(array))))


# ======================================================== lookup and serialization
_OPTIMIZERS = {cls.__name__.lower(): cls for cls in (
    SGD, RMSprop, Adagrad, Adam, AdamW, Adadelta, Adamax, Nadam, Lion, Ftrl, Lamb, Adafactor)}
# names Keras accepts that kerastutor does not implement: say so instead of "unknown"
_NOT_IMPLEMENTED = ("muon", "schedulefreeadamw", "lossscaleoptimizer",
                    "multioptimizer", "optimizermap")


def _class_for(name, argument):
    key = str(name).lower()
    if key in _OPTIMIZERS:
        return _OPTIMIZERS[key]
    if key in _NOT_IMPLEMENTED:
        raise ValueError(f"Optimizer {name!r} exists in Keras but is not implemented in "
                         f"kerastutor. Available: {', '.join(sorted(_OPTIMIZERS))}.")
    raise ValueError(f"Could not interpret optimizer {argument}: {name!r}."
                     f"{did_you_mean(key, _OPTIMIZERS)} Known optimizers: "
                     f"{', '.join(sorted(_OPTIMIZERS))}.")


def get(identifier):
    """An optimizer from a name (any casing: ``"adam"``, ``"Adam"``), a config dict or itself.

    Strings give the optimizer with Keras's default hyperparameters, as in
    ``model.compile(optimizer="adam")``.
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return _class_for(identifier, "identifier")()
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}. Expected a "
                     "name such as 'adam', an Optimizer instance or a config dict.")


def serialize(optimizer):
    """Keras's ``{"module", "class_name", "config", "registered_name"}`` dict."""
    return {"module": "keras.optimizers", "class_name": type(optimizer).__name__,
            "config": optimizer.get_config(), "registered_name": None}


def deserialize(config):
    """An optimizer from :func:`serialize`'s dict (``class_name`` in any casing)."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"optimizers.deserialize: expected a dict with 'class_name' and "
                         f"'config', got {config!r}.")
    cls = _class_for(config["class_name"], "class_name")
    return cls.from_config(config.get("config", {}))


__all__ = [
    "Optimizer", "SGD", "RMSprop", "Adagrad", "Adam", "AdamW", "Adadelta", "Adamax",
    "Nadam", "Lion", "Ftrl", "Lamb", "Adafactor",
    "LearningRateSchedule", "ExponentialDecay", "PiecewiseConstantDecay", "PolynomialDecay",
    "InverseTimeDecay", "CosineDecay", "CosineDecayRestarts", "schedules",
    "get", "serialize", "deserialize",
]
