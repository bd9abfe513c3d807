"""Shared docstring text is declared once: GANOverSampler's GAN options are described by
ConditionalGAN's own entries, and every parameter of each estimator has an entry."""

import inspect

import pytest

from ganbalance import AffineOverSampler, ConditionalGAN, GANOverSampler, TorchClassifier
from ganbalance._docstrings import _entries, parameter_entries
from ganbalance.denoise import ReferenceDenoiser
from ganbalance.over_sampler import _GAN_PARAMS


@pytest.mark.parametrize("name", [n for n in _GAN_PARAMS if n not in ("image_shape",
                                                                      "callbacks")])
def test_sampler_gan_options_are_conditional_gans_entries(name):
    gan_entry = _entries(ConditionalGAN.__doc__)[name]
    assert _entries(GANOverSampler.__doc__)[name] == gan_entry


@pytest.mark.parametrize("estimator", [ConditionalGAN, GANOverSampler, AffineOverSampler,
                                       TorchClassifier, ReferenceDenoiser])
def test_every_parameter_has_an_entry(estimator):
    names = [name for name, p in inspect.signature(estimator.__init__).parameters.items()
             if name != "self" and p.kind != p.VAR_KEYWORD]  # **kwargs: prefixed options
    entries = _entries(estimator.__doc__)
    assert [n for n in names if n not in entries] == []


def test_a_missing_entry_is_an_error():
    with pytest.raises(KeyError, match="no_such_option"):
        parameter_entries(ConditionalGAN.__doc__, ["loss", "no_such_option"])
