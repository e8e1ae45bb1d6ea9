"""Keras 3's progress bar, character for character.

With ``verbose=1`` one line is redrawn in place, at most every ``interval``
seconds and always on the last step. Stripped of its colour codes it reads::

    3/7 ━━━━━━━━━━━━━━━━━━━━ 1s 312ms/step - accuracy: 0.3750 - loss: 1.1420
    7/7 ━━━━━━━━━━━━━━━━━━━━ 0s 466us/step - accuracy: 0.3800 - loss: 1.1231

(the first shows the time still to go, the last the time taken). With
``verbose=2`` nothing is drawn until the end, which prints one plain line::

    5/5 - 2s - 318ms/step - accuracy: 0.3313 - loss: 1.1683

How the line is redrawn: the terminal cursor is walked back with ``\\b``
once per character of the previous line, then ``\\r`` returns to column 0 and
the new line overwrites the old one; if the new line is shorter, spaces wipe
the rest. Colour comes from ANSI escape codes (bold count and time, a green
"done" bar on a white "to do" bar), which take no room on screen -- so widths
are counted on the text without them.
"""
import math
import os
import sys
import time

import numpy as np

BOLD = "\x1b[1m"
GREEN = "\x1b[32m"
WHITE = "\x1b[37m"
RESET = "\x1b[0m"
BAR_CHAR = "━"


# ----------------------------------------------------------------- formatting
def format_value(value, verbose=1):
    """A logged number as Keras shows it, with its leading space.

    ``" 0.3800"`` normally, ``" 1.2340e-04"`` for numbers close to zero, which
    four decimals would flatten to ``0.0000``. ``verbose=1`` tests ``|v| > 1e-3``;
    ``verbose=2`` tests ``v > 1e-3`` without the absolute value, so a negative
    number is printed in scientific notation there (Keras does the same).
    """
    large = abs(value) > 1e-3 if verbose == 1 else value > 1e-3
    return f" {value:.4f}" if large else f" {value:.4e}"


def format_time_per_unit(seconds, unit_name="step"):
    """``"2s/step"`` (one second or more, or exactly 0), ``"12ms/step"`` or ``"466us/step"``."""
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/{unit_name}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit_name}"
    return f"{seconds * 1e6:.0f}us/{unit_name}"


