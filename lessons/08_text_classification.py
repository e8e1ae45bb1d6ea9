"""
Lesson 8 -- Text classification from scratch
============================================

Keras's tutorial *Text classification from scratch*: movie reviews in text
files, one folder per label, read with
``keras.utils.text_dataset_from_directory``; a ``TextVectorization`` layer
that learns a vocabulary and turns each review into a row of word numbers;
an ``Embedding`` that turns each word number into a learned vector; and a
sigmoid unit that says *positive* or *negative*. Two ways of reading the
vectors are compared:

* **average pooling** -- the mean of the word vectors: a bag of words, blind
  to the order;
* an **LSTM** -- reads the words in order (slower, see lesson 5).

The real data is the IMDB review set in its folder form (``aclImdb/``, what
the tutorial downloads and unpacks). The lesson uses it when you pass the
folder (``--data PATH/aclImdb``) or when it is unpacked in
``~/.keras/datasets/aclImdb``; then it trains on a random part of it, which is
enough to learn and keeps NumPy's time reasonable. Otherwise it says so and
writes an **offline stand-in**: short made-up reviews whose label is decided
by their opinion words (``great``, ``dull``, ``not bad``, ...), in the same
folder layout, under ``lessons/output/08_reviews/``. ``--quick`` uses fewer
reviews and epochs.
"""
# %%
import argparse
import os
import re
import shutil
import string

import numpy as np

import kerastutor as keras
from kerastutor import layers

parser = argparse.ArgumentParser(description="Lesson 8: text classification")
parser.add_argument("--quick", action="store_true", help="fewer reviews and epochs (for CI)")
parser.add_argument("--data", help="the aclImdb folder (with train/ and test/ inside)")
parser.add_argument("--epochs", type=int, default=20)
args, _ = parser.parse_known_args()
quick = args.quick or os.environ.get("KERASTUTOR_DOCS_QUICK") == "1"
if quick:   # say so: these are not the numbers of the full lesson
    print("QUICK MODE (--quick): fewer reviews, 8 epochs;\n"
          "the numbers below are a smoke test, not the full lesson's results.")
keras.utils.set_random_seed(8)
here = os.path.dirname(os.path.abspath(__file__))
output = os.path.join(here, "output")

# %%
# 1. The reviews, as text files
# -----------------------------
# The layout ``text_dataset_from_directory`` reads: ``train/neg/*.txt``,
# ``train/pos/*.txt``, and the same under ``test/``. The stand-in reviews are
# written in that layout too, so the rest of the lesson is the same for both.

POSITIVE = ["great", "wonderful", "moving", "funny", "brilliant", "beautiful"]
NEGATIVE = ["dull", "awful", "boring", "clumsy", "predictable", "weak"]
NEGATED = {"not bad": +1, "not good": -1, "not great": -1, "not boring": +1}
SUBJECTS = ["the acting", "the plot", "the story", "the music", "the ending", "the cast",
            "the dialogue", "the camera work"]
FILLER = ["I saw it on a rainy sunday.", "My sister chose it.", "It runs two hours.",
          "The cinema was half empty.", "It is based on a novel.", "<br /><br />"]


def made_up_review(rng):
    """Three opinions, each +1 or -1; the review is positive if their sum is."""
    sentences, score = [], 0
    for _ in range(3):
        kind = rng.random()
        if kind < 0.25:                         # two words that mean the opposite of one
            phrase, sign = list(NEGATED.items())[rng.integers(len(NEGATED))]
        elif kind < 0.625:
            phrase, sign = rng.choice(POSITIVE), +1
        else:
            phrase, sign = rng.choice(NEGATIVE), -1
        sentences.append(f"{rng.choice(SUBJECTS).capitalize()} was {phrase}.")
        sentences.append(str(rng.choice(FILLER)))
        score += sign
    rng.shuffle(sentences)
    return " ".join(sentences), int(score > 0)


def write_standin_folder(folder, n_train, n_test, seed=0):
    rng = np.random.default_rng(seed)
    shutil.rmtree(folder, ignore_errors=True)
    for part, count in (("train", n_train), ("test", n_test)):
        for label in ("neg", "pos"):
            os.makedirs(os.path.join(folder, part, label))
        for i in range(count):
            text, positive = made_up_review(rng)
            label = "pos" if positive else "neg"
            with open(os.path.join(folder, part, label, f"{i:05d}.txt"), "w") as f:
                f.write(text)


cached = os.path.join(os.path.expanduser("~"), ".keras", "datasets", "aclImdb")
data_dir = args.data or (cached if os.path.isdir(cached) else None)
if data_dir:
    print(f"data: the IMDB reviews in {data_dir}")
    limit = 1000 if quick else 10000          # reviews per split, drawn at random
else:
    print("data: IMDB's aclImdb folder is not here (pass --data PATH or unpack it into "
          "~/.keras/datasets), so this lesson writes an OFFLINE STAND-IN: made-up "
          "reviews, labelled by their opinion words.")
    data_dir = os.path.join(output, "08_reviews")
    write_standin_folder(data_dir, n_train=500 if quick else 3000, n_test=200 if quick else 1000)
    limit = None

# %%
# 2. Datasets of raw strings
# --------------------------
# ``class_names=["neg", "pos"]`` picks the two label folders (aclImdb's
# ``train/`` also holds an unlabelled ``unsup/`` folder, which the tutorial
# deletes). The validation reviews are the last 20 % of the shuffled file list.
batch_size = 32
raw_train_ds, raw_val_ds = keras.utils.text_dataset_from_directory(
    os.path.join(data_dir, "train"), class_names=["neg", "pos"], batch_size=batch_size,
    validation_split=0.2, subset="both", seed=1337)
