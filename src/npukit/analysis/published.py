"""The survey's table of popular DNNs, as published (Sze et al., arXiv 1703.09039, Table 4).

Batch 1; MACs of CONV and FC layers only, biases not counted. Kept verbatim as text so that
the precision of each figure ("2.3M" vs "23.5M") is part of the data.
"""

SURVEY_MODELS = {  # survey column → zoo model
    "LeNet-5": "lenet5",
    "AlexNet": "alexnet",
    "Overfeat (fast)": "overfeat-fast",
    "VGG-16": "vgg16",
    "GoogLeNet (v1)": "googlenet",
    "ResNet-50": "resnet50",
}

QUANTITIES = (
    "input size",
    "CONV layers",
    "CONV depth",
    "filter sizes",
    "CONV channels",
    "CONV filters",
    "stride",
    "CONV weights",
    "CONV MACs",
    "FC layers",
    "FC weights",
    "FC MACs",
    "total weights",
    "total MACs",
    "top-5 error (ImageNet)",
)

_ROWS = {
    "input size": ("28×28", "227×227", "231×231", "224×224", "224×224", "224×224"),
    "CONV layers": ("2", "5", "5", "13", "57", "53"),
    "CONV depth": ("2", "5", "5", "13", "21", "49"),
    "filter sizes": ("5", "3, 5, 11", "3, 7", "3", "1, 3, 5, 7", "1, 3, 7"),
    "CONV channels": ("1, 6", "3–256", "3–1024", "3–512", "3–832", "3–2048"),
    "CONV filters": ("6, 16", "96–384", "96–1024", "64–512", "16–384", "64–2048"),
    "stride": ("1", "1, 4", "1, 4", "1", "1, 2", "1, 2"),
    "CONV weights": ("2.6k", "2.3M", "16M", "14.7M", "6.0M", "23.5M"),
    "CONV MACs": ("283k", "666M", "2.67G", "15.3G", "1.43G", "3.86G"),
    "FC layers": ("2", "3", "3", "3", "1", "1"),
    "FC weights": ("58k", "58.6M", "130M", "124M", "1M", "2M"),
    "FC MACs": ("58k", "58.6M", "130M", "124M", "1M", "2M"),
    "total weights": ("60k", "61M", "146M", "138M", "7M", "25.5M"),
    "total MACs": ("341k", "724M", "2.8G", "15.5G", "1.43G", "3.9G"),
    "top-5 error (ImageNet)": ("n/a", "16.4", "14.2", "7.4", "6.7", "5.3"),
}

PUBLISHED: dict[str, dict[str, str]] = {
    model: {q: _ROWS[q][i] for q in QUANTITIES} for i, model in enumerate(SURVEY_MODELS)
}

# Figures the survey gives in its text rather than its table.
TEXT_FIGURES = {"ResNet-152": ("resnet152", {"total weights": "60M", "total MACs": "11.3G"})}

FOOTNOTES = {
    ("LeNet-5", "CONV MACs"): (
        "npukit counts 357,600: conv1 on the 28×28 input padded to keep 28×28 (117,600 MACs; the "
        "padding is what gives the published 58k FC weights, 16×5×5×120 + 120×84) and conv2 with "
        "full 6→16 connections (240,000). LeCun's partial C3 table (60 of 96 maps) gives 267,600, "
        "an unpadded input 240,000; no standard variant gives 283k, so the network is not bent to it."
    ),
    ("Overfeat (fast)", "filter sizes"): (
        "The published 3, 7 are the accurate model's sizes (7×7 first layer); the fast model, whose "
        "16M weights and 2.67G MACs the table lists and npukit matches, has 11×11, 5×5 and 3×3 filters."
    ),
    ("LeNet-5", "total MACs"): "341k is the published 283k CONV + 58k FC; see the CONV MACs note.",
    ("GoogLeNet (v1)", "CONV MACs"): (
        "npukit counts every CONV layer of the Caffe GoogLeNet v1 without auxiliary classifiers "
        "(57 layers, 1.58G MACs), as independent counts also find; the published 1.43G is below "
        "that sum, and the network is not bent to it."
    ),
    ("GoogLeNet (v1)", "total MACs"): "See the GoogLeNet CONV MACs note; FC adds 1.02M MACs.",
}
