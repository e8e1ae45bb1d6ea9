"""Write ``docs/concepts/keras2_table.inc``: every Keras 2 name kerastutor answers.

The book build runs it (``docs/conf.py`` calls :func:`write_table`), reading
the tables of :mod:`kerastutor.keras2` -- the same tables the error messages
are made from -- so the chapter "Coming from Keras 2" can never list a fix
the library does not give. The ``.inc`` file is not committed. By hand::

    python docs/tools/make_keras2_table.py
"""
import pathlib
import re
import sys

DOCS = pathlib.Path(__file__).resolve().parents[1]
TABLE = DOCS / "concepts" / "keras2_table.inc"
sys.path.insert(0, str(DOCS.parent))

from kerastutor import keras2  # noqa: E402


def literal(text):
    """The messages quote code Markdown-style (`x`); reST wants ``x``."""
    return re.sub(r"`([^`]+)`", r"``\1``", text)


def keras3_way(fix):
    """A renamed argument is an identifier (shown as ``new=...``); anything else a sentence."""
    if fix.isidentifier():
        return f"``{fix}=...``"
    return literal(fix[0].upper() + fix[1:])


def rows():
    """``{section: [(where, Keras 2 spelling, Keras 3 way), ...]}``, in the tables' order."""
    arguments = [("layers", name, fix) for name, fix in keras2.LAYER_ARGUMENTS.items()]
    arguments += [(f"``{layer}``", name, fix)
                  for layer, table in keras2.LAYER_ARGUMENTS_OF.items()
                  for name, fix in table.items()]
    arguments += [("optimizers", name, fix) for name, fix in keras2.OPTIMIZER_ARGUMENTS.items()]
    arguments += [("``fit``, ``evaluate``, ``predict``", name, fix)
                  for name, fix in keras2.TRAINING_ARGUMENTS.items()]
    attributes = [("a model", "model.", name, fix)
                  for name, fix in keras2.MODEL_ATTRIBUTES.items()]
    attributes += [("an optimizer", "optimizer.", name, fix)
                   for name, fix in keras2.OPTIMIZER_ATTRIBUTES.items()]
    names = []
    for module, table in keras2.MODULE_ATTRIBUTES.items():
        # The backend functions that moved to keras.ops as they were share one row.
        same = [name for name, fix in table.items() if fix == f"use `keras.ops.{name}`"]
        for name, fix in table.items():
            if name in same:
                continue
            # A Keras 2 module fails the same way when imported: say so on its row.
            also = " (also ``import``)" if f"{module}.{name}" in keras2.MODULES else ""
            names.append((f"``{keras2.keras_name(module)}``", f"``{name}``{also}",
                          keras3_way(fix)))
        if same:
            names.append((f"``{keras2.keras_name(module)}``",
                          ", ".join(f"``{name}``" for name in same),
                          "The function of the same name in ``keras.ops`` ("
                          + ", ".join(f"``keras.ops.{name}``" for name in same[:2]) + ", ...)"))
    return {
        "Keyword arguments": [(where, f"``{name}=``", keras3_way(fix))
                              for where, name, fix in arguments],
        "Methods and attributes": [(where, f"``{owner}{name}``", keras3_way(fix))
                                   for where, owner, name, fix in attributes],
        "Names in modules, and import paths": names,
    }


#: Each section's column widths (percent): the longest unbroken name of a column fits.
WIDTHS = {"Keyword arguments": "16 27 57", "Methods and attributes": "14 36 50",
          "Names in modules, and import paths": "32 28 40"}


def table_text():
    """The reST: one three-column list-table per section."""
    lines = [".. This file is written by docs/tools/make_keras2_table.py at each book build.", ""]
    for title, section in rows().items():
        lines += [title, "~" * len(title), "", ".. list-table::", "   :header-rows: 1",
                  "   :class: keras2-table", f"   :widths: {WIDTHS[title]}", "",
                  "   * - where", "     - Keras 2",
                  "     - Keras 3 (what kerastutor's error says)"]
        for where, old, new in section:
            lines += [f"   * - {where}", f"     - {old}", f"     - {new}"]
        lines.append("")
    return "\n".join(lines)


def write_table(report=print):
    """Write the table if its text changed (Sphinx rebuilds a source by its time)."""
    text = table_text()
    if not TABLE.exists() or TABLE.read_text(encoding="utf-8") != text:
        TABLE.write_text(text, encoding="utf-8")
        report(f"wrote {TABLE.relative_to(DOCS.parent)}")


if __name__ == "__main__":
    write_table()
