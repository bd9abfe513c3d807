"""Design log: GANOverSampler variants on DeepSMOTE's imbalanced-MNIST protocol (README.md).

The protocol and classifier budget of ``benchmarks/deepsmote_mnist.py`` (SmallCNN, 1,406 steps
of 64 images, balanced and imbalanced MNIST test sets), on development seeds kept apart from the
benchmark's reporting seeds 0, 1, 2, so that choosing a variant does not tune the reported rows.

Usage: python deepsmote_variants.py NAME "dict(...)" SEED [SEED ...]
A ``NAME`` starting with 'affine' runs AffineOverSampler with the given settings instead of the
GAN, 'morph' runs morph.MorphOverSampler, 'drs' drs.RejectionGAN.
"""

import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from deepsmote_mnist import BATCH, COUNTS, budgeted, scores  # noqa: E402
from drs import RejectionGAN  # noqa: E402
from morph import MorphOverSampler  # noqa: E402

from ganbalance import AffineOverSampler, GANOverSampler, TorchClassifier  # noqa: E402
from ganbalance.datasets import load_mnist, make_imbalanced_digits  # noqa: E402
from ganbalance.models import SmallCNN  # noqa: E402

torch.set_num_threads(1)
name, settings, seeds = sys.argv[1], eval(sys.argv[2]), [int(s) for s in sys.argv[3:]]  # noqa: S307
mnist = load_mnist()
X_train = (mnist.X_train / 255.0).astype(np.float32)
X_test = (mnist.X_test / 255.0).astype(np.float32)
balanced = np.concatenate([np.flatnonzero(mnist.y_test == d)[:892] for d in range(10)])
budget_steps = int(round(10 * sum(COUNTS.values()) / BATCH))
for seed in seeds:
    X, y = make_imbalanced_digits(X_train, mnist.y_train, COUNTS, random_state=seed)
    if name.startswith("morph"):
        sampler = MorphOverSampler(random_state=seed, **settings)
    elif name.startswith("drs"):
        sampler = RejectionGAN(random_state=seed, **settings)
    else:
        cls = AffineOverSampler if name.startswith("affine") else GANOverSampler
        sampler = cls(image_shape=(1, 28, 28), random_state=seed, **settings)
    start = time.perf_counter()
    X_res, y_res = sampler.fit_resample(X, y)
    fit_seconds = time.perf_counter() - start
    X_fit, y_fit = budgeted(X_res, y_res, budget_steps, seed)
    clf = TorchClassifier(SmallCNN, image_shape=(1, 28, 28), max_epochs=1, batch_size=BATCH,
                          lr=1e-3, device="cpu", random_state=seed).fit(X_fit, y_fit)
    pred = clf.predict(X_test)
    bal = scores(mnist.y_test[balanced], pred[balanced])
    imb = scores(mnist.y_test, pred)
    recall = [np.mean(pred[balanced][mnist.y_test[balanced] == d] == d) for d in (7, 8, 9)]
    print(f"{name} seed {seed}: balanced ACSA {bal['ACSA']:.2f}, imbalanced ACSA "
          f"{imb['ACSA']:.2f}, recall 7/8/9 {' '.join(f'{r:.3f}' for r in recall)}, "
          f"fit {fit_seconds:.0f} s", flush=True)
