"""Write the API reference pages in ``docs/api/`` from the package itself.

The book build runs it first (``docs/conf.py`` calls :func:`write_pages`), so
the pages always describe the code being built and are not committed: a page
can never go stale. To look at the pages without building the book::

    python docs/tools/make_api_pages.py            # write docs/api/*.rst

Each page covers one module; each public object gets a section with

* its docstring (``autoclass`` / ``autofunction``), which holds the formula;
* for formula objects (layers, activations, losses, optimizers, metrics,
  initializers, regularizers, constraints), the methods that compute it,
  included from the source with ``literalinclude :pyobject:`` so the page can
  never drift from the code;
* a ``minigallery`` of the lessons that use it (empty ones render nothing).

Names that are only aliases of an object documented on the same page
(``keras.losses.mse`` for ``mean_squared_error``, ``keras.regularizers.l2``
for ``L2``) are mentioned in that object's section ("Also available as")
instead of being documented twice, and a Keras function that wraps a class
(``keras.activations.relu`` for ``ReLU``) shares the class's section.
"""
import importlib
import inspect
import os
import pathlib
import re
import sys
import textwrap

from sphinx.pycode import ModuleAnalyzer

DOCS = pathlib.Path(__file__).resolve().parents[1]
ROOT = DOCS.parent
API = DOCS / "api"

# Methods that never carry the formula, so are not shown as source.
NOT_FORMULA = {"__init__", "__repr__", "__str__", "get_config", "from_config",
               "build", "compute_output_shape", "get_build_config", "__getstate__",
               "__setstate__", "__eq__", "__hash__", "__len__", "variables",
               "build_config", "summary"}

# Where an inherited formula lives, by kind of object (first group found wins).
INHERITED_FORMULA = [("forward", "backward"), ("per_sample",), ("update_step",),
                     ("update_state", "result"), ("__call__", "gradient")]

# Registry plumbing no lesson calls directly: no "lessons using" gallery.
NO_GALLERY = {"get", "serialize", "deserialize", "Trainer"}


class Page:
    """One module's API page.

    Parameters
    ----------
    slug : str
        File name in ``docs/api`` (without ``.rst``).
    title : str
        Page title.
    module : str
        Dotted module whose public objects the page documents.
    keras_name : str
        How a Keras user spells the module (``keras.layers``).
    intro : str
        A short paragraph under the module's own docstring.
    formula : str or None
        ``"layer"`` shows ``forward``/``backward``; ``"methods"`` shows every
        method a class defines itself (its update rule, its penalty, ...);
        ``None`` shows no source (the docstring and members say it all).
    members : bool
        Document the public methods of classes (models, callbacks, ...).
    members_for : iterable of str
        Classes whose methods are documented even when ``members`` is False
        (the ``Layer`` base class: ``add_weight``, ``get_weights``, ...).
    extra_modules : iterable of str
        Modules whose docstring closes the page (``kerastutor.models.training``).
    names : list of str or None
        The objects to document, in order; by default the module's ``__all__``
        in its order, or else its public names in source order.
    skip : iterable of str
        Public names not to give a section (``schedules``, a namespace class).
    source : bool
        Show each function's code under its docstring (the ops: forward and
        derivative side by side).
    gallery : bool
        Add a "lessons using" gallery to each section.
    """

    def __init__(self, slug, title, module, keras_name, intro, formula=None,
                 members=False, names=None, skip=(), members_for=(), extra_modules=(),
                 source=False, gallery=True):
        self.source, self.gallery = source, gallery
        self.slug, self.title, self.module = slug, title, module
        self.keras_name, self.intro = keras_name, intro
        self.formula, self.members = formula, members
        self.members_for = set(members_for)
        self.extra_modules = tuple(extra_modules)
        self.names, self.skip = names, set(skip)


