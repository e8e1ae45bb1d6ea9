"""``keras.datasets``: loaders that download once and cache in ``~/.keras/datasets``.

Every loader uses Keras's file names, URLs and checksums and the same cache
folder (``$KERAS_HOME`` or ``~/.keras``), so a file either library downloaded
serves both. Offline, with nothing cached, a loader raises
:class:`~kerastutor.utils.file_utils.DownloadError` naming the URL and the
path where a copy fetched elsewhere can be put.
"""
from kerastutor.datasets import (boston_housing, california_housing, cifar10, cifar100,
                                 fashion_mnist, imdb, mnist, reuters)

__all__ = ["mnist", "fashion_mnist", "cifar10", "cifar100", "imdb", "reuters",
           "boston_housing", "california_housing"]
