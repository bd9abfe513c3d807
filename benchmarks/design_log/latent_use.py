"""Design log: how much does the default generator use its latent code? (one seed; README.md)

Fits ConditionalGAN with the shipped defaults on digits 1/2/3 with 1/300/300 MNIST images, with
diversity_weight 0 (the default) and 1, and compares, for the one image of digit 1 as reference:
two latent codes, a code and its rounding to a 0.5 grid, and two random affine draws of the
reference (the variety that augmentation gives). Mean absolute pixel difference, pixels in [-1, 1].
"""

import warnings

import torch

from ganbalance import ConditionalGAN
from ganbalance.augment import random_affine
from ganbalance.datasets import load_mnist, make_imbalanced_digits

warnings.simplefilter("ignore")
mnist = load_mnist()
X, y = make_imbalanced_digits(mnist.X_train / 255.0, mnist.y_train, {1: 1, 2: 300, 3: 300},
                              random_state=0)
for weight in (0.0, 1.0):
    gan = ConditionalGAN(image_shape=(1, 28, 28), device="cpu", random_state=0,
                         diversity_weight=weight).fit(X, y)
    start = gan._class_starts[0]  # digit 1 is class code 0
    ref = torch.as_tensor(gan._references[start:start + 1]).view(1, 1, 28, 28).repeat(256, 1, 1, 1)
    labels = torch.zeros(256, dtype=torch.long)
    with torch.no_grad():
        z1, z2 = torch.randn(256, 32), torch.randn(256, 32)
        a, b = gan.generator_(z1, labels, ref), gan.generator_(z2, labels, ref)
        q = gan.generator_(torch.round(z1 / 0.5) * 0.5, labels, ref)
    aug1 = random_affine(ref, generator=torch.Generator().manual_seed(1))
    aug2 = random_affine(ref, generator=torch.Generator().manual_seed(2))
    print(f"diversity_weight={weight}: two codes differ by {(a - b).abs().mean():.4f}; "
          f"a code and its 0.5-rounding by {(a - q).abs().mean():.4f}; "
          f"two affine draws of the reference by {(aug1 - aug2).abs().mean():.4f}")