PAGES = [
    Page("layers", "Layers", "kerastutor.layers", "keras.layers",
         "Every layer is a class with ``build`` (create the weights), ``forward`` "
         "(compute the output and a cache) and ``backward`` (turn the gradient of the "
         "output into the gradient of the input, adding weight gradients into "
         "``weight.grad``). These methods are shown under each layer's formula.",
         formula="layer", members_for=("Layer",)),
    Page("activations", "Activations", "kerastutor.activations", "keras.activations",
         "An activation is an elementwise function :math:`\\phi` with its derivative "
         ":math:`\\phi'`. Layers take one by name (``activation=\"relu\"``) or as a "
         "function.",
         formula="methods"),
    Page("losses", "Losses", "kerastutor.losses", "keras.losses",
         "A loss returns one number for a batch -- by default the mean of the "
         "per-sample losses (Keras's ``\"sum_over_batch_size\"`` reduction) -- and the "
         "gradient of that number with respect to the predictions, which starts the "
         "backward pass.",
         formula="methods", members_for=("Loss",)),
    Page("optimizers", "Optimizers", "kerastutor.optimizers", "keras.optimizers",
         "An optimizer reads every trainable weight's ``grad`` and moves its ``value`` "
         "by its update rule, keeping per-weight state (moments, accumulators) in "
         "*slots*. Each rule is written as in Keras 3. Learning-rate schedules are also "
         "reachable as ``keras.optimizers.schedules`` (e.g. "
         "``keras.optimizers.schedules.ExponentialDecay``), as in Keras.",
         formula="methods", skip=("schedules",), members_for=("Optimizer",)),
    Page("ops", "Ops and the tape", "kerastutor.ops", "keras.ops",
         "The chapters below hold every ``keras.ops`` function. This page shows the tape "
         "they record on (see :ref:`autodiff`): a custom layer's ``call`` or a "
         "``Lambda`` runs on it, and ``backward`` walks it in reverse.",
         names=["Tape", "Traced", "GradientTape", "unbroadcast", "take_index",
                "RawNumpyError", "TapeArithmetic", "VariableBase", "is_traced",
                "current_training", "gradient_tape_records"], members=True),
] + [
    Page(f"ops_{chapter}", title, f"kerastutor.ops.{chapter}", keras_name, intro,
         source=True, gallery=False,
         # numpy's own page shows only the two ops Keras files there that live elsewhere
         names=("slogdet", "vectorize") if chapter == "numpy" else None)
    for chapter, title, keras_name, intro in [
        ("numpy", "Ops: the numpy namespace", "keras.ops.numpy",
         "Keras's ``keras.ops.numpy`` gathers NumPy's functions. kerastutor writes them in "
         "the five chapters that follow, where each is documented; the two below live in "
         "other chapters' files."),
        ("elementwise", "Ops: elementwise", "keras.ops",
         "One formula per entry; the derivative is the upstream gradient times f'(x)."),
        ("reductions", "Ops: reductions, statistics, sorting", "keras.ops",
         "Many entries to one; the gradient goes back to the entries that made the result."),
        ("shapes", "Ops: shapes and indexing", "keras.ops",
         "The same numbers moved; the gradient is moved back."),
        ("creation", "Ops: creating arrays", "keras.ops",
         "Constants, ranges and windows: nothing to differentiate, with a few exceptions."),
        ("products", "Ops: products and contractions", "keras.ops",
         "Sums of products; each operand's gradient is a contraction with the others."),
        ("math", "Ops: math", "keras.ops",
         "Special functions, segment reductions, top-k, FFTs and signals."),
        ("linalg", "Ops: linear algebra", "keras.ops.linalg",
         "Matrix functions and their matrix-calculus derivatives."),
        ("nn", "Ops: neural-network functions", "keras.ops.nn",
         "Activations, convolution, pooling, normalization, attention and losses."),
        ("image", "Ops: images", "keras.ops.image",
         "Resizing, colour, patches and transforms (only under ``keras.ops.image``)."),
        ("core", "Ops: core, control flow and custom gradients", "keras.ops",
         "Dtypes, control flow that records the path taken, and gradient control."),
        ("einops", "Ops: rearrange", "keras.ops",
         "einops-style patterns, built from reshape and transpose."),
    ]
] + [
    Page("random", "Random", "kerastutor.random", "keras.random",
         "Random tensors drawn exactly as Keras's NumPy backend draws them: an int seed "
         "is stateless, a ``SeedGenerator`` moves on with every draw, ``seed=None`` uses "
         "the global generator that ``keras.utils.set_random_seed`` resets. See "
         ":ref:`keras-random`.", members=True),
    Page("metrics", "Metrics", "kerastutor.metrics", "keras.metrics",
         "A metric is stateful: ``update_state`` adds a batch, ``result`` gives the "
         "value over everything seen since the last ``reset_state``. Metrics only "
         "report; no gradient flows through them.",
         formula="methods"),
    Page("initializers", "Initializers", "kerastutor.initializers", "keras.initializers",
         "An initializer is called with a shape and returns the starting values of a "
         "weight. The random ones draw from kerastutor's seeded generator.",
         formula="methods"),
    Page("regularizers", "Regularizers", "kerastutor.regularizers", "keras.regularizers",
         "A regularizer adds a penalty on a weight to the loss; the fit loop also adds "
         "the penalty's gradient to the weight's ``grad``.",
         formula="methods"),
    Page("constraints", "Constraints", "kerastutor.constraints", "keras.constraints",
         "A constraint is applied to a weight after every optimizer step and projects "
         "it back onto an allowed set.",
         formula="methods"),
    Page("callbacks", "Callbacks", "kerastutor.callbacks", "keras.callbacks",
         "Callbacks are called by the fit loop at fixed moments (see "
         ":ref:`training-loop`).", members=True),
    Page("models", "Models", "kerastutor.models", "keras.models",
         "A model is a graph of layers. ``forward`` runs the layers in topological "
         "order and keeps each one's cache on a *tape*; ``backward`` walks the tape in "
         "reverse, summing the gradients of tensors that feed several layers. Both are "
         "shown below. ``Model`` is ``Model(Trainer, Layer)``: ``compile``/``fit``/"
         "``evaluate``/``predict`` come from the ``Trainer`` in "
         "``kerastutor/models/trainer.py`` (see :ref:`training-loop`).",
         formula="layer", members=True, names=["Model", "Trainer", "CustomSteps",
                                                "Sequential", "load_model", "clone_model"],
         extra_modules=("kerastutor.models.training", "kerastutor.models.custom_steps",
                        "kerastutor.models.graph_step")),
    Page("saving", "Saving and loading", "kerastutor.saving", "keras.saving",
         "Whole models in Keras 3's ``.keras`` archive, weights in its ``.weights.h5`` "
         "layout; every write atomic, every read checked. See :ref:`saving`.",
         members=True, extra_modules=("kerastutor.saving.keras_archive",
                                      "kerastutor.saving.weights_h5",
                                      "kerastutor.saving.atomic")),
    Page("utils", "Utilities", "kerastutor.utils", "keras.utils",
         "Helpers a tutorial needs around the model. The registry functions "
         "(``register_keras_serializable``, ``custom_object_scope``, "
         "``serialize_keras_object``, ...) are here too, as in Keras; they are documented "
         "on the :doc:`saving` page.", members=True,
         skip=("CustomObjectScope", "custom_object_scope", "register_keras_serializable",
               "get_custom_objects", "get_registered_name", "get_registered_object",
               "serialize_keras_object", "deserialize_keras_object")),
    Page("datasets", "Datasets", "kerastutor.datasets", "keras.datasets",
         "Loaders for the classic data sets, cached in ``~/.keras/datasets`` like "
         "Keras's own.", members=True),
    Page("applications", "Applications", "kerastutor.applications", "keras.applications",
         "Keras's ImageNet models as functions returning functional models, with Keras's "
         "layer names and order, so Keras's weight files load into them. Each family module "
         "below opens with the idea of its architecture. See :ref:`outgrow` for taking a "
         "model to real Keras.", gallery=False,
         extra_modules=("kerastutor.applications.imagenet_utils",
                        "kerastutor.applications.vgg16", "kerastutor.applications.resnet",
                        "kerastutor.applications.resnet_v2",
                        "kerastutor.applications.inception_v3",
                        "kerastutor.applications.inception_resnet_v2",
                        "kerastutor.applications.xception", "kerastutor.applications.mobilenet",
                        "kerastutor.applications.mobilenet_v2",
                        "kerastutor.applications.mobilenet_v3",
                        "kerastutor.applications.densenet", "kerastutor.applications.nasnet",
                        "kerastutor.applications.efficientnet",
                        "kerastutor.applications.efficientnet_v2",
                        "kerastutor.applications.convnext",
                        "kerastutor.applications.convnext_layers")),
    Page("wrappers", "scikit-learn wrappers", "kerastutor.wrappers", "keras.wrappers",
         "A Keras model as a scikit-learn estimator, for ``Pipeline``, ``GridSearchCV`` and "
         "``cross_val_score``.", members=True),
    Page("gradcheck", "Gradient checking", "kerastutor.gradcheck", "keras.gradcheck",
         "Numerical checks of every hand-written backward pass; see "
         ":ref:`gradient-checking` for the method.", members=True),
    Page("trace", "Tracing and tutor hints", "kerastutor.trace", "keras.trace",
         "Record training steps (forward, loss, backward, update) layer by layer, step "
         "through one step event by event, and read the tutor's hints.", members=True,
         extra_modules=("kerastutor.trace.recorder", "kerastutor.trace.hints",
                        "kerastutor.trace.watch", "kerastutor.trace.stepping",
                        "kerastutor.trace.views")),
    Page("exercises", "Graded exercises", "kerastutor.exercises", "kerastutor.exercises",
         "The machinery behind the :ref:`exercises <exercises>`: the catalogue, the starter "
         "files, and the grader that compares a learner's function with the library's own "
         "objects and with numerical gradients, and names the mistake.", members=True,
         extra_modules=("kerastutor.exercises.grading",)),
    Page("tree", "Nested structures", "kerastutor.tree", "keras.tree",
         "Flatten, repack and map nested lists, tuples and dicts, the way Keras handles "
         "a model's several inputs, an RNN's states or a dataset's ``(x, y)`` pairs.",
         members=True),
    Page("compiled", "Compiled CPU kernels", "kerastutor.compiled", "kerastutor.compiled",
         "The loop form of a few formulas, compiled by Numba when the optional ``fast`` "
         "extra is installed; bit-identical to the NumPy code they replace.", members=True),
    Page("backend", "Backend", "kerastutor.backend", "keras.backend",
         "Process-wide settings: the float dtype, epsilon, the image data format and "
         "the random generator (the first three are also in :doc:`config`).", members=True),
    Page("config", "Configuration", "kerastutor.config", "keras.config",
         "Keras 3's switches for the whole program, and the tutor's hints during ``fit``. "
         "``floatx``, ``epsilon`` and ``image_data_format`` (and their setters) are "
         "documented on :doc:`backend`.", members=True,
         names=["backend", "set_backend", "is_nnx_enabled", "DTypePolicy", "dtype_policy",
                "set_dtype_policy", "max_epochs", "set_max_epochs", "max_steps_per_epoch",
                "set_max_steps_per_epoch", "enable_interactive_logging",
                "disable_interactive_logging", "is_interactive_logging_enabled",
                "enable_tutor_hints", "disable_tutor_hints", "is_tutor_hints_enabled",
                "enable_traceback_filtering", "disable_traceback_filtering",
                "is_traceback_filtering_enabled", "enable_flash_attention",
                "disable_flash_attention", "is_flash_attention_enabled",
                "enable_unsafe_deserialization"]),
    Page("gpu", "GPU device arrays", "kerastutor.gpu.array", "kerastutor.gpu",
         "Not part of Keras: the arrays that let the unchanged layers train on a GPU "
         "(``keras.backend.set_device(\"cuda\")``), the runtimes they launch kernels "
         "through, and the fused optimizer steps. See :ref:`gpu` for the whole story.",
         members=True, names=["DeviceArray", "to_device", "to_host", "synchronize", "strict",
                              "storable", "use_runtime", "current_runtime"],
         extra_modules=("kerastutor.gpu.array.device", "kerastutor.gpu.array.device_array",
                        "kerastutor.gpu.array.ufuncs", "kerastutor.gpu.array.functions",
                        "kerastutor.gpu.runtime", "kerastutor.gpu.emulator",
                        "kerastutor.gpu.fused", "kerastutor.gpu.graphs",
                        "kerastutor.gpu.__main__")),
]


