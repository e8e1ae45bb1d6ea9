"""One step of an LSTM cell: the gates, the cell-state path c and the output path h.

    [a^i, a^f, a^c, a^o] = x_t W + h_{t-1} U + b
    i = sigma(a^i), f = sigma(a^f), g = tanh(a^c), o = sigma(a^o)
    c_t = f * c_{t-1} + i * g,     h_t = o * tanh(c_t)
"""
from matplotlib.patches import FancyBboxPatch

from diagram import FORWARD, GATE, box, canvas, circle, label, path

C_PATH = FORWARD            # the memory c: the long straight line on top
H_PATH = "#1e8449"          # the state h and the input x
GATE_INK = "#7a5a00"

fig, ax = canvas(20, 10.2)
ax.add_patch(FancyBboxPatch((2.6, 1.25), 13.9, 7.75, boxstyle="round,pad=0,rounding_size=0.5",
                            facecolor="#f7f7f7", edgecolor="#999999", linewidth=1.2,
                            zorder=0))
label(ax, (16.2, 8.6), "LSTM cell, one time step", colour="#666666", size=9.5, ha="right")

c_y, bus_y, gate_y = 7.9, 2.2, 4.0
gates = {"f": 5.0, "i": 7.5, "g": 10.5, "o": 13.0}
widths = {"f": 2.05, "i": 2.05, "g": 2.45, "o": 2.05}

# The cell-state path c: forget (x), then add (+), straight through.
forget = circle(ax, (gates["f"], c_y), "×", radius=0.38, face="white")
add = circle(ax, (9.0, c_y), "+", radius=0.38, face="white")
path(ax, [(0.5, c_y), (gates["f"] - 0.38, c_y)], C_PATH, width=2.6)
path(ax, [(gates["f"] + 0.38, c_y), (9.0 - 0.38, c_y)], C_PATH, width=2.6)
path(ax, [(9.0 + 0.38, c_y), (19.5, c_y)], C_PATH, width=2.6)
label(ax, (0.6, c_y + 0.45), r"$c_{t-1}$", C_PATH, size=12, ha="left")
label(ax, (19.4, c_y + 0.45), r"$c_t$", C_PATH, size=12, ha="right")
label(ax, (7.0, c_y + 0.42), r"$f \odot c_{t-1}$", C_PATH, size=10)

# The input: h_{t-1} and x_t meet and feed all four gates.
path(ax, [(0.5, bus_y), (gates["o"], bus_y)], H_PATH, width=2.0, head=False)
path(ax, [(3.6, 0.15), (3.6, bus_y - 0.08)], H_PATH, width=2.0)
ax.plot([3.6], [bus_y], "o", color=H_PATH, markersize=5, zorder=3)
label(ax, (0.6, bus_y + 0.42), r"$h_{t-1}$", H_PATH, size=12, ha="left")
label(ax, (3.95, 0.35), r"$x_t$", H_PATH, size=12, ha="left")
label(ax, (8.4, 1.62), r"$x_t W + h_{t-1} U + b$: four blocks $[a^i, a^f, a^c, a^o]$",
      H_PATH, size=10)

titles = {"f": (r"$f = \sigma(a^f)$", "forget"), "i": (r"$i = \sigma(a^i)$", "input"),
          "g": (r"$g = \tanh(a^c)$", "candidate"), "o": (r"$o = \sigma(a^o)$", "output")}
boxes = {}
for name, x in gates.items():
    boxes[name] = box(ax, (x, gate_y), "", width=widths[name], height=1.1, face=GATE)
    formula, role = titles[name]
    label(ax, (x, gate_y + 0.2), formula, size=10.5)
    label(ax, (x, gate_y - 0.3), role, GATE_INK, size=9)
    path(ax, [(x, bus_y), (x, gate_y - 0.55)], H_PATH, width=1.6)

# forget gate -> the first (x) on the c path
path(ax, [(gates["f"], gate_y + 0.55), (gates["f"], c_y - 0.38)], GATE_INK, width=1.6)
# input gate and candidate -> (x) -> (+)
write = circle(ax, (9.0, 6.0), "×", radius=0.38, face="white")
path(ax, [(gates["i"], gate_y + 0.55), (gates["i"], 6.0), (9.0 - 0.38, 6.0)], GATE_INK,
     width=1.6)
path(ax, [(gates["g"], gate_y + 0.55), (gates["g"], 6.0), (9.0 + 0.38, 6.0)], GATE_INK,
     width=1.6)
path(ax, [(9.0, 6.0 + 0.38), (9.0, c_y - 0.38)], GATE_INK, width=1.6)
label(ax, (9.5, 6.95), r"$i \odot g$", GATE_INK, size=10, ha="left")

# The output path: tanh(c_t), times the output gate, is h_t.
out_x = 15.4
squash = box(ax, (out_x, 6.1), r"$\tanh(c_t)$", width=1.7, height=0.75, face="white",
             size=10)
show = circle(ax, (out_x, gate_y), "×", radius=0.38, face="white")
path(ax, [(out_x, c_y), (out_x, 6.1 + 0.38)], C_PATH, width=1.6)
ax.plot([out_x], [c_y], "o", color=C_PATH, markersize=5, zorder=3)
path(ax, [(out_x, 6.1 - 0.38), (out_x, gate_y + 0.38)], C_PATH, width=1.6)
path(ax, [(gates["o"] + widths["o"] / 2, gate_y), (out_x - 0.38, gate_y)], GATE_INK,
     width=1.6)
path(ax, [(out_x, gate_y - 0.38), (out_x, 3.0), (17.2, 3.0), (17.2, bus_y),
          (19.5, bus_y)], H_PATH, width=2.0)
label(ax, (19.4, bus_y + 0.42), r"$h_t$", H_PATH, size=12, ha="right")
label(ax, (18.4, bus_y - 0.45), "output, and the state\nof the next step", H_PATH,
      size=9, linespacing=1.2)
label(ax, (out_x + 0.5, 4.55), r"$o \odot \tanh(c_t)$", H_PATH, size=10, ha="left")

label(ax, (10.0, 9.75), r"$c_t = f \odot c_{t-1} + i \odot g, \qquad "
      r"h_t = o \odot \tanh(c_t)$", size=12)
