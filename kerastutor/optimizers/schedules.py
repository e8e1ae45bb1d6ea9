r"""Learning-rate schedules (``keras.optimizers.schedules``): :math:`\eta` as a function of the step.

Pass a schedule as any optimizer's ``learning_rate``. The optimizer calls it
with ``optimizer.iterations`` before the step is counted, so the first step
uses ``schedule(0)``, and keeps the result for the whole step.
"""
import numpy as np

from kerastutor import registry


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

    #: The built-in schedules keep each constructor argument as an attribute of the
    #: same name and list them here; :meth:`get_config` returns them in this order.
    _config_keys = ()

    def get_config(self):
        if not self._config_keys:
            raise NotImplementedError(
                f"Learning rate schedule '{type(self).__name__}' must override "
                "`get_config()` to be saved.")
        return {key: getattr(self, key) for key in self._config_keys}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _check_positive_steps(owner, argument, value):
    if not value > 0:
        raise ValueError(f"{owner}: `{argument}` must be > 0 (the number of steps the decay "
                         f"takes), got {argument}={value!r}.")


class _RatePerDecaySteps(LearningRateSchedule):
    r"""What :class:`ExponentialDecay` and :class:`InverseTimeDecay` share: a decay
    by ``decay_rate`` per ``decay_steps`` steps, measured by the progress
    :math:`t / T` (or :math:`\lfloor t / T \rfloor` with ``staircase=True``)."""

    _config_keys = ("initial_learning_rate", "decay_steps", "decay_rate", "staircase", "name")

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase, name):
        _check_positive_steps(type(self).__name__, "decay_steps", decay_steps)
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.decay_rate, self.staircase, self.name = decay_rate, staircase, name

    def _progress(self, step):
        progress = np.asarray(step, dtype=np.float64) / self.decay_steps
        return np.floor(progress) if self.staircase else progress


class ExponentialDecay(_RatePerDecaySteps):
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
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step):
        return self.initial_learning_rate * np.power(self.decay_rate, self._progress(step))


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

    _config_keys = ("boundaries", "values", "name")

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

    _config_keys = ("initial_learning_rate", "decay_steps", "end_learning_rate", "power",
                    "cycle", "name")

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001,
                 power=1.0, cycle=False, name="PolynomialDecay"):
        _check_positive_steps("PolynomialDecay", "decay_steps", decay_steps)
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.end_learning_rate, self.power, self.cycle = end_learning_rate, power, cycle
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


class InverseTimeDecay(_RatePerDecaySteps):
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
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step):
        return self.initial_learning_rate / (1 + self.decay_rate * self._progress(step))


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

    _config_keys = ("initial_learning_rate", "decay_steps", "alpha", "name", "warmup_target",
                    "warmup_steps")

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        _check_positive_steps("CosineDecay", "decay_steps", decay_steps)
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.alpha, self.name = alpha, name
        self.warmup_target, self.warmup_steps = warmup_target, warmup_steps

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

    _config_keys = ("initial_learning_rate", "first_decay_steps", "t_mul", "m_mul", "alpha",
                    "name")

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0,
                 alpha=0.0, name="SGDRDecay"):
        _check_positive_steps("CosineDecayRestarts", "first_decay_steps", first_decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps, self.t_mul, self.m_mul = first_decay_steps, t_mul, m_mul
        self.alpha, self.name = alpha, name

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


CATALOG = registry.Catalog("learning rate schedule", "keras.optimizers.schedules")
for _cls in (ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay, InverseTimeDecay,
             CosineDecay, CosineDecayRestarts):
    CATALOG.add(_cls, _cls.__name__)
del _cls


def serialize_schedule(schedule):
    """A schedule as Keras's ``{"module", "class_name", "config", "registered_name"}`` dict."""
    if not isinstance(schedule, LearningRateSchedule):
        raise ValueError(
            f"serialize_schedule: expected a LearningRateSchedule, got {schedule!r}. "
            "Hint: plain functions cannot be saved; subclass "
            "keras.optimizers.schedules.LearningRateSchedule and give it get_config().")
    return CATALOG.record(schedule)


def deserialize_schedule(config, custom_objects=None):
    """The schedule a :func:`serialize_schedule` dict describes."""
    return CATALOG.from_record(config, custom_objects)


# Keras's names inside ``keras.optimizers.schedules``.
serialize = serialize_schedule
deserialize = deserialize_schedule

__all__ = ["LearningRateSchedule", "ExponentialDecay", "PiecewiseConstantDecay",
           "PolynomialDecay", "InverseTimeDecay", "CosineDecay", "CosineDecayRestarts",
           "serialize", "deserialize"]