# ----------------------------------------------------------------- discovery
def public_objects(page):
    """``[(name, obj)]`` for the page, with aliases folded into their object."""
    module = importlib.import_module(page.module)
    listed = page.names if page.names is not None else getattr(module, "__all__", None)
    names = list(listed) if listed is not None else [n for n in dir(module)
                                                     if not n.startswith("_")]
    # An explicit list may re-export from elsewhere in kerastutor (utils.set_random_seed);
    # otherwise keep only what the module defines, not what it imports.
    home = "kerastutor" if listed else page.module
    found = []
    for name in names:
        if name in page.skip:
            continue
        obj = getattr(module, name, None)
        if inspect.ismodule(obj):
            # A loader module such as keras.datasets.mnist: document what it defines.
            if obj.__name__.startswith(page.module + "."):
                found.extend((f"{name}.{sub}", member) for sub, member
                             in public_objects_of_submodule(obj))
            continue
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue
        if not getattr(obj, "__module__", "").startswith(home):
            continue
        found.append((name, obj))
    return group_aliases(found, keep_order=bool(listed))


def public_objects_of_submodule(module):
    names = getattr(module, "__all__", None) or [n for n in vars(module)
                                                  if not n.startswith("_")]
    for name in names:
        obj = getattr(module, name, None)
        if ((inspect.isclass(obj) or inspect.isfunction(obj))
                and getattr(obj, "__module__", "") == module.__name__):
            yield name, obj


