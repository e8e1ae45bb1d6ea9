"""Ways to look at a :class:`~kerastutor.trace.Trace`: text tables, HTML, figures.

Each step is a set of tables. The *layer* table follows the forward pass
(the activations' statistics, with the fraction of dead ReLU units or of
saturated sigmoid/tanh outputs) and the gradient coming back into each layer
(:math:`\\partial L/\\partial y` and :math:`\\partial L/\\partial x`, as RMS);
the *weight* table shows each gradient and the step the optimizer took, with
the update/weight ratio. In a terminal the layer table is printed in two
halves, activations then gradients, so that every line fits 80 columns.

Some numbers deserve a second look, and the views mark them: the HTML view (what
a notebook shows) colours the cell and says why in its tooltip, the text view
puts a ``!`` after it and the reason under the tables:

* NaN or inf anywhere (red): the step has diverged;
* a ReLU layer with at least :data:`DEAD_HIGHLIGHT` of its units dead, a
  sigmoid/tanh layer with at least :data:`SATURATED_HIGHLIGHT` of its outputs
  saturated: those units pass almost no gradient;
* a kernel whose update/W ratio is more than :data:`UPDATE_RATIO_FACTOR` times
  away from :data:`HEALTHY_UPDATE_RATIO`, CS231n's rule of thumb for a healthy
  step (biases are left out: they start at zero, so their ratio says little),
  or a kernel that did not move at all: no gradient reached it.

The HTML view also lists the tutor's hints (:func:`~kerastutor.trace.find_hints`).
"""
import html as html_escape
import os
import re
import textwrap

import numpy as np

from kerastutor.backend import snake_case
import kerastutor.trace.hints as hints

#: The columns of the layer table; the text view prints them as two tables.
ACTIVATION_COLUMNS = ("layer", "output", "mean", "std", "min", "max", "zeros", "dead/sat.")
GRADIENT_COLUMNS = ("layer", "dL/dy rms", "dL/dx rms")
LAYER_COLUMNS = ACTIVATION_COLUMNS + GRADIENT_COLUMNS[1:]
WEIGHT_COLUMNS = ("weight", "shape", "||W||", "||dL/dW||", "||update||", "update/W")

#: ||update|| / ||W|| of about 1e-3 per step is healthy (CS231n, "babysitting the learning").
HEALTHY_UPDATE_RATIO = 1e-3
#: ... and a kernel's ratio further than this factor from it is highlighted.
UPDATE_RATIO_FACTOR = 10
#: A ReLU layer with at least this fraction of dead units is highlighted (the hint's rule).
DEAD_HIGHLIGHT = hints.DEAD_FRACTION
#: A sigmoid/tanh layer with at least this fraction of saturated outputs is highlighted.
SATURATED_HIGHLIGHT = hints.SATURATED_FRACTION


# ============================================================ cells
class Flagged(str):
    """A table cell a tutor would question: its text, ``why`` (a sentence) and ``level``.

    A ``str`` like any other cell, so the text tables need no special case;
    ``level`` is ``"warn"`` (worth a look) or ``"bad"`` (NaN or inf).
    """

    def __new__(cls, text, why, level="warn"):
        cell = super().__new__(cls, text)
        cell.why, cell.level = why, level
        return cell


def _number(value):
    if value is None:
        return "-"
    if isinstance(value, float) and not np.isfinite(value):
        return str(value)
    return f"{value:.3g}"


def _shape(shape):
    return "-" if shape is None else str(shape).replace(" ", "")


def _checked(text, stats, what):
    """``text`` as a cell, flagged red when the array it summarises held NaN or inf."""
    if stats is not None and stats.nonfinite:
        return Flagged(text, f"{stats.nonfinite} value(s) of {what} are NaN or inf; the "
                             "numbers shown are those of the finite ones.", "bad")
    return text


def _unit_health(record):
    """The dead/saturated cell of a layer: ``25% dead``, ``80% sat.`` or ``-``."""
    if record.dead_fraction is not None:
        text = f"{record.dead_fraction:.0%} dead"
        if record.dead_fraction >= DEAD_HIGHLIGHT:
            return Flagged(text, f"{record.dead_fraction:.0%} of the ReLU units of "
                                 f"{record.name} are 0 for every sample of the batch: they "
                                 "get no gradient and stop learning.")
        return text
    if record.saturated_fraction is not None:
        text = f"{record.saturated_fraction:.0%} sat."
        if record.saturated_fraction >= SATURATED_HIGHLIGHT:
            return Flagged(text, f"{record.saturated_fraction:.0%} of the {record.activation} "
                                 f"outputs of {record.name} sit near an asymptote, where the "
                                 "derivative is almost 0: little gradient passes.")
        return text
    return "-"


