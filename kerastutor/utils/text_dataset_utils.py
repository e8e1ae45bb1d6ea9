"""``keras.utils.text_dataset_from_directory``: a folder of ``.txt`` files as a labelled dataset.

The same layout and steps as :mod:`~kerastutor.utils.image_dataset_utils` --
one sub-folder per class, files indexed in sorted order and shuffled with
``np.random.RandomState(seed)``, the last ``validation_split`` of them kept
for validation -- but each sample is the text of one ``.txt`` file (read as
UTF-8), cut to its first ``max_length`` characters if that is given. A batch
``x`` is a NumPy array of Python strings, ready for a ``TextVectorization``
layer.
"""
import numpy as np

from kerastutor.utils import dataset_utils as du


def text_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                class_names=None, batch_size=32, max_length=None, shuffle=True,
                                seed=None, validation_split=None, subset=None,
                                follow_links=False, format="tf", verbose=True):
    """A dataset of ``(texts, labels)`` batches from the ``.txt`` files under ``directory``.

    Arguments as :func:`~kerastutor.utils.image_dataset_from_directory`;
    ``max_length`` keeps at most that many characters of each text.
    """
    du.check_labels_arguments(labels, label_mode, class_names, "text")
    du.check_format(format)
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    du.check_validation_split_arg(validation_split, subset, shuffle, seed)
    seed = np.random.randint(1e6) if seed is None else seed
    paths, labels, class_names = du.index_directory(
        directory, labels, (".txt",), class_names, shuffle, seed, follow_links, verbose)
    du.check_binary_classes(label_mode, class_names)
    reader = TextReader(max_length)

    def build(part, shuffled):
        part_paths, part_labels = du.get_training_or_validation_split(
            paths, labels, validation_split, part)
        if not part_paths:
            which = {"training": "training ", "validation": "validation "}.get(part, "") \
                if subset == "both" else ""
            raise ValueError(f"No {which}text files found in directory {directory}. "
                             "Allowed format: .txt")
        return du.files_dataset(part_paths, part_labels, label_mode, class_names, reader,
                                batch_size, shuffled, seed)

    if subset == "both":
        return [build("training", shuffle), build("validation", False)]
    return build(subset, shuffle)


class TextReader:
    """Reads text files; ``batch(paths)`` is a NumPy array of their (cut) contents."""

    def __init__(self, max_length=None):
        self.max_length = max_length

    def __call__(self, path):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        return text if self.max_length is None else text[:self.max_length]

    def batch(self, paths):
        return np.array([self(path) for path in paths], dtype=str)
