"""A 3 x 3 window sliding over a 5 x 5 input with stride 2 (valid padding).

Four panels, one per output position. The kernel is all ones, so each output
is simply the sum of its window; the dashed square is where the window was one
step before, two pixels away: the stride.
"""
import numpy as np
from matplotlib.patches import Rectangle

from diagram import BACKWARD, FORWARD, PATCH_COLOURS, arrow, canvas, grid, label, outline

image = np.array([[4, 0, 1, 2, 0],
                  [1, 2, 0, 0, 1],
                  [0, 1, 0, 0, 1],
                  [2, 0, 1, 1, 0],
                  [3, 0, 0, 2, 3]])
kernel_size, stride = 3, 2
out_size = (image.shape[0] - kernel_size) // stride + 1            # 2
positions = [(r, c) for r in range(out_size) for c in range(out_size)]
output = np.array([[image[r * stride:r * stride + kernel_size,
                          c * stride:c * stride + kernel_size].sum()
                    for c in range(out_size)] for r in range(out_size)])

cell, o_cell = 0.62, 0.72
panel_width = 5.35
fig, ax = canvas(4 * panel_width + 0.4, 6.3)
for k, (r, c) in enumerate(positions):
    x0, y0 = 0.3 + k * panel_width, 1.3
    rows, cols = slice(r * stride, r * stride + kernel_size), \
        slice(c * stride, c * stride + kernel_size)
    faces = [[None] * 5 for _ in range(5)]
    for i in range(5)[rows]:
        for j in range(5)[cols]:
            faces[i][j] = PATCH_COLOURS[k]
    grid(ax, (x0, y0), image.tolist(), cell=cell, faces=faces, size=10.5)
    window_corner = (x0 + c * stride * cell, y0 + (5 - kernel_size - r * stride) * cell)
    outline(ax, window_corner, kernel_size, kernel_size, cell, FORWARD, width=2.4)
    if k > 0:                                     # where the window was one step before
        pr, pc = positions[k - 1]
        if pr == r:
            previous = (x0 + pc * stride * cell, y0 + (5 - kernel_size - pr * stride) * cell)
            ax.add_patch(Rectangle(
                previous, kernel_size * cell, kernel_size * cell, fill=False,
                edgecolor="#777777", linestyle="--", linewidth=1.3, zorder=4))
            y_arrow = y0 + 5 * cell + 0.25
            arrow(ax, (previous[0] + 0.3, y_arrow), (window_corner[0] + 0.3, y_arrow),
                  colour=BACKWARD, shrink=0)
            label(ax, ((previous[0] + window_corner[0]) / 2 + 0.3, y_arrow + 0.3),
                  "stride 2", BACKWARD, size=10)
        else:
            previous = (x0 + pc * stride * cell, y0 + (5 - kernel_size - pr * stride) * cell)
            ax.add_patch(Rectangle(
                (x0, previous[1]), kernel_size * cell, kernel_size * cell, fill=False,
                edgecolor="#777777", linestyle="--", linewidth=1.3, zorder=4))
            label(ax, (x0 + 2.5 * cell, y0 + 5 * cell + 0.55), "next row: 2 down",
                  BACKWARD, size=10)
            arrow(ax, (x0 - 0.17, y0 + 5 * cell - 0.3), (x0 - 0.17, y0 + 3 * cell - 0.3),
                  colour=BACKWARD, shrink=0, zorder=6)

    # The output so far: the positions computed up to this panel.
    ox0, oy0 = x0 + 5 * cell + 0.45, y0 + 1.5 * cell - o_cell / 2 + 0.35
    values = [[output[i, j] if i * out_size + j <= k else ""
               for j in range(out_size)] for i in range(out_size)]
    o_faces = [[PATCH_COLOURS[i * out_size + j] if i * out_size + j <= k else None
                for j in range(out_size)] for i in range(out_size)]
    grid(ax, (ox0, oy0), values, cell=o_cell, faces=o_faces, size=11)
    outline(ax, (ox0 + c * o_cell, oy0 + (1 - r) * o_cell), 1, 1, o_cell, FORWARD, width=2.2)
    label(ax, (ox0 + o_cell, oy0 - 0.38), "output", size=10, colour="#555555")
    label(ax, (x0 + 2.5 * cell, 0.6), f"output ({r}, {c}): sum = {output[r, c]}", size=10.5)

label(ax, (2 * panel_width, 5.95),
      "3×3 window of ones, stride 2, valid padding: a 5×5 input gives a 2×2 output",
      size=11)