raw_test_ds = keras.utils.text_dataset_from_directory(
    os.path.join(data_dir, "test"), class_names=["neg", "pos"], batch_size=batch_size,
    shuffle=True, seed=1337)


def as_arrays(dataset, limit=None):
    """All the (texts, labels) of a dataset -- or its first ``limit`` -- as two arrays."""
    if limit is not None and dataset.num_samples > limit:
        dataset = dataset.subset(np.arange(limit))   # the file list is already shuffled
    texts, labels = zip(*dataset)
    return np.concatenate(texts), np.concatenate(labels).astype("float32")


texts_train, y_train = as_arrays(raw_train_ds, limit)
texts_val, y_val = as_arrays(raw_val_ds, limit and limit // 4)
texts_test, y_test = as_arrays(raw_test_ds, limit)
print(f"{len(texts_train)} training, {len(texts_val)} validation and {len(texts_test)} test "
      f"reviews; {100 * y_train.mean():.0f}% of the training ones are positive")
for text, label in zip(texts_train[:3], y_train[:3]):
    print(f"  {'pos' if label else 'neg'}: {text[:110]}")

# %%
# 3. TextVectorization
# --------------------
# The tutorial's ``custom_standardization``: lower-case, turn the ``<br />``
# line breaks of the reviews into spaces, strip the punctuation. Then
# ``adapt`` counts the words of the training reviews and keeps the
# ``max_features`` most frequent ones: 0 is the padding, 1 stands for any
# word outside the vocabulary. Every review becomes ``sequence_length``
# numbers (cut or padded with zeros at the end).


def custom_standardization(input_data):
    lowercase = np.char.lower(input_data)
    stripped_html = np.char.replace(lowercase, "<br />", " ")
    punctuation = re.compile(f"[{re.escape(string.punctuation)}]")
    return np.vectorize(lambda text: punctuation.sub("", text), otypes=[str])(stripped_html)


max_features = 10000 if limit else 1000
sequence_length = (100 if quick else 200) if limit else 40
vectorize_layer = layers.TextVectorization(
    standardize=custom_standardization, max_tokens=max_features,
    output_mode="int", output_sequence_length=sequence_length)
vectorize_layer.adapt(texts_train)
vocabulary = vectorize_layer.get_vocabulary()
print(f"vocabulary: {len(vocabulary)} entries, starting {vocabulary[:8]}")

x_train = vectorize_layer(texts_train[:, None])
x_val = vectorize_layer(texts_val[:, None])
x_test = vectorize_layer(texts_test[:, None])
print(f"x_train {x_train.shape} {x_train.dtype}; the first review starts "
      f"{x_train[0, :8]} = {[vocabulary[i] for i in x_train[0, :8]]}")

# %%
# 4. Two models
# -------------
# Both start with an ``Embedding``: word number ``i`` -> row ``i`` of a
# ``(max_features, 16)`` table of learned numbers. Average pooling then takes
# the mean over the words; the LSTM reads them one after the other.
embedding_dim = 16


def text_model(reader):
    model = keras.Sequential([
        keras.Input(shape=(sequence_length,), dtype="int64"),
        layers.Embedding(max_features, embedding_dim),
        reader,
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(1e-2 if not limit else 3e-3),
                  loss="binary_crossentropy", metrics=["accuracy"])
    return model


models = {"average pooling": text_model(layers.GlobalAveragePooling1D()),
          "LSTM": text_model(layers.LSTM(16))}
models["average pooling"].summary()

# %%
# 5. Training and testing
# -----------------------
epochs = 8 if quick else args.epochs
histories = {}
for name, model in models.items():
    print(f"--- {name}")
    histories[name] = model.fit(x_train, y_train, validation_data=(x_val, y_val),
                                epochs=epochs, batch_size=batch_size, verbose=2)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"{name}: test accuracy {accuracy:.3f}")

try:
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib is not installed: no learning-curve plot (pip install matplotlib)")
else:
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for axis, metric in zip(axes, ("loss", "accuracy")):
        for (name, history), colour in zip(histories.items(), ("C0", "C1")):
            runs = np.arange(1, epochs + 1)
            axis.plot(runs, history.history[metric], colour, label=f"{name}, training")
            axis.plot(runs, history.history[f"val_{metric}"], colour, linestyle="--",
                      label=f"{name}, validation")
        axis.set_xlabel("epoch")
        axis.set_title(metric)
        axis.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(output, "08_text_classification_curves.png"))
    print("learning curves saved to lessons/output/08_text_classification_curves.png")

# %%
# 6. An end-to-end model: strings in, probabilities out
# -----------------------------------------------------
# As the tutorial ends: put the vectorization in front of the trained model, so
# that the model takes raw strings. (kerastutor's ``predict`` takes numbers
# only, so the string model is called directly.)
inputs = keras.Input(shape=(1,), dtype="str")
end_to_end = keras.Model(inputs, models["average pooling"](vectorize_layer(inputs)))
reviews = np.array([["The plot was wonderful. The acting was great."],
                    ["The story was dull and the ending was awful."]])
for review, p in zip(reviews[:, 0], end_to_end(reviews)[:, 0]):
    print(f"{100 * p:5.1f}% positive: {review}")
