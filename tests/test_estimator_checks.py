"""imbalanced-learn's and scikit-learn's estimator checks for GANOverSampler, with fast settings.

(AffineOverSampler needs an ``image_shape`` that matches the data, which the generic checks'
random data of 2 or 20 features cannot give; tests/test_affine_sampler.py covers it.)

Expected failures are listed with their reason; the list is meant to stay short.
"""

import pytest
from imblearn.utils.estimator_checks import parametrize_with_checks as imblearn_checks
from sklearn.utils.estimator_checks import parametrize_with_checks as sklearn_checks

from ganbalance import GANOverSampler

FAST = dict(n_steps=3, batch_size=8, latent_dim=4, device="cpu", random_state=0)

SAMPLERS = [
    GANOverSampler(**FAST),
    GANOverSampler(mode="per_class", generator="noise", **FAST),
    # Missing values refused: scikit-learn's NaN checks run (with the default they are data).
    GANOverSampler(handle_missing="error", **FAST),
]

EXPECTED_FAILURES = {
    # Deliberately stricter than scikit-learn: an object array is refused with a TypeError instead
    # of being converted to float, so that a column of strings that happens to parse is never used
    # as a feature without the user's say.
    "check_dtype_object": "object X is refused on purpose (TypeError), not converted",
}


def expected_failed_checks(estimator):
    return EXPECTED_FAILURES


def listed(mark):
    """The same parametrisation with its cases in a list: imbalanced-learn passes a generator,
    which pytest deprecates (PytestRemovedIn10Warning) and will refuse."""
    argnames, argvalues = mark.args
    return pytest.mark.parametrize(argnames, list(argvalues), **mark.kwargs)


@listed(imblearn_checks(SAMPLERS, expected_failed_checks=expected_failed_checks))
def test_imblearn_estimator_checks(estimator, check):
    check(estimator)


@sklearn_checks(SAMPLERS, expected_failed_checks=expected_failed_checks)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
