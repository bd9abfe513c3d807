"""Generated 1s after 800 steps with the old critic (width 16), and after 200 and 100 steps with
the narrower one (width 8), from the same single training image: development seeds 100 and 104.
Writes samples_image_steps.png beside this file (issue 20).

    GANBALANCE_DATA=/path/to/mnist python benchmarks/design_log/image_steps_grid.py
"""
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import ganbalance.gan as gan_module  # noqa: E402
from ganbalance import GANOverSampler  # noqa: E402
from ganbalance.datasets import load_mnist, make_imbalanced_digits  # noqa: E402

mnist = load_mnist()
fig, axes = plt.subplots(6, 1, figsize=(12, 9))
row = 0
for seed in (100, 104):
    X, y = make_imbalanced_digits(mnist.X_train / 255.0, mnist.y_train, {1: 1, 2: 300, 3: 300},
                                  random_state=seed)
    for steps, width in ((800, 16), (200, 8), (100, 8)):
        saved, gan_module.WARP_CRITIC_WIDTH = gan_module.WARP_CRITIC_WIDTH, width
        sampler = GANOverSampler(image_shape=(1, 28, 28), device="cpu", random_state=seed,
                                 n_steps=steps)
        sampler.fit_resample(X, y)
        gan_module.WARP_CRITIC_WIDTH = saved
        images = sampler.sample(16, y=1).reshape(16, 28, 28)
        axes[row].imshow(np.concatenate(list(images), axis=1), cmap="gray")
        axes[row].set_title(f"seed {seed}, {steps} steps, critic width {width}", fontsize=8)
        axes[row].axis("off")
        row += 1
plt.tight_layout()
plt.savefig(Path(__file__).resolve().parent / "samples_image_steps.png", dpi=80)
