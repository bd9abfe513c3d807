"""A reference-conditioned denoising filter: ``fit(mixtures, references, targets)``.

The seed-002 experiment, in its own corner of the package. Given a mixture
``a*target + b*reference + noise`` and the reference, the filter returns the target with the
reference and the noise removed. It is SRGAN's recipe (Ledig et al. 2017) with SEGAN's
conditioning (Pascual et al. 2017): a residual generator trained with an L1 content loss plus an
adversarial loss from a discriminator that sees the inputs too. ``adversarial_weight=0`` trains
the same network with the L1 loss alone, the "no GAN" baseline.

:func:`psnr` and :func:`ssim` score the outputs image by image.

The package has three private modules: ``_estimator`` (:class:`ReferenceDenoiser`: parameters,
the training step, ``predict``, pickling), ``_inputs`` (rows or images to image tensors, with
their checks) and ``_scores`` (:func:`psnr`, :func:`ssim`). The training loop around the step
is the one :class:`~ganbalance.ConditionalGAN` uses (``ganbalance._training.run_steps``).
"""

from ._estimator import ReferenceDenoiser
from ._scores import psnr, ssim

__all__ = ["ReferenceDenoiser", "psnr", "ssim"]

# The public objects keep the name they had when this package was one module: save files
# (ganbalance.save) and pickles record ganbalance.denoise.ReferenceDenoiser, and still load.
for _obj in (ReferenceDenoiser, psnr, ssim):
    _obj.__module__ = __name__
del _obj
