"""text_dataset_from_directory on small .txt folders the tests write (reference §1.10)."""
import os

import numpy as np
import pytest

import kerastutor as keras

load = keras.utils.text_dataset_from_directory


@pytest.fixture
def reviews(tmp_path):
    texts = {"neg": ["awful", "boring film"], "pos": ["great", "loved it", "wonderful ü"]}
    for label, items in texts.items():
        (tmp_path / label).mkdir()
        for i, text in enumerate(items):
            (tmp_path / label / f"{i}.txt").write_text(text, encoding="utf-8")
    (tmp_path / "pos" / "readme.md").write_text("ignored")
    return tmp_path


def test_batches_of_strings_and_labels(reviews, capsys):
    ds = load(reviews, batch_size=4, shuffle=False)
    assert "Found 5 files belonging to 2 classes." in capsys.readouterr().out
    assert ds.class_names == ["neg", "pos"] and len(ds) == 2
    x, y = ds[0]
    assert x.dtype.kind == "U"
    assert x.tolist() == ["awful", "boring film", "great", "loved it"]
    np.testing.assert_array_equal(y, [0, 0, 1, 1])
    assert y.dtype == np.int32
    assert ds[1][0].tolist() == ["wonderful ü"]


def test_max_length_and_label_modes(reviews):
    x, y = load(reviews, max_length=4, shuffle=False, label_mode="binary", verbose=False)[0]
    assert x.tolist() == ["awfu", "bori", "grea", "love", "wond"]
    assert y.shape == (5, 1) and y.dtype == np.float32
    _, y = load(reviews, shuffle=False, label_mode="categorical", verbose=False)[0]
    np.testing.assert_array_equal(y[0], [1, 0])
    x = load(reviews, shuffle=False, labels=None, verbose=False)[0]
    assert isinstance(x, np.ndarray) and len(x) == 5


def test_shuffle_and_split_are_keras_file_orders(reviews):
    train, val = load(reviews, subset="both", validation_split=0.4, seed=1, verbose=False)
    paths = [os.path.relpath(p, reviews) for p in train.file_paths + val.file_paths]
    # Keras: the sorted list shuffled by np.random.RandomState(1); the last int(0.4*5)=2 validate.
    expected = ["neg/0.txt", "neg/1.txt", "pos/0.txt", "pos/1.txt", "pos/2.txt"]
    np.random.RandomState(1).shuffle(expected)
    assert paths == expected
    assert len(val.file_paths) == 2
    texts = sorted(np.concatenate([b[0] for b in train] + [b[0] for b in val]).tolist())
    assert texts == sorted(["awful", "boring film", "great", "loved it", "wonderful ü"])


def test_errors(reviews, tmp_path):
    with pytest.raises(ValueError, match="If `subset` is set"):
        load(reviews, subset="training", verbose=False)
    with pytest.raises(ValueError, match="size as the number of text files"):
        load(reviews, labels="auto", verbose=False)
    with pytest.raises(ValueError, match='`format` should be either "tf" or "grain"'):
        load(reviews, format="numpy", verbose=False)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="No text files found in directory .*Allowed format: .txt"):
        load(tmp_path / "empty", labels=None, verbose=False)


def test_preprocessing_alias():
    assert keras.preprocessing.text_dataset_from_directory is load
    assert keras.preprocessing.image_dataset_from_directory is \
        keras.utils.image_dataset_from_directory
