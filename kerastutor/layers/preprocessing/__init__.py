"""Preprocessing layers: data in, numbers out (Keras 3's ``keras/src/layers/preprocessing``).

Normalization, rescaling, resizing and the random augmentations for images;
lookups, hashing and text vectorization for categories and words. Each is a
page with its formula; the differentiable ones have a backward.
"""
