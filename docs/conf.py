"""Sphinx configuration for the kerastutor book.

Build it as CI does (warnings are errors)::

    KERASTUTOR_DOCS_QUICK=1 sphinx-build -W --keep-going -b html docs docs/_build/html
    KERASTUTOR_DOCS_QUICK=1 sphinx-build -W --keep-going -b doctest docs docs/_build/doctest

The book has three parts: concept chapters (hand-worked maths checked by
doctest), the lessons (plain scripts in ``lessons/`` that sphinx-gallery runs
and renders with their output and plots) and the API reference, where each
page shows an object's docstring formula next to the code that computes it.
"""
import importlib.util
import os
import sys

DOCS_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT_DIR = os.path.dirname(DOCS_DIR)
# The package itself (for autodoc) and this folder (for gallery_hooks).
sys.path.insert(0, ROOT_DIR)
sys.path.insert(0, DOCS_DIR)

import kerastutor  # noqa: E402

# The API reference is written from the package at every build (docs/api/*.rst,
# not committed), so it always describes the code being built.
_spec = importlib.util.spec_from_file_location(
    "make_api_pages", os.path.join(DOCS_DIR, "tools", "make_api_pages.py"))
make_api_pages = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_api_pages)
make_api_pages.write_pages(report=lambda message: None)

# Likewise the chapter "Coming from Keras 2" includes a table written from the
# tables of kerastutor/keras2.py (docs/concepts/keras2_table.inc, not committed).
_spec = importlib.util.spec_from_file_location(
    "make_keras2_table", os.path.join(DOCS_DIR, "tools", "make_keras2_table.py"))
make_keras2_table = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_keras2_table)
make_keras2_table.write_table(report=lambda message: None)

# -- Project -----------------------------------------------------------------

project = "kerastutor"
author = "the kerastutor authors"
copyright = "2024, the kerastutor authors"
release = kerastutor.__version__
version = release

# -- General -----------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",      # MathJax 3 copied into _static: formulas render offline
    "sphinx.ext.doctest",
    "sphinx.ext.viewcode",
    "sphinx_gallery.gen_gallery",
    "matplotlib.sphinxext.plot_directive",   # figures drawn by code at build time
]

exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "auto_lessons/*.ipynb",
                    "auto_lessons/*.py", "auto_lessons/*.zip"]
templates_path = []

# -- autodoc and napoleon ----------------------------------------------------

# Docstrings are numpy style, with the formulas in ``.. math::`` blocks.
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False

autodoc_member_order = "bysource"
autodoc_typehints = "none"          # signatures carry no annotations; keep pages calm
autodoc_default_options = {"show-inheritance": True}

# -- doctest -----------------------------------------------------------------

# Every ``testcode`` block starts from the same place: four decimals, no
# scientific notation, and the same random numbers on every run.
doctest_global_setup = """
import numpy as np
import kerastutor as keras
np.set_printoptions(precision=4, suppress=True)
keras.utils.set_random_seed(0)
"""

# Only the book's own ``testcode`` blocks run here. Examples written as
# ``>>>`` inside docstrings belong to their module's namespace (they call
# ``numerical_gradient`` without importing it), so they are left to
# ``pytest --doctest-modules``, which runs them where they live.
doctest_test_doctest_blocks = ""

# -- figures drawn by code (``.. plot::``) -------------------------------------

# The chapters' figures are small matplotlib programs in docs/figures/, run at
# build time: the figure is always the one the code draws. Only the PNG is
# shown (the code is in the repository), with no "Source code" links.
plot_formats = [("png", 110)]
plot_html_show_formats = False
plot_html_show_source_link = False
plot_include_source = False
plot_rcparams = {"savefig.bbox": "tight"}

# -- sphinx-gallery: the lessons ---------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": "../lessons",
    "gallery_dirs": "auto_lessons",
    # Lessons are called 01_iris.py, 02_mnist_mlp.py, ...: run every one of them.
    "filename_pattern": r"/[0-9][0-9]_",
    "ignore_pattern": r"run_all\.py|__init__\.py",
    # `--quick` under KERASTUTOR_DOCS_QUICK=1 (see gallery_hooks.reset_argv).
    "reset_argv": "gallery_hooks.reset_argv",
    # Each lesson starts fresh, as it would from the command line: matplotlib's
    # defaults and kerastutor's automatic names (the first Dense is "dense").
    "reset_modules": ("matplotlib", "gallery_hooks.reset_kerastutor"),
    "abort_on_example_error": True,
    # "Lessons using this object" on the API pages (``.. minigallery::``).
    "doc_module": ("kerastutor",),
    "backreferences_dir": "gen_modules/backreferences",
    "download_all_examples": False,
    # No sg_execution_times.rst pages: they would land in docs/ itself, outside
    # the ignored build folders, and timings are not part of the book.
    "write_computation_times": False,
    # The lessons are numbered for a reason: list them 0, 1, 2, ... (the default
    # orders them by their number of code lines).
    "within_subsection_order": "FileNameSortKey",
    # A lesson is a script: the book shows what the script prints, not the repr of
    # a block's last expression (``history.plot()`` would add ``array([<Axes ...>])``).
    "capture_repr": (),
}

# -- HTML --------------------------------------------------------------------

html_theme = "alabaster"
html_title = "kerastutor"
html_static_path = ["_static"]
html_css_files = ["kerastutor.css"]    # code that wraps, visible previous/next links
html_theme_options = {
    "description": "Keras 3, written out as a textbook in NumPy",
    "fixed_sidebar": True,
    "show_relbars": True,              # previous/next links above and below each page
    "page_width": "1100px",
    "sidebar_width": "240px",
}
