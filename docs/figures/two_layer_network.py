"""The two-layer network of the chapter as a graph of layers, forward and backward.

Forward (blue, above): x -> Dense 1 -> z1 -> ReLU -> a1 -> Dense 2 -> y_hat -> loss.
Backward (red, below): the loss sends delta_2 = dL/dy_hat back; Dense 2 turns it
into dL/da1, ReLU into delta_1 = dL/dz1 (the elementwise product with relu'),
and each Dense layer hands its weight gradients down.
"""
from diagram import BACKWARD, DATA, FORWARD, GATE, arrow, box, canvas, label

fig, ax = canvas(20.6, 6.7, bottom=1.4)
row = 4.6                    # the layers' centre line
gap = 0.32                   # forward arrows above it, backward arrows below

layers = [  # centre x, width, title, formula, face
    (1.0, 1.3, "x", "data", DATA),
    (4.6, 2.9, "Dense 1", r"$z_1 = x W_1 + b_1$", GATE),
    (9.1, 3.1, "ReLU", r"$a_1 = \max(z_1, 0)$", GATE),
    (13.6, 2.9, "Dense 2", r"$\hat y = a_1 W_2 + b_2$", GATE),
    (18.0, 2.3, "MSE", r"$L$", "#f9e0dc"),
]
for cx, width, title, formula, face in layers:
    box(ax, (cx, row), "", width=width, height=1.6, face=face)
    label(ax, (cx, row + 0.35), title, size=11, weight="bold")
    label(ax, (cx, row - 0.35), formula, size=10)

forward = [r"$x$" "\n" r"$N{\times}2$", r"$z_1$" "\n" r"$N{\times}2$",
           r"$a_1$" "\n" r"$N{\times}2$", r"$\hat y$" "\n" r"$N{\times}1$"]
backward = [None, r"$\delta_1$", r"$\dfrac{\partial L}{\partial a_1}$", r"$\delta_2$"]
for k in range(4):
    left_x, left_w = layers[k][0], layers[k][1]
    right_x, right_w = layers[k + 1][0], layers[k + 1][1]
    start, end = left_x + left_w / 2 + 0.05, right_x - right_w / 2 - 0.05
    middle = (start + end) / 2
    arrow(ax, (start, row + gap), (end, row + gap), colour=FORWARD, shrink=0)
    label(ax, (middle, row + gap + 0.62), forward[k], FORWARD, size=10, linespacing=1.3)
    if backward[k] is not None:
        arrow(ax, (end, row - gap), (start, row - gap), colour=BACKWARD, shrink=0)
        label(ax, (middle, row - gap - 0.55), backward[k], BACKWARD, size=10.5)

# The target enters the loss from above.
box(ax, (18.0, 7.35), r"target $t$", width=2.0, height=0.7, face=DATA, size=10)
arrow(ax, (18.0, 7.0), (18.0, row + 0.82), colour=FORWARD, shrink=0)
label(ax, (18.0, row - 1.25), r"$\delta_2 = \frac{2}{N}(\hat y - t)$", BACKWARD, size=10)

# What each layer's backward computes, under it.
notes = [
    (4.6, r"$\partial L/\partial W_1 = x^\top \delta_1$" "\n"
          r"$\partial L/\partial b_1 = \Sigma_n\, \delta_1$" "\n"
          r"(no $\partial L/\partial x$: data)"),
    (9.1, r"$\delta_1 = \dfrac{\partial L}{\partial a_1} \odot \mathrm{relu}'(z_1)$" "\n"
          "elementwise"),
    (13.6, r"$\partial L/\partial W_2 = a_1^\top \delta_2$" "\n"
           r"$\partial L/\partial b_2 = \Sigma_n\, \delta_2$" "\n"
           r"$\partial L/\partial a_1 = \delta_2 W_2^\top$"),
]
for cx, text in notes:
    arrow(ax, (cx, row - 0.82), (cx, 3.05), colour=BACKWARD, shrink=0)
    label(ax, (cx, 2.9), text, BACKWARD, size=9.5, va="top", linespacing=1.6)

label(ax, (9.1, 7.6), "forward: values (blue)        backward: gradients (red)",
      "#333333", size=9.5)
