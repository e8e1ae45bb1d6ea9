"""Hooks for sphinx-gallery, named in ``conf.py`` by their import path.

Sphinx caches its configuration with pickle, and a function defined inside
``conf.py`` cannot be pickled (``-W`` would turn the warning into an error).
sphinx-gallery therefore accepts the *dotted name* of a callable instead;
this module holds those callables.
"""
import ast
import os
import pathlib


def reset_argv(gallery_conf, script_vars):
    """Command-line arguments each lesson sees when the book runs it.

    With ``KERASTUTOR_DOCS_QUICK=1`` (as the ``docs`` tox environment sets)
    every lesson gets ``--quick``: fewer epochs and smaller subsets, so the
    whole gallery runs in about a minute. Otherwise lessons run in full.

    sphinx-gallery calls this hook just before it runs a lesson, once the
    lesson's globals exist, so it is also where the lesson is made to feel at
    home: sphinx-gallery blanks ``__doc__`` and hides ``__file__``, but lessons
    are command-line scripts that use both (for ``--help`` and to find
    ``lessons/output/``), so we give them back.
    """
    _restore_script_globals(script_vars)
    if os.environ.get("KERASTUTOR_DOCS_QUICK") == "1":
        return ["--quick"]
    return []


def _restore_script_globals(script_vars):
    source = pathlib.Path(script_vars["src_file"]).resolve()
    lesson_globals = script_vars.get("example_globals")
    if lesson_globals is None:
        return
    docstring = ast.get_docstring(ast.parse(source.read_text(encoding="utf-8")), clean=False)
    lesson_globals["__doc__"] = docstring or ""
    lesson_globals["__file__"] = str(source)


def reset_kerastutor(gallery_conf, fname):
    """Forget kerastutor's automatic layer names before each lesson runs.

    All lessons run in the book's one Python process; without this, the
    second lesson's first layer would be called ``dense_2`` instead of the
    ``dense`` a learner sees when running the script alone.
    """
    from kerastutor import backend
    backend.clear_session()
