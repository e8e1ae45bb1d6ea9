"""image_dataset_from_directory on small PNG/JPEG folders the tests write (reference §1.10)."""
import os

import numpy as np
import pytest

import kerastutor as keras
from kerastutor.utils import PyDataset

pytest.importorskip("PIL.Image")

IMG = np.random.RandomState(0).randint(0, 256, (4, 6, 3))
load = keras.utils.image_dataset_from_directory


@pytest.fixture
def pets(tmp_path):
    """cats/{0,1}.png, dogs/{0,1}.png: the reference's golden folder (saved with scale=True)."""
    for name in ("cats", "dogs"):
        (tmp_path / name).mkdir()
        for i in range(2):
            keras.utils.save_img(tmp_path / name / f"{i}.png", IMG)
    return tmp_path


def rel(paths, root):
    return [os.path.relpath(p, root) for p in paths]


def test_golden_first_batch(pets, capsys):
    ds = load(pets, image_size=(2, 3), batch_size=3, shuffle=False)
    assert "Found 4 files belonging to 2 classes." in capsys.readouterr().out
    assert isinstance(ds, PyDataset) and len(ds) == 2
    assert ds.class_names == ["cats", "dogs"]
    assert rel(ds.file_paths, pets) == ["cats/0.png", "cats/1.png", "dogs/0.png", "dogs/1.png"]
    x, y = ds[0]
    assert x.shape == (3, 2, 3, 3) and x.dtype == np.float32
    assert y.dtype == np.int32
    np.testing.assert_array_equal(y, [0, 0, 1])
    np.testing.assert_allclose(x[0, ..., 0], [[110.25, 125.25, 112.5], [191.75, 126.0, 129.0]])
    assert ds[1][0].shape == (1, 2, 3, 3)


def test_golden_split_both(pets, capsys):
    train, val = load(pets, image_size=(2, 3), subset="both", validation_split=0.5, seed=1)
    out = capsys.readouterr().out
    assert "Using 2 files for training." in out and "Using 2 files for validation." in out
    assert rel(train.file_paths, pets) == ["dogs/1.png", "dogs/0.png"]
    assert rel(val.file_paths, pets) == ["cats/0.png", "cats/1.png"]
    assert train.class_names == val.class_names == ["cats", "dogs"]
    assert not val.shuffle
    np.testing.assert_array_equal(val[0][1], [0, 0])
    np.testing.assert_array_equal(train[0][1], [1, 1])


def test_training_and_validation_subsets_do_not_overlap(pets):
    kwargs = dict(image_size=(2, 3), validation_split=0.25, seed=7, verbose=False)
    train = load(pets, subset="training", **kwargs)
    val = load(pets, subset="validation", **kwargs)
    assert len(train.file_paths) == 3 and len(val.file_paths) == 1
    assert set(train.file_paths).isdisjoint(val.file_paths)


def test_label_modes(pets):
    common = dict(image_size=(2, 3), shuffle=False, verbose=False)
    _, y = load(pets, label_mode="categorical", **common)[0]
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, [[1, 0], [1, 0], [0, 1], [0, 1]])
    _, y = load(pets, label_mode="binary", **common)[0]
    assert y.dtype == np.float32 and y.shape == (4, 1)
    np.testing.assert_array_equal(y[:, 0], [0, 0, 1, 1])
    x = load(pets, label_mode=None, **common)[0]
    assert isinstance(x, np.ndarray) and x.shape == (4, 2, 3, 3)
    x = load(pets, labels=None, **common)[0]
    assert isinstance(x, np.ndarray)


def test_explicit_labels_and_class_names(pets):
    ds = load(pets, labels=[1, 0, 1, 0], image_size=(2, 3), shuffle=False, verbose=False)
    assert ds.class_names == ["0", "1"]
    np.testing.assert_array_equal(ds[0][1], [1, 0, 1, 0])
    ds = load(pets, class_names=["dogs", "cats"], image_size=(2, 3), shuffle=False,
              verbose=False)
    assert rel(ds.file_paths, pets)[0] == "dogs/0.png"
    np.testing.assert_array_equal(ds[0][1], [0, 0, 1, 1])


def test_color_modes_sizes_crop_pad_and_channels_first(pets):
    common = dict(shuffle=False, verbose=False, label_mode=None)
    assert load(pets, color_mode="grayscale", image_size=(2, 3), **common)[0].shape == (4, 2, 3, 1)
    assert load(pets, color_mode="rgba", image_size=5, **common)[0].shape == (4, 5, 5, 4)
    assert load(pets, image_size=(2, 3), data_format="channels_first",
                **common)[0].shape == (4, 3, 2, 3)
    crop = load(pets, image_size=(2, 2), crop_to_aspect_ratio=True, **common)[0]
    stretched = load(pets, image_size=(2, 2), **common)[0]
    assert crop.shape == stretched.shape == (4, 2, 2, 3)
    assert not np.allclose(crop, stretched)
    pad = load(pets, image_size=(6, 6), pad_to_aspect_ratio=True, interpolation="nearest",
               **common)[0]
    np.testing.assert_array_equal(pad[:, 0], 0)          # a padded row on top
    np.testing.assert_array_equal(pad[:, -1], 0)