def _update_ratio(weight):
    """The update/W cell, flagged when a kernel's step is far from ~1e-3 (or not finite)."""
    ratio, text = weight.ratio, _number(weight.ratio)
    if ratio is None:
        return text
    if np.isnan(ratio) or (np.isinf(ratio) and weight.norm > 0):
        return Flagged(text, f"The update of {weight.path} is NaN or inf: the step diverged.",
                       "bad")
    if len(weight.shape) < 2 or np.isinf(ratio):
        return text                  # a bias (it starts at 0), or a kernel that was all zeros
    if ratio == 0:
        return Flagged(text, f"{weight.path} did not move at all: no gradient reached it "
                             "(dead units on its path?).")
    times, healthy = ratio / HEALTHY_UPDATE_RATIO, f"{HEALTHY_UPDATE_RATIO:.0e}".replace("-0", "-")
    if times > UPDATE_RATIO_FACTOR:
        return Flagged(text, f"{weight.path} moved by {ratio:.2g} of its size in one step, "
                             f"{times:.0f} times the ~{healthy} of a healthy step: is the "
                             "learning rate too high?")
    if times < 1 / UPDATE_RATIO_FACTOR:
        return Flagged(text, f"{weight.path} moved by {ratio:.2g} of its size in one step, "
                             f"{1 / times:.0f} times less than the ~{healthy} of a healthy "
                             "step: is the learning rate too low?")
    return text


# ============================================================ rows
def layer_label(name, kind, activation):
    """``dense_1 (softmax)``, ``hidden (Dense, relu)``: the layer's class only when its
    name does not already say it (an automatic name such as ``dense_1`` does)."""
    automatic = re.fullmatch(re.escape(snake_case(kind)) + r"(_\d+)?", name)
    details = ([] if automatic else [kind]) + ([activation] if activation else [])
    return f"{name} ({', '.join(details)})" if details else name


def layer_rows(step):
    """One row of cells per layer call, in forward order (columns :data:`LAYER_COLUMNS`)."""
    rows = []
    for r in step.layers:
        out = r.output
        name = layer_label(r.name, r.kind, r.activation)
        stats = ([_checked(_number(out.mean), out, f"the output of {r.name}"),
                  _number(out.std), _number(out.min), _number(out.max), f"{out.zeros:.0%}"]
                 if out is not None else ["-"] * 5)
        gradients = [_checked(_number(g and g.rms), g, f"{what} at {r.name}")
                     for g, what in ((r.grad_output, "dL/dy"), (r.grad_input, "dL/dx"))]
        rows.append([name, _shape(out and out.shape)] + stats + [_unit_health(r)] + gradients)
    return rows


def weight_rows(step):
    """One row of cells per trainable weight (columns :data:`WEIGHT_COLUMNS`)."""
    return [[w.path, _shape(w.shape), _number(w.norm),
             _checked(_number(w.grad_norm), w.grad, f"dL/dW of {w.path}"),
             _number(w.update_norm), _update_ratio(w)] for w in step.weights]


def _heading(step):
    epoch = "" if step.epoch is None else f" (epoch {step.epoch})"
    metrics = "".join(f", {name} {_number(float(value))}"
                      for name, value in step.metrics.items() if name != "loss")
    return f"step {step.index}{epoch}: loss {_number(step.loss)}{metrics}"


_BROKEN_LOSS = "The loss is NaN or inf: the step diverged."


def _loss_is_broken(step):
    return step.loss is not None and not np.isfinite(step.loss)


