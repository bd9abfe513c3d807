"""Design log: does a reference generator copy tabular rows? (one seed; see README.md)"""

import time
import warnings

from sklearn.datasets import make_classification

from ganbalance import GANOverSampler
from ganbalance.metrics import copy_rate, variety

X, y = make_classification(n_samples=1000, n_features=8, n_informative=5, weights=[0.9, 0.1],
                           random_state=0)
for generator, discriminator in [("reference", "sample"), ("reference", "pair"),
                                 ("noise", "sample")]:
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sampler = GANOverSampler(generator=generator, discriminator=discriminator,
                                 random_state=0, device="cpu")
        X_res, y_res = sampler.fit_resample(X, y)
    new, labels = X_res[len(X):], y_res[len(X):]
    print(f"{generator:<9} {discriminator:<6} copy rate {copy_rate(X, y, new, labels)[1]:.3f} "
          f"variety {variety(X, y, new, labels)[1]:.3f} ({time.perf_counter() - start:.0f} s)")
