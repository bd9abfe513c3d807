"""Design log: which settings keep a noise-generator cGAN from collapsing? (one seed; README.md)

The seed-000 example needs a generator that uses its latent code, so generator='noise' with the
seed's 100-d latent. Trained on 100 MNIST images per digit (random_state=0), then 100 samples
per digit are drawn. Spread: the mean per-pixel std within a digit, generated over real (near 0
means one image per digit). Consistency: the share of samples that a SmallCNN trained on 10,000
real images assigns to the digit asked for.

Usage: python noise_cgan.py NAME "dict(...)" [IMAGES_PER_DIGIT]
"""

import sys
import time

import numpy as np
import torch

from ganbalance import ConditionalGAN
from ganbalance.datasets import load_mnist, make_imbalanced_digits
from ganbalance.metrics import class_consistency, fit_feature_classifier

torch.set_num_threads(1)
name, settings = sys.argv[1], eval(sys.argv[2])  # noqa: S307 - a trusted command line
per_digit = int(sys.argv[3]) if len(sys.argv) > 3 else 100
mnist = load_mnist()
X, y = make_imbalanced_digits(mnist.X_train / 255.0, mnist.y_train,
                              {d: per_digit for d in range(10)}, random_state=0)
start = time.perf_counter()
gan = ConditionalGAN(image_shape=(1, 28, 28), generator="noise", latent_dim=100, device="cpu",
                     random_state=0, **settings).fit(X, y)
seconds = time.perf_counter() - start
y_new = np.repeat(np.arange(10), 100)
X_new = gan.sample(1000, y=y_new, random_state=0)
real = np.mean([X[y == d].std(0).mean() for d in range(10)])
fake = np.mean([X_new[y_new == d].std(0).mean() for d in range(10)])
clf = fit_feature_classifier(mnist.X_train[:10000] / 255.0, mnist.y_train[:10000],
                             image_shape=(1, 28, 28), device="cpu", random_state=0)
consistency = class_consistency(X, y, X_new, y_new, classifier=clf)
print(f"{name}: fit {seconds:.0f} s, spread {fake / real:.3f}, consistency "
      f"{np.mean(list(consistency.values())):.2f} "
      f"({', '.join(f'{d}: {c:.2f}' for d, c in consistency.items())})")
