"""Hashing: FarmHash64 / SipHash in Python give Keras 3.15.1's bins (reference sheet §2.10)."""
import numpy as np
import pytest

import kerastutor as keras
from kerastutor.layers.preprocessing.hashing import fingerprint64, siphash24

Hashing = keras.layers.Hashing
X = np.array([["A"], ["B"], ["C"], ["D"], ["E"]])


def test_fingerprint64_check_value_and_known_vectors():
    assert fingerprint64(b"A") == 16915294056622060564          # [ran, +TF]
    # FarmHash's published Fingerprint64 values, one per code path (0-16, 17-32,
    # 33-64 and > 64 bytes).
    assert fingerprint64(b"") == 0x9AE16A3B2F90404F
    assert fingerprint64(b"a") == 0xB3454265B6DF75E3
    assert fingerprint64(b"abcdefgh") == 0xFEE9D22990C82909
    assert fingerprint64(b"size:  a.out:  bad magic") == 0x80D73B843BA57DB8
    assert fingerprint64(b"The days of the digital watch are numbered.  -Tom Stoppard") \
        == 0x2A578B80BB82147C
    assert fingerprint64(b"Give me a rock, paper and scissors and I will move the world.  "
                         b"CCFestoon") == 0xA2B8BF3032021993


def test_siphash24_reference_vectors():
    # The SipHash paper's key 00..0f; message 00..0e gives a129ca6149be45e5.
    k0 = int.from_bytes(bytes(range(8)), "little")
    k1 = int.from_bytes(bytes(range(8, 16)), "little")
    assert siphash24(k0, k1, bytes(range(15))) == 0xA129CA6149BE45E5
    assert siphash24(k0, k1, b"") == 0x726FDB47DD0E0E31


def test_unsalted_goldens():
    y = Hashing(num_bins=3)(X)
    np.testing.assert_array_equal(y.ravel(), [1, 0, 1, 1, 2])
    assert y.dtype == np.int64 and y.shape == (5, 1)
    np.testing.assert_array_equal(Hashing(num_bins=10)(np.array([[1], [2], [3], [12345]])).ravel(),
                                  [9, 9, 1, 8])            # hashes of "1", "2", "3", "12345"
    np.testing.assert_array_equal(Hashing(num_bins=2**31 - 1)(np.array(["hello", "world"])),
                                  [441440317, 653090040])


def test_mask_and_salt_goldens():
    np.testing.assert_array_equal(
        Hashing(num_bins=3, mask_value="")(np.array([["A"], [""], ["C"]])).ravel(), [1, 0, 2])
    np.testing.assert_array_equal(Hashing(num_bins=3, salt=133)(X).ravel(), [0, 0, 2, 1, 0])
    np.testing.assert_array_equal(Hashing(num_bins=3, salt=[133, 137])(X).ravel(),
                                  [1, 2, 1, 0, 2])
    assert Hashing(num_bins=3, salt=133).get_config()["salt"] == [133, 133]


def test_encoded_goldens():
    y = Hashing(num_bins=3, output_mode="one_hot")(np.array(["A", "B", "C"]))
    np.testing.assert_array_equal(y, [[0, 1, 0], [1, 0, 0], [0, 1, 0]])
    assert y.dtype == np.float32
    np.testing.assert_array_equal(
        Hashing(num_bins=3, output_mode="multi_hot")(np.array([["A", "B"], ["C", "A"]])),
        [[1, 1, 0], [0, 1, 0]])
    np.testing.assert_array_equal(Hashing(num_bins=3, output_mode="one_hot")(X).shape, (5, 3))


def test_floats_are_hashed_as_their_int64_text_and_bytes_as_text():
    layer = Hashing(num_bins=10)
    np.testing.assert_array_equal(layer(np.array([1.7, 2.0, 12345.9])),
                                  layer(np.array([1, 2, 12345])))
    np.testing.assert_array_equal(layer(np.array([b"hello"])), layer(np.array(["hello"])))


def test_errors_and_config():
    with pytest.raises(ValueError, match="num_bins"):
        Hashing(num_bins=0)
    with pytest.raises(ValueError, match="num_bins"):
        Hashing(num_bins=None)
    with pytest.raises(ValueError, match="output_mode"):
        Hashing(num_bins=3, output_mode="tf_idf")
    with pytest.raises(ValueError, match="salt"):
        Hashing(num_bins=3, salt="pepper")
    with pytest.raises(ValueError, match="integer type"):
        Hashing(num_bins=3, dtype="float32")
    layer = Hashing(num_bins=7, mask_value="", salt=[1, 2], name="h")
    config = layer.get_config()
    assert config["dtype"]["config"]["name"] == "int64"
    assert {k: config[k] for k in ("num_bins", "salt", "mask_value", "output_mode", "sparse")} \
        == {"num_bins": 7, "salt": [1, 2], "mask_value": "", "output_mode": "int",
            "sparse": False}
    again = Hashing.from_config(config)
    x = np.array(["a", "", "b", "c"])
    np.testing.assert_array_equal(again(x), layer(x))
    assert Hashing(num_bins=4, output_mode="count").compute_output_shape((None, 3)) == (None, 4)