def test_shuffle_reshuffles_each_epoch_but_keeps_pairs(pets):
    ds = load(pets, image_size=(2, 3), batch_size=4, seed=3, verbose=False)
    x, y = ds[0]
    first = y.tolist()
    orders = {tuple(first)}
    for _ in range(6):
        ds.on_epoch_end()
        orders.add(tuple(ds[0][1].tolist()))
    assert len(orders) > 1
    again = load(pets, image_size=(2, 3), batch_size=4, seed=3, verbose=False)
    assert again[0][1].tolist() == first


def test_ignores_other_files_hidden_dirs_and_finds_nested_jpeg(tmp_path):
    (tmp_path / "a" / "deep").mkdir(parents=True)
    (tmp_path / "b").mkdir()
    (tmp_path / ".hidden").mkdir()
    keras.utils.save_img(tmp_path / "a" / "deep" / "x.JPG", IMG)
    keras.utils.save_img(tmp_path / "b" / "y.png", IMG)
    keras.utils.save_img(tmp_path / ".hidden" / "z.png", IMG)
    (tmp_path / "b" / "notes.txt").write_text("not an image")
    ds = load(tmp_path, image_size=(4, 6), shuffle=False, verbose=False)
    assert ds.class_names == ["a", "b"]
    assert rel(ds.file_paths, tmp_path) == ["a/deep/x.JPG", "b/y.png"]
    x, y = ds[0]
    np.testing.assert_array_equal(y, [0, 1])
    assert np.abs(x[0] - keras.utils.img_to_array(keras.utils.load_img(
        tmp_path / "a" / "deep" / "x.JPG"))).max() == 0


def test_iteration_and_unbatched(pets):
    ds = load(pets, image_size=(2, 3), batch_size=None, shuffle=False, verbose=False)
    items = list(ds)
    assert len(items) == 4 and items[0][0].shape == (2, 3, 3) and items[0][1] == 0


@pytest.mark.parametrize("kwargs, message", [
    ({"validation_split": 0.5}, "If `subset` is set, `validation_split` must be set, and inversely."),
    ({"validation_split": 0.5, "subset": "training"},
     "If using `validation_split` and shuffling the data, you must provide a `seed` argument"),
    ({"validation_split": 1.5, "subset": "training", "seed": 1},
     "`validation_split` must be between 0 and 1, received: 1.5"),
    ({"validation_split": 0.5, "subset": "train", "seed": 1}, '`subset` must be either "training"'),
    ({"color_mode": "hsv"}, '`color_mode` must be one of {"rgb", "rgba", "grayscale"}. '
                            "Received: color_mode=hsv"),
    ({"interpolation": "box"}, r"Argument `interpolation` should be one of \('bilinear'"),
    ({"interpolation": "area"}, "kerastutor resizes arrays as Keras does on the torch backend"),
    ({"label_mode": "onehot"}, '`label_mode` argument must be one of "int"'),
    ({"labels": "folders"}, "`labels` argument should be a list/tuple of integer labels"),
    ({"labels": [0, 1, 0, 1], "class_names": ["a"]}, "You can only pass `class_names` if"),
    ({"labels": [0, 1]}, "Expected the lengths of `labels` to match the number of files"),
    ({"class_names": ["cats", "birds"]}, "The `class_names` passed did not match"),
    ({"image_size": (2, 3, 4)}, "Invalid `image_size` value. Expected a tuple of 2 integers."),
    ({"crop_to_aspect_ratio": True, "pad_to_aspect_ratio": True},
     "Only one of `pad_to_aspect_ratio`, `crop_to_aspect_ratio` can be set"),
    ({"format": "torch"}, '`format` should be either "tf" or "grain"'),
])
def test_errors(pets, kwargs, message):
    with pytest.raises(ValueError, match=message):
        load(pets, verbose=False, **kwargs)


def test_binary_needs_two_classes_and_empty_folder(tmp_path):
    (tmp_path / "cats").mkdir()
    keras.utils.save_img(tmp_path / "cats" / "0.png", IMG)
    with pytest.raises(ValueError, match=r"When passing `label_mode=\"binary\"`, there must be "
                       r"exactly 2 class_names. Received: class_names=\['cats'\]"):
        load(tmp_path, label_mode="binary", verbose=False)
    (tmp_path / "cats" / "0.png").unlink()
    with pytest.raises(ValueError, match="No images found in directory"):
        load(tmp_path, verbose=False)


def test_fit_and_predict_read_an_image_dataset(pets):
    ds = load(pets, image_size=(4, 6), batch_size=3, seed=0, verbose=False)
    model = keras.Sequential([keras.Input((4, 6, 3)), keras.layers.Flatten(),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    history = model.fit(ds, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert np.all(np.isfinite(history.history["loss"]))
    assert model.predict(ds, verbose=0).shape == (4, 2)
