"""Public names of Keras 3.15.1 that kerastutor added for compatibility, by namespace.

``tests/test_compat_names.py`` checks kerastutor has each; the oracle test
``tests/oracle/test_compat_names_against_keras.py`` checks Keras 3.15.1 has each too
(so nothing here is a name Keras lacks).
"""
NAMES = {
    "": ["Loss", "Metric", "Optimizer", "Initializer", "Regularizer", "InputSpec",
         "version", "name_scope", "tree"],
    "backend": ["backend", "is_float_dtype", "is_int_dtype", "standardize_dtype",
                "result_type", "get_uid", "is_keras_tensor"],
    "utils": ["is_keras_tensor", "standardize_dtype", "disable_interactive_logging",
              "enable_interactive_logging", "is_interactive_logging_enabled"],
    "initializers": ["IdentityInitializer", "OrthogonalInitializer"],
    "metrics": ["huber", "binary_focal_crossentropy", "categorical_focal_crossentropy"],
    "tree": ["MAP_TO_NONE", "map_structure", "flatten", "pack_sequence_as", "is_nested",
             "traverse", "assert_same_structure", "map_shape_structure", "lists_to_tuples",
             "map_structure_up_to", "assert_same_paths", "flatten_with_path"],
    "layers": ["Identity", "RMSNormalization", "EinsumDense",
               "AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D",
               "AdaptiveAveragePooling3D", "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D",
               "AdaptiveMaxPooling3D"],
}
