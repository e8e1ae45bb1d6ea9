"""
Lesson 10 -- A Keras model inside a scikit-learn pipeline
=========================================================

scikit-learn's tools -- ``Pipeline``, ``GridSearchCV``, ``cross_val_score`` --
work with any object that keeps its *estimator* contract: hyper-parameters in
``__init__``, ``fit(X, y)``, ``predict(X)``. ``keras.wrappers.SKLearnClassifier``
makes a Keras model one: it builds the model from a function when ``fit`` is
called, encodes the labels one-hot, trains, and decodes the predictions.

This lesson scales the handwritten digits (scikit-learn's 8x8 set, shipped
with scikit-learn: no download), puts a small network behind the scaler, and
lets ``GridSearchCV`` choose the hidden layer's width and the learning rate by
5-fold cross-validation. ``random_state`` makes every fit repeatable -- a
kerastutor addition: Keras's own wrappers cannot repeat a fit. ``--quick``
searches a smaller grid with 3 folds.
"""
# %%
import argparse
import os

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import kerastutor as keras
from kerastutor.wrappers import SKLearnClassifier

parser = argparse.ArgumentParser(description="Lesson 10: a Keras model in a pipeline")
parser.add_argument("--quick", action="store_true", help="a smaller grid, 3 folds (for CI)")
args, _ = parser.parse_known_args()
quick = args.quick or os.environ.get("KERASTUTOR_DOCS_QUICK") == "1"
if quick:   # say so: these are not the numbers of the full lesson
    print("QUICK MODE (--quick): a 2 x 2 grid, 3-fold cross-validation;\n"
          "the numbers below are a smoke test, not the full lesson's results.")

digits = load_digits()
x_train, x_test, y_train, y_test = train_test_split(
    digits.data.astype("float32"), digits.target, test_size=0.25, stratify=digits.target,
    random_state=0)
print(f"digits: {x_train.shape[0]} training and {x_test.shape[0]} test images of "
      f"{x_train.shape[1]} pixels")


# %%
# The model function
# ------------------
# The wrapper calls it with the (scaled) training data and the one-hot
# labels, so the layer sizes come from the data; the other arguments are the
# hyper-parameters the grid search will vary, passed as ``model_kwargs``.
def build_model(X, y, units=32, learning_rate=0.01):
    model = keras.Sequential([
        keras.Input((X.shape[1],)),
        keras.layers.Dense(units, activation="relu"),
        keras.layers.Dense(y.shape[1], activation="softmax"),
    ])
    model.compile(keras.optimizers.Adam(learning_rate), "categorical_crossentropy")
    return model


pipeline = Pipeline([
    ("scale", StandardScaler()),
    ("net", SKLearnClassifier(build_model, fit_kwargs={"epochs": 10, "batch_size": 32},
                              random_state=0)),
])

# %%
# The grid search
# ---------------
# ``net__model_kwargs`` reaches the classifier inside the pipeline; every
# setting is a dict of arguments for ``build_model``.
widths = (8, 32) if quick else (8, 16, 32, 64)
rates = (0.003, 0.03) if quick else (0.001, 0.003, 0.01, 0.03)
grid = GridSearchCV(
    pipeline,
    {"net__model_kwargs": [{"units": u, "learning_rate": r} for u in widths for r in rates]},
    cv=3 if quick else 5)
grid.fit(x_train, y_train)
scores = grid.cv_results_["mean_test_score"].reshape(len(widths), len(rates))
for width, row in zip(widths, scores):
    print(f"units {width:3d}: " + "  ".join(f"lr {r:<6} {s:.3f}" for r, s in zip(rates, row)))
best = grid.best_params_["net__model_kwargs"]
print(f"best: units={best['units']}, learning_rate={best['learning_rate']} "
      f"(cross-validated accuracy {grid.best_score_:.3f})")
print(f"test accuracy of the refitted best pipeline: {grid.score(x_test, y_test):.3f}")

# %%
# The same fit twice gives the same network
# -----------------------------------------
again = Pipeline([("scale", StandardScaler()),
                  ("net", SKLearnClassifier(build_model, model_kwargs=best,
                                            fit_kwargs={"epochs": 10, "batch_size": 32},
                                            random_state=0))]).fit(x_train, y_train)
same = np.array_equal(again.predict_proba(x_test), grid.best_estimator_.predict_proba(x_test))
print(f"refit with random_state=0 gives identical probabilities: {same}")

# %%
# The scores as a picture
# -----------------------
try:
    import matplotlib.pyplot as plt
except ImportError:
    print("(matplotlib is not installed: no plot)")
else:
    fig, ax = plt.subplots(figsize=(5, 3.5))
    image = ax.imshow(scores, cmap="viridis", vmin=scores.min(), vmax=1.0)
    ax.set_xticks(range(len(rates)), [str(r) for r in rates])
    ax.set_yticks(range(len(widths)), [str(w) for w in widths])
    ax.set_xlabel("learning rate")
    ax.set_ylabel("hidden units")
    ax.set_title("cross-validated accuracy")
    for i in range(len(widths)):
        for j in range(len(rates)):
            ax.text(j, i, f"{scores[i, j]:.2f}", ha="center", va="center", color="white")
    fig.colorbar(image)
    fig.tight_layout()
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "output", "10_grid_scores.png")
    fig.savefig(path, dpi=100)
    print(f"plot saved to {os.path.relpath(path)}")
