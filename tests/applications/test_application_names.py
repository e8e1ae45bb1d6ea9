"""``keras.applications`` has every name of Keras 3.15.1's (listed from ``dir()`` there)."""
import types

import kerastutor

#: The constructors (40).
CONSTRUCTORS = [
    "ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtSmall", "ConvNeXtTiny", "ConvNeXtXLarge",
    "DenseNet121", "DenseNet169", "DenseNet201", "EfficientNetB0", "EfficientNetB1",
    "EfficientNetB2", "EfficientNetB3", "EfficientNetB4", "EfficientNetB5",
    "EfficientNetB6", "EfficientNetB7", "EfficientNetV2B0", "EfficientNetV2B1",
    "EfficientNetV2B2", "EfficientNetV2B3", "EfficientNetV2L", "EfficientNetV2M",
    "EfficientNetV2S", "InceptionResNetV2", "InceptionV3", "MobileNet", "MobileNetV2",
    "MobileNetV3Large", "MobileNetV3Small", "NASNetLarge", "NASNetMobile", "ResNet101",
    "ResNet101V2", "ResNet152", "ResNet152V2", "ResNet50", "ResNet50V2", "VGG16",
    "VGG19", "Xception",
]

#: The family modules and their public names.
MODULES = {
    "convnext": [
        "ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtSmall", "ConvNeXtTiny", "ConvNeXtXLarge",
        "decode_predictions", "preprocess_input",
    ],
    "densenet": [
        "DenseNet121", "DenseNet169", "DenseNet201", "decode_predictions",
        "preprocess_input",
    ],
    "efficientnet": [
        "EfficientNetB0", "EfficientNetB1", "EfficientNetB2", "EfficientNetB3",
        "EfficientNetB4", "EfficientNetB5", "EfficientNetB6", "EfficientNetB7",
        "decode_predictions", "preprocess_input",
    ],
    "efficientnet_v2": [
        "EfficientNetV2B0", "EfficientNetV2B1", "EfficientNetV2B2", "EfficientNetV2B3",
        "EfficientNetV2L", "EfficientNetV2M", "EfficientNetV2S", "decode_predictions",
        "preprocess_input",
    ],
    "imagenet_utils": [
        "decode_predictions", "preprocess_input",
    ],
    "inception_resnet_v2": [
        "InceptionResNetV2", "decode_predictions", "preprocess_input",
    ],
    "inception_v3": [
        "InceptionV3", "decode_predictions", "preprocess_input",
    ],
    "mobilenet": [
        "MobileNet", "decode_predictions", "preprocess_input",
    ],
    "mobilenet_v2": [
        "MobileNetV2", "decode_predictions", "preprocess_input",
    ],
    "mobilenet_v3": [
        "decode_predictions", "preprocess_input",
    ],
    "nasnet": [
        "NASNetLarge", "NASNetMobile", "decode_predictions", "preprocess_input",
    ],
    "resnet": [
        "ResNet101", "ResNet152", "ResNet50", "decode_predictions", "preprocess_input",
    ],
    "resnet50": [
        "ResNet50", "decode_predictions", "preprocess_input",
    ],
    "resnet_v2": [
        "ResNet101V2", "ResNet152V2", "ResNet50V2", "decode_predictions", "preprocess_input",
    ],
    "vgg16": [
        "VGG16", "decode_predictions", "preprocess_input",
    ],
    "vgg19": [
        "VGG19", "decode_predictions", "preprocess_input",
    ],
    "xception": [
        "Xception", "decode_predictions", "preprocess_input",
    ],
}


def test_every_constructor_and_family_module_is_there():
    apps = kerastutor.applications
    assert [n for n in CONSTRUCTORS if not callable(getattr(apps, n, None))] == []
    for module, names in MODULES.items():
        family = getattr(apps, module)
        assert isinstance(family, types.ModuleType), module
        assert [n for n in names if not hasattr(family, n)] == [], module


def test_a_constructor_is_the_same_object_in_its_module_and_at_the_top():
    apps = kerastutor.applications
    assert apps.resnet50.ResNet50 is apps.resnet.ResNet50 is apps.ResNet50
    assert apps.mobilenet_v2.MobileNetV2 is apps.MobileNetV2
    assert apps.vgg16.preprocess_input is not apps.resnet_v2.preprocess_input
