"""Drawing helpers shared by the book's figures (boxes, circles, arrows, labels).

The figures in this folder are small matplotlib programs that the book runs
at build time (``.. plot:: /figures/NAME.py``). They draw with matplotlib's
patches, arrows and text only, in one coordinate system per figure where one
unit is about one centimetre of the printed figure, so that every label keeps
its size whatever the layout.
"""
import matplotlib.pyplot as plt
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Rectangle

FORWARD = "#1f5fa8"         # values computed on the way forward
BACKWARD = "#c0392b"        # gradients sent back
INK = "#222222"
PALE = "#f3f3f3"
GATE = "#fdf1d6"            # gates, operations
DATA = "#e3effa"            # data, inputs
PATCH_COLOURS = ["#f6c6a8", "#b9e0b5", "#bcd3f0", "#e8c1e6"]

CM = 1 / 2.54               # one coordinate unit, in inches


def canvas(width, height, bottom=0.0):
    """A figure ``width`` x ``height`` units (about centimetres), axes hidden, y up.

    The visible y range starts at ``bottom``.
    """
    fig = plt.figure(figsize=(width * CM, height * CM))
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_xlim(0, width)
    ax.set_ylim(bottom, bottom + height)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig, ax


def box(ax, centre, text, width=1.6, height=0.9, face=GATE, edge=INK, size=11,
        colour=INK, rounded=True, weight="normal", linewidth=1.2):
    """A (rounded) box with centred text; returns the patch."""
    x, y = centre
    style = "round,pad=0.02,rounding_size=0.18" if rounded else "square,pad=0"
    patch = FancyBboxPatch((x - width / 2, y - height / 2), width, height, boxstyle=style,
                           facecolor=face, edgecolor=edge, linewidth=linewidth, zorder=2)
    patch.centre = centre
    ax.add_patch(patch)
    ax.text(x, y, text, ha="center", va="center", fontsize=size, color=colour,
            weight=weight, zorder=3)
    return patch


def circle(ax, centre, text, radius=0.45, face=GATE, edge=INK, size=12, colour=INK):
    """A circle with centred text (an operation node); returns the patch."""
    patch = Circle(centre, radius, facecolor=face, edgecolor=edge, linewidth=1.2, zorder=2)
    patch.centre = centre
    ax.add_patch(patch)
    ax.text(centre[0], centre[1], text, ha="center", va="center", fontsize=size,
            color=colour, zorder=3)
    return patch


def join(ax, a, b, **kwargs):
    """An arrow from patch ``a`` to patch ``b`` (made by :func:`box` or :func:`circle`)."""
    return arrow(ax, a.centre, b.centre, patch_a=a, patch_b=b, **kwargs)


def arrow(ax, start, end, colour=INK, width=1.3, patch_a=None, patch_b=None,
          style="-|>", connection="arc3", shrink=2, zorder=1, dashed=False):
    """An arrow from ``start`` to ``end``, clipped at the patches it joins."""
    arrow_patch = FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=12,
                                  color=colour, linewidth=width, patchA=patch_a,
                                  patchB=patch_b, shrinkA=shrink, shrinkB=shrink,
                                  connectionstyle=connection, zorder=zorder,
                                  linestyle="--" if dashed else "-")
    ax.add_patch(arrow_patch)
    return arrow_patch


def path(ax, points, colour=INK, width=1.3, head=True, zorder=1):
    """A polyline through ``points``, with an arrow head on its last segment."""
    xs, ys = zip(*points)
    if len(points) > 2 or not head:
        end = -1 if head else len(points)
        ax.plot(xs[:end] if head else xs, ys[:end] if head else ys, color=colour,
                linewidth=width, solid_capstyle="round", zorder=zorder)
    if head:
        arrow(ax, points[-2], points[-1], colour=colour, width=width, shrink=0,
              zorder=zorder)


def label(ax, xy, text, colour=INK, size=10, ha="center", va="center", **kwargs):
    """Plain text at ``xy``."""
    return ax.text(xy[0], xy[1], text, color=colour, fontsize=size, ha=ha, va=va,
                   zorder=4, **kwargs)


def grid(ax, corner, values, cell=0.7, faces=None, size=10, edge=INK, colour=INK):
    """A table of numbers, row 0 at the top; ``corner`` is its lower-left corner.

    ``faces[r][c]`` colours a cell (``None``: white). Returns the cell size so
    callers can place things next to it.
    """
    rows, cols = len(values), len(values[0])
    x0, y0 = corner
    for r in range(rows):
        for c in range(cols):
            face = faces[r][c] if faces is not None and faces[r][c] else "white"
            x, y = x0 + c * cell, y0 + (rows - 1 - r) * cell
            ax.add_patch(Rectangle((x, y), cell, cell, facecolor=face, edgecolor=edge,
                                   linewidth=0.8, zorder=2))
            text = values[r][c]
            if text != "":
                ax.text(x + cell / 2, y + cell / 2, _number(text), ha="center",
                        va="center", fontsize=size, color=colour, zorder=3)
    return cell


def outline(ax, corner, cols, rows, cell, colour, width=2.6):
    """A thick frame around ``cols`` x ``rows`` cells of a grid (a window, a patch)."""
    x, y = corner
    ax.add_patch(Rectangle((x, y), cols * cell, rows * cell, fill=False, edgecolor=colour,
                           linewidth=width, zorder=5))


def _number(value):
    """1.0 -> '1', 0.5 -> '0.5', text unchanged."""
    if isinstance(value, str):
        return value
    return f"{value:g}".replace("-", "\u2212")