def format_eta(seconds):
    """Time left: ``"42s"``, ``"1:39"`` (over a minute) or ``"1:02:05"`` (over an hour)."""
    if seconds > 3600:
        return "%d:%02d:%02d" % (seconds // 3600, (seconds % 3600) // 60, seconds % 60)
    if seconds > 60:
        return "%d:%02d" % (seconds // 60, seconds % 60)
    return "%ds" % seconds


def _styled(pieces):
    """Join ``(text, ansi_code_or_None)`` pieces; also return the width seen on screen."""
    shown = "".join(f"{code}{text}{RESET}" if code else text for text, code in pieces)
    return shown, sum(len(text) for text, _ in pieces)


def _write(message):
    """Write to the *current* ``sys.stdout`` (so redirection and pytest's capsys work)."""
    out = sys.stdout
    try:
        out.write(message)
    except UnicodeEncodeError:
        # A console that cannot show "━" gets Keras 2's "=" bar instead.
        encoding = getattr(out, "encoding", None) or "utf-8"
        message = message.replace(BAR_CHAR, "=").encode(encoding, "ignore").decode(encoding)
        out.write(message)
    out.flush()


def _can_redraw_in_place():
    # Keras's rule: a terminal, a notebook, or any POSIX system (where "\r" works
    # even in most log viewers). Elsewhere each update goes on a new line.
    stdout_is_tty = hasattr(sys.stdout, "isatty") and sys.stdout.isatty()
    return (stdout_is_tty or "ipykernel" in sys.modules or "posix" in sys.modules
            or "PYCHARM_HOSTED" in os.environ)


# ----------------------------------------------------------------- the bar
class Progbar:
    r"""A progress bar for a loop of ``target`` steps, drawn as Keras 3 draws it.

    Parameters
    ----------
    target : int or None
        Number of steps expected; ``None`` (or 0) when unknown, in which case
        the line shows ``"      3/Unknown"`` and the elapsed time.
    width : int, default 20
        Characters in the bar.
    verbose : {0, 1, 2}, default 1
        0 prints nothing, 1 redraws the bar in place, 2 prints one line at the end.
    interval : float, default 0.05
        Least number of seconds between two redraws (the last step is always drawn).
    stateful_metrics, stateless_metrics : iterable of str, optional
        Give at most one. A *stateless* value is a per-step number the bar
        averages over the steps it has seen; a *stateful* one is shown as given.
        With neither, every value is averaged (Keras's default for a bare
        ``Progbar``). Keras 3's ``fit`` passes ``stateless_metrics=set()``:
        its metrics are already running means, so they are shown as they come.
    unit_name : str, default "step"
        Name in the time-per-unit field, e.g. ``"466us/step"``.

    Notes
    -----
    The time per step leaves out the first step (it includes warm-up) as soon
    as there are others; the time left is that rate times the steps to go:

    .. math::

        t_{\text{step}} = \frac{t_{\text{now}} - t_1}{n - 1}, \qquad
        \text{ETA} = t_{\text{step}}\,(\text{target} - n)

    where :math:`t_1` is the time step 1 was reported and :math:`n` the current
    step. A stateless value reported at step :math:`n` after the bar last saw
    step :math:`m` counts :math:`\max(n - m, 1)` times in its running average.
    """

    def __init__(self, target, width=20, verbose=1, interval=0.05, stateful_metrics=None,
                 stateless_metrics=None, unit_name="step"):
        if verbose not in (0, 1, 2):
            raise ValueError(f"Progbar: verbose must be 0 (silent), 1 (a bar redrawn in "
                             f"place) or 2 (one line at the end); got verbose={verbose!r}.")
        if not isinstance(width, int) or width < 1:
            raise ValueError(f"Progbar: width is the number of characters in the bar, a "
                             f"positive int; got width={width!r}.")
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError(
                "Progbar: give stateful_metrics or stateless_metrics, not both; got "
                f"stateful_metrics={stateful_metrics!r} and "
                f"stateless_metrics={stateless_metrics!r}. Name the metrics shown as given "
                "(stateful_metrics), or the ones to average (stateless_metrics).")
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics = None if stateless_metrics is not None else set(
            stateful_metrics or ())
        self.stateless_metrics = None if stateless_metrics is None else set(stateless_metrics)

        self._dynamic_display = _can_redraw_in_place()
        self._seen_so_far = 0
        self._values = {}            # name -> [weighted sum, number of steps]; keeps order
        self._start = time.time()
        self._last_update = 0.0
        self._time_after_first_step = None
        self._prev_total_width = 0

    # ------------------------------------------------------------ public API
    def update(self, current, values=None, finalize=None):
        """Record progress up to step ``current`` and redraw if it is time to.

        Parameters
        ----------
        current : int
            Index of the step just finished (1-based).
        values : list of (str, number) pairs, optional
            Numbers to show after the bar, in first-seen order. Arrays are
            reduced to their mean.
        finalize : bool, optional
            Whether this is the last update; defaults to ``current >= target``.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        self._record(values or (), current, finalize)
        self._seen_so_far = current

        now = time.time()
        time_per_unit = self._estimate_step_duration(current, now)
        if self.verbose == 1:
            # Redrawing is what costs time, so most calls end here.
            if not finalize and now - self._last_update < self.interval:
                return
            self._draw_line(current, now, time_per_unit, finalize)
        elif self.verbose == 2 and finalize and self._target_known:
            self._print_final_line(current, now, time_per_unit)
        self._last_update = now

    def add(self, n, values=None):
        """Advance by ``n`` steps (``update(seen + n, values)``)."""
        self.update(self._seen_so_far + n, values)

    # ------------------------------------------------------------ bookkeeping
    @property
    def _target_known(self):
        return self.target is not None and self.target > 0

    def _is_stateless(self, name):
        if self.stateful_metrics is not None:
            return name not in self.stateful_metrics
        return name in self.stateless_metrics

    def _record(self, values, current, finalize):
        for name, value in values:
            value = value if isinstance(value, float) else float(np.mean(value))
            if not self._is_stateless(name) or finalize:
                # Shown as given. (On the final call Keras also shows the given
                # value: it is the epoch's summary, whatever came before.)
                self._values[name] = [value, 1]
                continue
            steps = max(current - self._seen_so_far, 1)
            total = self._values.setdefault(name, [0.0, 0])
            total[0] += value * steps
            total[1] += steps

    def _estimate_step_duration(self, current, now):
        """Seconds per step; leaves out step 1 once later steps exist (see Notes)."""
        if not current:
            return 0.0
        if self._time_after_first_step is not None and current > 1:
            per_step = (now - self._time_after_first_step) / (current - 1)
        else:
            per_step = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return per_step

    def _metrics_text(self, verbose):
        return "".join(f" - {name}:{format_value(total / max(1, count), verbose)}"
                       for name, (total, count) in self._values.items())

    # ------------------------------------------------------------ drawing
    def _count_text(self, current):
        digits = int(math.log10(self.target)) + 1     # right-align "  7/100"
        return f"%{digits}d/%d" % (current, self.target)

    def _bar_pieces(self, current):
        if not self._target_known:
            return [("%7d/Unknown" % current, None)]
        done = int(self.width * (float(current) / self.target))
        pieces = [(self._count_text(current), BOLD), (" ", None)]
        if done > 0:
            pieces.append((BAR_CHAR * done, GREEN))
        pieces.append((BAR_CHAR * (self.width - done), WHITE))
        return pieces

    def _draw_line(self, current, now, time_per_unit, finalize):
        if self._target_known and not finalize:
            timing = format_eta(time_per_unit * (self.target - current))
        else:
            timing = f"{now - self._start:.0f}s"
        pieces = self._bar_pieces(current) + [
            (" ", None), (timing, BOLD),
            (" " + format_time_per_unit(time_per_unit, self.unit_name)
             + self._metrics_text(verbose=1), None)]
        line, total_width = _styled(pieces)

        # Go back over the old line (or start a new one where "\r" is unreliable).
        message = "\b" * self._prev_total_width + "\r" if self._dynamic_display else "\n"
        message += line
        if self._prev_total_width > total_width:
            message += " " * (self._prev_total_width - total_width)   # wipe leftovers
        if finalize:
            message += "\n"
        _write(message)
        self._prev_total_width = total_width

    def _print_final_line(self, current, now, time_per_unit):
        _write(f"{self._count_text(current)} - {now - self._start:.0f}s - "
               f"{format_time_per_unit(time_per_unit, self.unit_name)}"
               f"{self._metrics_text(verbose=2)}\n")


__all__ = ["Progbar", "format_value", "format_time_per_unit", "format_eta"]
