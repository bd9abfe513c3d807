"""ganbalance: fix class imbalance with generative models, the imbalanced-learn way."""

from ._version import __version__
from .affine_sampler import AffineOverSampler
from .classifier import TorchClassifier
from .deformation_sampler import DeformationOverSampler
from .denoise import ReferenceDenoiser
from .exceptions import DataSourceWarning, GANCollapseWarning, TrainingDivergedError
from .gan import ConditionalGAN
from .over_sampler import GANOverSampler
from .oversampled_cv import OverSampledClassifierCV
from .persistence import load, save

__all__ = [
    "AffineOverSampler",
    "ConditionalGAN",
    "DataSourceWarning",
    "DeformationOverSampler",
    "GANCollapseWarning",
    "GANOverSampler",
    "OverSampledClassifierCV",
    "ReferenceDenoiser",
    "TorchClassifier",
    "TrainingDivergedError",
    "__version__",
    "load",
    "save",
]