def group_aliases(found, keep_order=False):
    """One entry per object: its canonical name and the other names it has.

    Entries follow ``__all__`` when the module has one (its author's reading
    order), else the order of the source.
    """
    by_id = {}
    for name, obj in found:
        by_id.setdefault(id(obj), (obj, []))[1].append(name)
    entries = []
    for obj, names in by_id.values():
        short = obj.__name__
        canonical = next((n for n in names if n.split(".")[-1] == short), names[0])
        aliases = [n for n in names if n != canonical]
        entries.append((canonical, obj, aliases))
    if not keep_order:
        entries.sort(key=source_position)
    return entries


def source_position(entry):
    _, obj, _ = entry
    try:
        lines = inspect.getsourcelines(obj)[1]
        return (inspect.getsourcefile(obj), lines)
    except (OSError, TypeError):
        return ("~", 0)


def pair_functions(entries):
    """Attach each Keras function to the class that computes it (``relu`` -> ``ReLU``).

    Returns ``[(name, obj, aliases, functions)]``; a function whose name is a
    class's Keras name (its ``name`` attribute, or its snake_case name) is shown
    in that class's section instead of a section of its own.
    """
    classes = {}
    for name, obj, _ in entries:
        if inspect.isclass(obj):
            for key in keras_names(obj):
                classes.setdefault(key, name)
    paired = {name: [] for name, _, _ in entries}
    alone = []
    for name, obj, aliases in entries:
        owner = classes.get(name) if inspect.isfunction(obj) else None
        if owner is not None:
            paired[owner].append((name, obj, aliases))
        else:
            alone.append((name, obj, aliases))
    return [(name, obj, aliases, paired[name]) for name, obj, aliases in alone]


