"""im2col: each window of the image becomes one row of a patch matrix P, and the
convolution becomes one matrix product P w with the flattened kernel w.

A 3 x 3 image, a 2 x 2 kernel, stride 1, valid padding: 4 windows, so P is 4 x 4.
"""
import numpy as np
from matplotlib.patches import Rectangle

from diagram import FORWARD, INK, PATCH_COLOURS, arrow, canvas, grid, label, outline

image = np.array([[1, 2, 0],
                  [0, 1, 3],
                  [2, 1, 1]])
kernel = np.array([[1, 0],
                   [-1, 2]])
windows = [(r, c) for r in range(2) for c in range(2)]           # top-left corners
patches = np.array([image[r:r + 2, c:c + 2].ravel() for r, c in windows])
w = kernel.ravel()
z = patches @ w
EDGES = ["#d35400", "#1e8449", "#1f5fa8", "#8e44ad"]               # one per window

fig, ax = canvas(19.5, 7.6, bottom=0.0)

# The image, with its four windows outlined (inset a little so they stay apart).
cell = 1.0
x0, y0 = 0.6, 1.6
grid(ax, (x0, y0), image.tolist(), cell=cell, size=12)
for k, (r, c) in enumerate(windows):
    inset = 0.05 + 0.07 * k
    corner = (x0 + c * cell + inset, y0 + (1 - r) * cell + inset)
    ax.add_patch(Rectangle(
        corner, 2 * cell - 2 * inset, 2 * cell - 2 * inset, fill=False,
        edgecolor=EDGES[k], linewidth=2.2, zorder=5))
label(ax, (x0 + 1.5 * cell, y0 + 3 * cell + 0.45), "image x (3×3)", size=11)
label(ax, (x0 + 1.5 * cell, y0 - 0.5), "4 windows of 2×2", size=10, colour="#555555")

# P: one row per window, the window's pixels read row by row.
p_cell = 0.8
px0, py0 = 6.2, 1.6
faces = [[PATCH_COLOURS[k]] * 4 for k in range(4)]
grid(ax, (px0, py0), patches.tolist(), cell=p_cell, faces=faces, size=11)
label(ax, (px0 + 2 * p_cell, py0 + 4 * p_cell + 0.45), "patches P (4×4)", size=11)
label(ax, (px0 + 2 * p_cell, py0 - 0.5), "row k = window k, flattened", size=10,
      colour="#555555")
arrow(ax, (x0 + 3 * cell + 0.25, y0 + 1.5 * cell), (px0 - 0.25, py0 + 2 * p_cell),
      colour=INK, width=1.5)
label(ax, ((x0 + 3 * cell + px0) / 2, y0 + 1.5 * cell + 0.45), "im2col", size=11,
      style="italic")
for k in range(4):                        # which window each row came from
    label(ax, (px0 - 0.3, py0 + (3.5 - k) * p_cell), f"{k + 1}", colour=EDGES[k], size=10,
          weight="bold")

# times w, the flattened kernel.
label(ax, (px0 + 4 * p_cell + 0.5, py0 + 2 * p_cell), "×", size=18)
wx0 = px0 + 4 * p_cell + 1.0
grid(ax, (wx0, py0), [[v] for v in w], cell=p_cell, size=11)
label(ax, (wx0 + p_cell / 2, py0 - 0.5), "w", size=11)
kx0, ky0 = wx0 - p_cell / 2, py0 + 4 * p_cell + 1.0
grid(ax, (kx0, ky0), kernel.tolist(), cell=p_cell, size=11, faces=[["#eeeeee"] * 2] * 2)
label(ax, (kx0 - 0.3, ky0 + p_cell), "kernel W (2×2)", size=11, ha="right")
arrow(ax, (wx0 + p_cell / 2, ky0 - 0.05), (wx0 + p_cell / 2, py0 + 4 * p_cell + 0.05),
      colour=INK, shrink=0)
label(ax, (wx0 + p_cell + 0.15, ky0 - 0.5), "flatten", size=10, style="italic",
      ha="left")

# = z, one number per window.
label(ax, (wx0 + p_cell + 0.5, py0 + 2 * p_cell), "=", size=18)
zx0 = wx0 + p_cell + 1.0
grid(ax, (zx0, py0), [[v] for v in z], cell=p_cell, size=11,
     faces=[[PATCH_COLOURS[k]] for k in range(4)])
label(ax, (zx0 + p_cell / 2, py0 - 0.5), "z = P w", size=11)

# Reshaped: the output image.
ox0, oy0 = zx0 + p_cell + 2.2, py0 + 0.8
grid(ax, (ox0, oy0), z.reshape(2, 2).tolist(), cell=cell, size=12,
     faces=[[PATCH_COLOURS[0], PATCH_COLOURS[1]], [PATCH_COLOURS[2], PATCH_COLOURS[3]]])
for k, (r, c) in enumerate(windows):
    outline(ax, (ox0 + c * cell, oy0 + (1 - r) * cell), 1, 1, cell, EDGES[k], width=2.0)
arrow(ax, (zx0 + p_cell + 0.2, py0 + 2 * p_cell), (ox0 - 0.2, oy0 + cell), colour=INK,
      width=1.5)
label(ax, ((zx0 + p_cell + ox0) / 2, py0 + 2 * p_cell + 0.45), "reshape", size=11,
      style="italic")
label(ax, (ox0 + cell, oy0 + 2 * cell + 0.45), "output (2×2)", size=11)

label(ax, (10.5, 0.35), "window 1:  1·1 + 2·0 + 0·(−1) + 1·2 = 3   — one row of P times w",
      FORWARD, size=10)
