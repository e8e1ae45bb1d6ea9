"""Ways to look at a :class:`~kerastutor.trace.Trace`: text tables, HTML, figures.

Each step gets two tables. The *layer* table follows the forward pass
(activations) and the gradient coming back into each layer
(:math:`\\partial L/\\partial y`, as an RMS); the *weight* table shows each
gradient and the step the optimizer took, with the update/weight ratio.
"""
import html as html_escape
import os

import numpy as np

LAYER_COLUMNS = ("layer", "output shape", "mean", "std", "min", "max", "zeros",
                 "dL/dy rms", "dL/dx rms")
WEIGHT_COLUMNS = ("weight", "shape", "||W||", "||dL/dW||", "||update||", "update/W")


# ============================================================ rows
def _number(value):
    if value is None:
        return "-"
    if isinstance(value, float) and not np.isfinite(value):
        return str(value)
    return f"{value:.3g}"


def _shape(shape):
    return "-" if shape is None else str(shape).replace(" ", "")


def layer_rows(step):
    """One row of strings per layer call, in forward order."""
    rows = []
    for r in step.layers:
        out = r.output
        name = f"{r.name} ({r.kind}{', ' + r.activation if r.activation else ''})"
        stats = ([_number(out.mean), _number(out.std), _number(out.min), _number(out.max),
                  f"{out.zeros:.0%}"] if out is not None else ["-"] * 5)
        rows.append([name, _shape(out and out.shape)] + stats + [
            _number(r.grad_output and r.grad_output.rms),
            _number(r.grad_input and r.grad_input.rms)])
    return rows


def weight_rows(step):
    """One row of strings per trainable weight."""
    return [[w.path, _shape(w.shape), _number(w.norm), _number(w.grad_norm),
             _number(w.update_norm), _number(w.ratio)] for w in step.weights]


def _heading(step):
    epoch = "" if step.epoch is None else f" (epoch {step.epoch})"
    metrics = "".join(f", {name} {_number(float(value))}"
                      for name, value in step.metrics.items() if name != "loss")
    return f"step {step.index}{epoch}: loss {_number(step.loss)}{metrics}"


# ============================================================ text
def _aligned(columns, rows):
    widths = [max(len(str(c)) for c in column) for column in zip(columns, *rows)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()
    rule = "-" * len(line(columns))
    return [line(columns), rule] + [line(row) for row in rows]


def text(trace, step=None):
    """The tables of every step (or of ``trace.steps[step]``) as one string."""
    if not trace.steps:
        return "Empty trace: no training step was recorded."
    steps = trace.steps if step is None else [trace.steps[step]]
    blocks = []
    for s in steps:
        lines = [_heading(s)] + _aligned(LAYER_COLUMNS, layer_rows(s))
        if s.weights:
            lines += [""] + _aligned(WEIGHT_COLUMNS, weight_rows(s))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


# ============================================================ HTML
def _html_table(columns, rows):
    head = "".join(f"<th>{html_escape.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html_escape.escape(str(c))}</td>" for c in row)
                   + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def html(trace):
    """The same tables as :func:`text`, as HTML (what a notebook shows)."""
    if not trace.steps:
        return "<p>Empty trace: no training step was recorded.</p>"
    parts = []
    for s in trace.steps:
        parts.append(f"<h4>{html_escape.escape(_heading(s))}</h4>")
        parts.append(_html_table(LAYER_COLUMNS, layer_rows(s)))
        if s.weights:
            parts.append(_html_table(WEIGHT_COLUMNS, weight_rows(s)))
    return "<div class='kerastutor-trace'>" + "".join(parts) + "</div>"


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