def keras_names(cls):
    keys = {snake_case(cls.__name__), cls.__name__.lower()}
    own_name = vars(cls).get("name")
    if isinstance(own_name, str):
        keys.add(own_name)
    return keys


def snake_case(name):
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def formula_methods(cls, kind, functions=()):
    """``[(owner, name)]`` whose source shows the formula: a class and a method
    name, or ``(None, name)`` for a module-level function.

    Layers show ``forward`` and ``backward`` (and ``backward_weights`` where
    the layer writes its own). Other classes show the methods
    they define themselves; a class that only configures another (``Accuracy``
    wraps the function ``accuracy``, ``L2`` sets up ``L1L2``) shows the Keras
    function that holds its formula, or else the methods it inherits.
    """
    if kind == "layer":
        # backward_weights: where a layer that overrides it computes dL/dW.
        wanted = ["forward", "backward"] + (["backward_weights"]
                                            if "backward_weights" in vars(cls) else [])
    else:
        # the __qualname__ test leaves out aliases (add_weight = add_variable) and
        # methods borrowed from another class,
        # which literalinclude :pyobject: cannot find.
        wanted = [name for name, value in vars(cls).items()
                  if inspect.isfunction(value) and name not in NOT_FORMULA
                  and value.__qualname__ == f"{cls.__name__}.{name}"
                  and (not name.startswith("_") or name == "__call__")]
    # A Keras function that computes the formula itself (metrics' ``accuracy``),
    # not one that just calls this class (activations' ``leaky_relu``).
    formulas = [name for name, function, _ in functions
                if f"{cls.__name__}(" not in inspect.getsource(function)]
    if not wanted and formulas:
        return [(None, name) for name in formulas]
    for group in INHERITED_FORMULA:
        if wanted:
            break
        wanted = [name for name in group if callable(getattr(cls, name, None))]
    shown = []
    for name in wanted:
        owner = next((c for c in cls.__mro__ if name in vars(c)), None)
        if owner is not None and owner.__module__.startswith("kerastutor"):
            shown.append((owner, name))
    return shown


