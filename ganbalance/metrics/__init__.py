"""Per-class quality of generated rows: are they that class, varied, new, and did training collapse?

Every function takes the real data ``X_real, y_real`` (what the generator was trained on) and the
generated data ``X_synth, y_synth``, and answers per class:

- :func:`class_consistency`: the share of a class's generated rows that a classifier trained on
  the real data assigns to that class.
- :func:`frechet_distance`: the Fréchet distance between real and generated rows of a class in
  the feature space of that classifier (its penultimate layer), and over all classes.
- :func:`density_coverage`: density and coverage (Naeem et al., 2020) in the same feature space.
- :func:`copy_rate`: the share of generated rows that are near-copies of a real row, next to the
  same share for held-out real rows.
- :func:`variety`: the spread of the generated rows relative to the real spread.
- :func:`detect_collapse`: a cheap check (no classifier) for near-zero variety or near-copies.
- :func:`quality_report`: all of it in one :class:`pandas.DataFrame`, one row per class, and
  :func:`plot_quality_report` to draw it.

The user guide (``docs/user_guide/quality_report.md``) explains how to read the numbers.

Two spaces are used, and each metric says which:

*Raw space* (copy rate, variety, collapse): the rows standardised with the real data's
statistics, per feature for tabular rows, and with one global mean and standard deviation for
images (``image_shape`` given), so that distances are plain pixel distances up to one scale.
Near-copies are a question about the rows themselves, so they are measured there.

*Feature space* (Fréchet distance, density, coverage): the input of the last
:class:`torch.nn.Linear` layer (the penultimate activations) of a classifier trained on the real
data: :class:`~ganbalance.models.SmallCNN` for images, :class:`~ganbalance.models.MLP` with one
hidden layer of 64 units for tabular rows (see :func:`fit_feature_classifier`). Pretrained
Inception weights, the usual choice for FID, are not available offline and do not suit 8x8 or
28x28 digits or tabular rows; a small classifier trained on the data is the common practice
for MNIST.
"""

from ._inputs import _Standardizer as _Standardizer
from .feature_classifier import fit_feature_classifier
from .features import class_consistency, density_coverage, frechet_distance
from .plots import plot_quality_report
from .raw import MIN_REFERENCE_ROWS as MIN_REFERENCE_ROWS
from .raw import copy_rate, detect_collapse, variety
from .report import quality_report

__all__ = [
    "class_consistency",
    "copy_rate",
    "density_coverage",
    "detect_collapse",
    "fit_feature_classifier",
    "frechet_distance",
    "plot_quality_report",
    "quality_report",
    "variety",
]

# Pickles of a fitted fit_feature_classifier pipeline name the class as it was named when this
# package was one module; keep that name.
_Standardizer.__module__ = __name__
