"""The computational graph of L = (sigmoid(w x + b) - y)^2 at x = 1.5, w = 2, b = -3, y = 1.

Blue, above each edge: the value computed on the way forward. Red, below it:
the gradient of L with respect to that value, sent back by the chain rule.
Grey, under each operation: its local derivative.
"""
import numpy as np

from diagram import BACKWARD, DATA, FORWARD, box, canvas, circle, join, label

# The numbers, computed here so the figure always agrees with the chapter.
x, w, b, y = 1.5, 2.0, -3.0, 1.0
u = w * x
z = u + b
a = 1 / (1 + np.exp(-z))
d = a - y
L = d ** 2
dL_dd = 2 * d
dL_da = dL_dd
dL_dz = dL_da * a * (1 - a)
dL_du = dL_dz
dL_db = dL_dz
dL_dw, dL_dx = dL_du * x, dL_du * w


def num(value):
    return f"{value:g}".replace("-", "\u2212")


fig, ax = canvas(21, 7.6)
main_y = 3.6
ops_x = [4.0, 7.3, 10.6, 13.9, 17.2]
times, plus, sigm, minus, square = [circle(ax, (px, main_y), text, size=size)
                                    for px, text, size in zip(ops_x, ["×", "+", "σ", "−", "( )²"],
                                                              [13, 13, 13, 13, 11])]
out = box(ax, (20.3, main_y), "L", width=0.9, height=0.8, face="#f9e0dc", size=12)

# Leaves: the inputs and weights, with their gradients beside them.
leaf_w = box(ax, (1.3, 5.6), f"w = {num(w)}", width=1.9, face=DATA)
leaf_x = box(ax, (1.3, 1.6), f"x = {num(x)}", width=1.9, face=DATA)
leaf_b = box(ax, (7.3, 6.3), f"b = {num(b)}", width=1.9, face=DATA)
leaf_y = box(ax, (13.9, 6.3), f"y = {num(y)}", width=1.9, face=DATA)
for leaf, target in [(leaf_w, times), (leaf_x, times), (leaf_b, plus), (leaf_y, minus)]:
    join(ax, leaf, target)
label(ax, (1.3, 6.45), rf"$\partial L/\partial w = {num(dL_dw)}$", BACKWARD)
label(ax, (1.3, 0.75), rf"$\partial L/\partial x = {num(dL_dx)}$", BACKWARD)
label(ax, (8.45, 6.3), rf"$\partial L/\partial b = {num(dL_db)}$", BACKWARD, ha="left")
label(ax, (15.05, 6.3), "(a target: no gradient needed)", "#777777", size=8.5, ha="left")

# The chain: value above each edge, gradient below.
chain = [(times, plus, "u", u, dL_du), (plus, sigm, "z", z, dL_dz),
         (sigm, minus, "a", a, dL_da), (minus, square, "d", d, dL_dd),
         (square, out, "L", L, 1.0)]
for start, end, name, value, grad in chain:
    join(ax, start, end)
    middle = (start.centre[0] + end.centre[0]) / 2
    label(ax, (middle, main_y + 0.42), f"${name} = {num(value)}$", FORWARD, size=11)
    label(ax, (middle, main_y - 0.45), f"${num(grad)}$", BACKWARD, size=11)

# Local derivatives under the operations.
local = [r"$\partial u/\partial w = x$" "\n" r"$\partial u/\partial x = w$",
         r"$\partial z/\partial u = 1$" "\n" r"$\partial z/\partial b = 1$",
         rf"$\sigma'(z) = a(1-a)$" "\n" rf"$= {num(a * (1 - a))}$",
         r"$\partial d/\partial a = 1$",
         r"$\partial L/\partial d = 2d$"]
for px, text in zip(ops_x, local):
    label(ax, (px, main_y - 1.5), text, "#555555", size=10, va="center", linespacing=1.5)

label(ax, (10.5, 0.35),
      "blue, above an edge: the value computed forward      "
      r"red, below: the gradient $\partial L/\partial(\mathrm{value})$ sent back",
      "#333333", size=10)