def relative_source(obj):
    path = pathlib.Path(inspect.getsourcefile(obj)).resolve()
    return os.path.relpath(path, API).replace(os.sep, "/"), path.relative_to(ROOT)


# ----------------------------------------------------------------- writing
def heading(text, char):
    return [text, char * len(text), ""]


def object_section(page, name, obj, aliases, functions=(), documented=()):
    """The section of one object (and of the Keras functions that wrap it)."""
    target = f"{page.module}.{name}"
    title = name if not functions else f"{name} ({', '.join(f for f, _, _ in functions)})"
    lines = heading(title, "-")
    lines += autodoc_directive(page, target, obj)
    for function_name, _, _ in functions:
        lines += [f".. autofunction:: {page.module}.{function_name}", ""]
    also = list(aliases) + [a for _, _, more in functions for a in more]
    if also:
        spelled = ", ".join(f"``{page.keras_name}.{a}``" for a in also)
        lines += [f"Also available as {spelled}.", ""]
    if page.formula and inspect.isclass(obj):
        lines += formula_block(obj, page.formula, functions, documented)
    if page.source and inspect.isfunction(obj):
        lines += function_source(obj)
    if page.gallery and name not in NO_GALLERY:
        # sphinx-gallery records an object under its shortest import path, which
        # for the Keras top-level names is ``kerastutor.Sequential``.
        names = [target, f"kerastutor.{name}"]
        names += [f"{page.module}.{function}" for function, _, _ in functions]
        lines += [".. minigallery::", f"   :add-heading: Lessons using ``{name}``",
                  "   :heading-level: ^", ""] + [f"   {n}" for n in names] + [""]
    return lines


def autodoc_directive(page, target, obj):
    if not inspect.isclass(obj):
        return [f".. autofunction:: {target}", ""]
    lines = [f".. autoclass:: {target}"]
    if page.members or obj.__name__ in page.members_for:
        # The base classes a learner subclasses list every method, documented or not.
        methods = public_methods(obj, undocumented=obj.__name__ in page.members_for)
        if methods:
            wrapped = textwrap.wrap(", ".join(methods), 80)
            lines.append(f"   :members: {wrapped[0]}")
            lines += [f"      {line}" for line in wrapped[1:]]
            if obj.__name__ in page.members_for:
                lines.append("   :undoc-members:")
    return lines + [""]


def formula_block(cls, kind, functions=(), documented=()):
    methods = formula_methods(cls, kind, functions)
    if not methods:
        return []
    owners = {owner for owner, _ in methods}
    if None not in owners and cls not in owners and owners <= set(documented):
        # Inherited from a class shown on this page: point there, do not repeat it.
        names = english_list(f"``{owner.__name__}.{method}``" for owner, method in methods)
        parents = english_list(f":class:`{owner.__name__}`" for owner in sorted(
            owners, key=lambda c: c.__name__))
        sentence = (f"``{cls.__name__}`` computes with {names}, inherited from {parents} "
                    "(the code is shown in that section).")
        return textwrap.wrap(sentence, 88) + [""]
    _, shown = relative_source(cls)
    lines = [f"In code (``{shown}``):", ""]
    for owner, method in methods:
        if owner is None:                  # a module-level function
            rel, _ = relative_source(cls)
            target = caption = method
        else:
            rel, _ = relative_source(owner)
            target = caption = f"{owner.__name__}.{method}"
            if owner is not cls:
                caption += f" (inherited by {cls.__name__})"
        lines += [f".. literalinclude:: {rel}", f"   :pyobject: {target}",
                  f"   :caption: {caption}", ""]
    return lines