# ============================================================ text
def _aligned(columns, rows):
    rows = [[f"{c}!" if isinstance(c, Flagged) else c for c in row] for row in rows]
    widths = [max(len(str(c)) for c in column) for column in zip(columns, *rows)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()
    rule = "-" * len(line(columns))
    return [line(columns), rule] + [line(row) for row in rows]


def _flag_notes(*tables):
    """``! why`` for every flagged cell of the tables, each reason once."""
    reasons = [c.why for rows in tables for row in rows for c in row if isinstance(c, Flagged)]
    return [textwrap.fill(why, width=80, initial_indent="! ", subsequent_indent="  ")
            for why in dict.fromkeys(reasons)]


def text(trace, step=None):
    """The tables of every step (or of ``trace.steps[step]``) as one string."""
    if not trace.steps:
        return "Empty trace: no training step was recorded."
    steps = trace.steps if step is None else [trace.steps[step]]
    split = len(ACTIVATION_COLUMNS)
    blocks = []
    for s in steps:
        rows, weights = layer_rows(s), weight_rows(s)
        lines = ([_heading(s) + ("!" if _loss_is_broken(s) else "")]
                 + _aligned(ACTIVATION_COLUMNS, [row[:split] for row in rows]) + [""]
                 + _aligned(GRADIENT_COLUMNS, [row[:1] + row[split:] for row in rows]))
        if weights:
            lines += [""] + _aligned(WEIGHT_COLUMNS, weights)
        notes = _flag_notes(rows, weights)
        if _loss_is_broken(s):
            notes.insert(0, f"! {_BROKEN_LOSS}")
        blocks.append("\n".join(lines + ([""] + notes if notes else [])))
    return "\n\n".join(blocks)


# ============================================================ HTML
#: Scoped to the view's own <div>, so a notebook's other output keeps its look.
_STYLE = """<style>
.kerastutor-trace {font-family: system-ui, -apple-system, 'Segoe UI', sans-serif;
  font-size: 13px; line-height: 1.35}
.kerastutor-trace table {border-collapse: collapse; margin: 0.3em 0 1em}
.kerastutor-trace th {text-align: right; font-weight: 600; padding: 0.3em 0.8em;
  border-bottom: 2px solid #888; white-space: nowrap}
.kerastutor-trace td {text-align: right; padding: 0.2em 0.8em; border-bottom: 1px solid #ddd;
  font-family: ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace;
  font-variant-numeric: tabular-nums; white-space: nowrap}
.kerastutor-trace th:first-child, .kerastutor-trace td:first-child {text-align: left}
.kerastutor-trace tbody tr:nth-child(even) {background: rgba(127, 127, 127, 0.07)}
.kerastutor-trace .kt-title {color: #555; margin-bottom: 0.3em}
.kerastutor-trace .kt-step {font-weight: 600; font-size: 14px; margin: 0.8em 0 0.1em}
.kerastutor-trace .kt-hints {margin: 0.4em 0 0.8em; padding: 0.4em 0.8em;
  border-left: 4px solid #d39e00; background: rgba(255, 193, 7, 0.08)}
.kerastutor-trace .kt-hints ul {margin: 0.2em 0; padding-left: 1.2em}
.kerastutor-trace .kt-healthy {border-left-color: #2e7d32; background: rgba(46, 125, 50, 0.07)}
</style>"""

#: Highlight colours, written on the cell itself so they survive without the <style> block.
_LEVEL_STYLE = {"warn": "background: #fff3cd; color: #664d03; font-weight: 600",
                "bad": "background: #f8d7da; color: #842029; font-weight: 600"}


def _html_cell(cell):
    text = html_escape.escape(str(cell))
    if isinstance(cell, Flagged):
        return (f'<td class="kt-{cell.level}" style="{_LEVEL_STYLE[cell.level]}" '
                f'title="{html_escape.escape(cell.why, quote=True)}">{text}</td>')
    return f"<td>{text}</td>"


def _html_table(columns, rows):
    head = "".join(f"<th>{html_escape.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(_html_cell(c) for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _html_heading(step):
    text = html_escape.escape(_heading(step))
    if _loss_is_broken(step):
        return (f'<div class="kt-step kt-bad" style="{_LEVEL_STYLE["bad"]}" '
                f'title="{_BROKEN_LOSS}">{text}</div>')
    return f'<div class="kt-step">{text}</div>'


def _html_hints(found):
    if not found:
        return ('<div class="kt-hints kt-healthy"><b>Tutor\'s hints:</b> none -- nothing in '
                'these numbers looks wrong.</div>')
    items = "".join(
        f"<li><b>{html_escape.escape(h.title)}</b>"
        + (f" <i>[{html_escape.escape(h.where)}]</i>" if h.where else "")
        + f": {html_escape.escape(h.explanation)}</li>" for h in found)
    return f'<div class="kt-hints"><b>Tutor\'s hints</b><ul>{items}</ul></div>'


def html(trace):
    """The same tables as :func:`text`, as styled HTML, with the highlights and the hints.

    What a notebook shows for a :class:`~kerastutor.trace.Trace`. Highlighted
    cells carry their reason as a tooltip (hover over them).
    """
    if not trace.steps:
        return "<p>Empty trace: no training step was recorded.</p>"
    model = getattr(getattr(trace, "model", None), "name", None)
    title = (f"Trace of {len(trace.steps)} training step(s)"
             + (f" of {model!r}" if model else "")
             + ". Coloured cells deserve a second look: hover over one for the reason.")
    parts = [_STYLE, f'<div class="kt-title">{html_escape.escape(title)}</div>',
             _html_hints(trace.hints())]
    for s in trace.steps:
        parts.append(_html_heading(s))
        parts.append(_html_table(LAYER_COLUMNS, layer_rows(s)))
        if s.weights:
            parts.append(_html_table(WEIGHT_COLUMNS, weight_rows(s)))
    return "<div class='kerastutor-trace'>" + "".join(parts) + "</div>"


def event_html(event):
    """One step-through event as a notebook shows it: its text in a monospace box."""
    return ('<pre style="font-family: ui-monospace, Menlo, Consolas, monospace; '
            'padding: 0.5em 0.8em; border-left: 4px solid #888; '
            'background: rgba(127, 127, 127, 0.08)">'
            f"{html_escape.escape(str(event))}</pre>")


# ============================================================ figures
def _pyplot(save_to):
    """matplotlib.pyplot, imported only now; headless (Agg) when only saving a file."""
    import matplotlib    # optional and heavy: imported only when drawing
    if save_to and not os.environ.get("DISPLAY") and "MPLBACKEND" not in os.environ:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _save(figure, save_to):
    if save_to:
        folder = os.path.dirname(os.path.abspath(save_to))
        os.makedirs(folder, exist_ok=True)
        figure.savefig(save_to, bbox_inches="tight")
    return figure


def plot_histograms(trace, what="activations", step=-1, save_to=None):
    """A histogram per layer: its activations, or (``what="gradients"``) dL/dy.

    Uses the histograms every record keeps, so it works without ``keep_arrays``.
    Returns the matplotlib figure.
    """
    if what not in ("activations", "gradients"):
        raise ValueError(f"plot_histograms: `what` must be 'activations' or 'gradients', "
                         f"got {what!r}.")
    if not trace.steps:
        raise ValueError("plot_histograms: the trace is empty; record a step first.")
    chosen = trace.steps[step]
    pairs = [(r.name, r.output if what == "activations" else r.grad_output)
             for r in chosen.layers]
    pairs = [(name, stats) for name, stats in pairs if stats is not None and stats.histogram]
    plt = _pyplot(save_to)
    figure, axes = plt.subplots(1, max(len(pairs), 1), figsize=(3.2 * max(len(pairs), 1), 2.8),
                                squeeze=False)
    for axis, (name, stats) in zip(axes[0], pairs):
        counts, edges = stats.histogram
        axis.bar(edges[:-1], counts, width=np.diff(edges), align="edge")
        axis.set_title(f"{name}\nstd {stats.std:.2g}", fontsize=9)
    label = "activation" if what == "activations" else "dL/dy"
    figure.suptitle(f"{label} histograms, step {chosen.index}")
    figure.tight_layout()
    return _save(figure, save_to)


def plot_update_ratios(trace, save_to=None):
    """``||update|| / ||W||`` per weight over the recorded steps, on a log scale.

    The dashed line marks 1e-3, the usual healthy size of a step.
    """
    if not trace.steps:
        raise ValueError("plot_update_ratios: the trace is empty; record a step first.")
    plt = _pyplot(save_to)
    figure, axis = plt.subplots(figsize=(6, 3.5))
    paths = [w.path for w in trace.steps[0].weights]
    for path in paths:
        points = [(s.index, w.ratio) for s in trace.steps for w in s.weights
                  if w.path == path and w.ratio is not None and 0 < w.ratio < np.inf]
        if points:
            axis.plot(*zip(*points), marker="o", label=path)
    axis.axhline(1e-3, color="gray", linestyle="--", linewidth=1)
    axis.set_yscale("log")
    axis.set_xlabel("training step")
    axis.set_ylabel("||update|| / ||W||")
    if paths:
        axis.legend(fontsize=7)
    figure.tight_layout()
    return _save(figure, save_to)
