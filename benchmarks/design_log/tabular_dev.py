"""Design search for the tabular default (issue: tables first class). Development sets only.

Runs GANOverSampler variants through keel_tabular.run_one on the first repeat (5 folds) of a
subset of the development sets; the peers' rows come from the main benchmark's runs.jsonl
(same folds). Output: logs/tabular_dev.jsonl, then a summary table printed by --summarize.

    python benchmarks/design_log/tabular_dev.py --jobs 2
"""

import argparse
import json
import multiprocessing as mp
import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))
import keel_tabular as k  # noqa: E402

VARIANTS = {
    "interp-0": dict(n_steps=0),
    "interp-300": dict(),
    "interp-1000": dict(n_steps=1000),
    "interp-300-sampleD": dict(discriminator="sample"),
    "reference-300": dict(generator="reference"),
}
DATASETS = ["ecoli4", "glass2", "yeast_1_vs_7", "page_blocks_1_3_vs_4", "new_thyroid1",
            "car-good", "abalone9-18"]


def make(name, seed, categorical):
    from ganbalance import GANOverSampler

    if name in VARIANTS:
        return GANOverSampler(random_state=seed, device="cpu", **VARIANTS[name])
    return ORIGINAL(name, seed, categorical)


ORIGINAL = k.make_sampler


def run(task):
    k.make_sampler = make
    import torch

    torch.set_num_threads(1)
    return k.run_one(task)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS))
    args = parser.parse_args()
    log = HERE / "logs" / "tabular_dev.jsonl"
    done = set()
    if log.exists():
        done = {(r["dataset"], r["fold"], r["sampler"]) for r in map(json.loads, log.open())}
    todo = [t for t in k.tasks(DATASETS, args.variants, 5, 1)
            if (t[0], t[1], t[4]) not in done]
    with mp.get_context("spawn").Pool(args.jobs) as pool, log.open("a") as out:
        for r in pool.imap_unordered(run, todo):
            out.write(json.dumps(r) + "\n")
            out.flush()


if __name__ == "__main__":
    main()