def function_source(function):
    """The code of a function written with ``def`` at the top of its module (else nothing:
    a function made by a factory, ``equal = _compare(np.equal)``, has no block to show)."""
    source = pathlib.Path(inspect.getsourcefile(function)).read_text()
    if not re.search(rf"^def {function.__name__}\(", source, re.M):
        return []
    rel, shown = relative_source(function)
    return [f".. literalinclude:: {rel}", f"   :pyobject: {function.__name__}",
            f"   :caption: {function.__name__} (``{shown}``)", ""]


def constants_section(module):
    """``autodata`` for the module-level constants documented with ``#:`` comments."""
    documented = ModuleAnalyzer.for_module(module).find_attr_docs()
    names = [name for scope, name in documented if scope == ""]
    if not names:
        return []
    lines = heading("Constants", "-")
    for name in names:
        lines += [f".. autodata:: {module}.{name}", ""]
    return lines


def english_list(items):
    """``a``, ``a and b``, ``a, b and c``."""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def public_methods(cls, undocumented=False):
    """Public methods and properties the class defines itself, in source order."""
    names = []
    for name, value in vars(cls).items():
        if name.startswith("_"):
            continue
        if inspect.isfunction(value) or isinstance(value, (property, classmethod,
                                                              staticmethod)):
            if undocumented or getattr(value, "__doc__", None) or isinstance(value, property):
                names.append(name)
    return names


def page_text(page):
    """The whole ``.rst`` text of one module's page."""
    entries = public_objects(page)
    if page.formula == "methods":
        entries = pair_functions(entries)
    else:
        entries = [(name, obj, aliases, []) for name, obj, aliases in entries]
    title = f"{page.title} -- ``{page.keras_name}``"
    lines = [".. This page is written by docs/tools/make_api_pages.py at every build of the",
             "   book; edit the script or the docstrings, not this file.", ""]
    lines += heading(title, "=")
    lines += [f".. automodule:: {page.module}", ""]
    lines += textwrap.wrap(page.intro, 88) + [""]
    lines += [".. contents:: On this page", "   :local:", "   :depth: 1", ""]
    documented = [obj for _, obj, _, _ in entries if inspect.isclass(obj)]
    for name, obj, aliases, functions in entries:
        lines += object_section(page, name, obj, aliases, functions, documented)
    lines += constants_section(page.module)
    for extra in page.extra_modules:
        lines += heading(f"``{extra}``", "-") + [f".. automodule:: {extra}", ""]
    return "\n".join(lines).rstrip() + "\n"


def index_text():
    lines = [".. This page is written by docs/tools/make_api_pages.py.", ""]
    lines += heading("API reference", "=")
    lines += textwrap.wrap(
        "One page per module, one section per public object. Each section shows the "
        "object's docstring -- with its formula -- and, for everything that computes, "
        "the code of that formula taken straight from the source.", 88)
    lines += ["", ".. toctree::", "   :maxdepth: 1", ""]
    lines += [f"   {page.slug}" for page in PAGES]
    return "\n".join(lines) + "\n"


def write_pages(report=print):
    """Write every page whose text changed; return the paths written.

    A page whose text is unchanged is left alone, so Sphinx (which rereads a
    source by its modification time) does not rebuild it.
    """
    sys.path.insert(0, str(ROOT))
    API.mkdir(exist_ok=True)
    texts = {API / f"{page.slug}.rst": page_text(page) for page in PAGES}
    texts[API / "index.rst"] = index_text()
    written = []
    for path, text in texts.items():
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        path.write_text(text, encoding="utf-8")
        written.append(path)
        report(f"wrote {path.relative_to(ROOT)}")
    return written


if __name__ == "__main__":
    write_pages()
