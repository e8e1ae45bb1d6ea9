"""The training loop of ``model.fit``: epochs around steps, callbacks at the edges.

Each step: take a batch, forward, loss, backward, update. Each epoch: shuffle,
run every step, validate, and tell the callbacks (History records the logs).
"""
from matplotlib.patches import FancyBboxPatch

from diagram import BACKWARD, DATA, FORWARD, GATE, arrow, box, canvas, label, path

GREY = "#666666"
CALLBACK = "#7d3c98"

fig, ax = canvas(20.4, 9.6)


def frame(corner, width, height, colour, dashed=False):
    ax.add_patch(FancyBboxPatch(corner, width, height,
                                boxstyle="round,pad=0,rounding_size=0.35",
                                facecolor="none", edgecolor=colour, linewidth=1.4,
                                linestyle="--" if dashed else "-", zorder=0))


label(ax, (10.2, 9.25), "model.fit(x, y, epochs=..., batch_size=32)", size=11.5,
      family="monospace")
frame((0.4, 0.55), 19.6, 8.1, "#444444")
label(ax, (0.8, 8.25), "for epoch in range(epochs):", size=10.5, ha="left",
      family="monospace")
label(ax, (0.8, 7.55), "shuffle the samples · reset the metrics · on_epoch_begin",
      CALLBACK, size=9.5, ha="left")
label(ax, (19.6, 7.55), "validate (val_loss) · on_epoch_end → History",
      CALLBACK, size=9.5, ha="right")

frame((1.2, 2.05), 18.0, 4.95, "#888888", dashed=True)
label(ax, (1.5, 6.65), "for each batch  (steps = ceil(N / batch_size)):", size=10,
      ha="left", family="monospace", colour=GREY)

row = 4.2
steps = [  # width, title, detail, face, edge
    (1.9, "batch", r"$(x, y)$", DATA, "#222222"),
    (2.8, "forward", r"$\hat y = \mathrm{model}(x)$", "#e3effa", FORWARD),
    (2.7, "loss", r"$L(y, \hat y)$, $\partial L/\partial \hat y$", "#f9e0dc", BACKWARD),
    (3.0, "backward", r"every $\partial L/\partial W$", "#fbe3e0", BACKWARD),
    (3.5, "update", r"$W \leftarrow W - \eta\, \partial L/\partial W$", GATE, "#7a5a00"),
]
gap, left = 0.8, 1.75
centres = []
for width, *_ in steps:
    centres.append(left + width / 2)
    left += width + gap
steps = [(x, *step) for x, step in zip(centres, steps)]
patches = []
for x, width, title, detail, face, edge in steps:
    patches.append(box(ax, (x, row), "", width=width, height=1.5, face=face, edge=edge,
                       linewidth=1.6))
    label(ax, (x, row + 0.33), title, size=11, weight="bold")
    label(ax, (x, row - 0.33), detail, size=9.5)
for (x1, w1, *_), (x2, w2, *_) in zip(steps, steps[1:]):
    arrow(ax, (x1 + w1 / 2 + 0.03, row), (x2 - w2 / 2 - 0.03, row), width=1.6, shrink=0)

# The forward pass leaves caches; the backward pass reads them.
forward_x, backward_x, batch_x, update_x = centres[1], centres[3], centres[0], centres[4]
arrow(ax, (forward_x, row + 0.78), (backward_x, row + 0.78), colour=GREY, width=1.1,
      dashed=True, connection="arc3,rad=-0.18", shrink=0)
label(ax, ((forward_x + backward_x) / 2, row + 1.62), "caches (what backward needs)", GREY,
      size=9)

# Back to the next batch.
path(ax, [(update_x, row - 0.78), (update_x, 2.75), (batch_x, 2.75), (batch_x, row - 0.78)],
     "#222222", width=1.6)
label(ax, (9.9, 2.42), "next batch: step += 1   ·   on_train_batch_end (running loss, "
      "metrics) → progress bar", CALLBACK, size=9)

# Back to the next epoch.
path(ax, [(19.6, 1.35), (0.8, 1.35)], "#444444", width=1.4)
label(ax, (10.2, 1.0), "next epoch (until epochs, or a callback sets stop_training)",
      "#444444", size=9.5)
