import numpy as np, torch, matplotlib; matplotlib.use("Agg"); import matplotlib.pyplot as plt
from ganbalance import GANOverSampler
from ganbalance.datasets import load_mnist, make_imbalanced_digits
m = load_mnist("../shared/data/mnist")
rows=[]
fig, axes = plt.subplots(6, 1, figsize=(12, 9))
i=0
for seed in (100, 104):
  X, y = make_imbalanced_digits(m.X_train/255., m.y_train, {1: 1, 2: 300, 3: 300}, random_state=seed)
  for steps in (800, 200, 100):
    import ganbalance.gan as gm
    s = GANOverSampler(image_shape=(1, 28, 28), device="cpu", random_state=seed, n_steps=steps)
    if steps == 800: gm.WARP_CRITIC_WIDTH, saved = 16, gm.WARP_CRITIC_WIDTH
    s.fit_resample(X, y)
    if steps == 800: gm.WARP_CRITIC_WIDTH = 8
    imgs = s.sample(16, y=1).reshape(16, 28, 28)
    axes[i].imshow(np.concatenate(list(imgs), axis=1), cmap="gray"); axes[i].set_title(f"seed {seed} steps {steps}", fontsize=8); axes[i].axis("off"); i+=1
plt.tight_layout(); plt.savefig("/tmp/prof/grid.png", dpi=80)
