"""Design log: discriminator rejection on the tiny-class protocol (1/300/300; README.md).

Usage: python tiny_drs.py METHOD SEED [SEED ...]   (METHOD: gan, affine, random, drsN)
"""

import importlib.util
import sys
from pathlib import Path

import torch
from drs import RejectionGAN

torch.set_num_threads(1)
path = Path(__file__).resolve().parents[2] / "examples" / "mnist_imbalance.py"
spec = importlib.util.spec_from_file_location("mnist_imbalance", path)
example = importlib.util.module_from_spec(spec)
spec.loader.exec_module(example)
method, seeds = sys.argv[1], [int(s) for s in sys.argv[2:]]
if method.startswith("drs"):
    factor = int(method[3:])
    example.METHODS[method] = (method, lambda seed, quick: RejectionGAN(factor, seed))
_, data = example.load_data(None, False)
for seed in seeds:
    row, _ = example.run_one(method, seed, 1, data, False)
    print(f"{method} seed {seed}: balanced accuracy {row['balanced_accuracy']:.3f}, "
          f"recall of 1 {row['minority_recall']:.3f}", flush=True)
