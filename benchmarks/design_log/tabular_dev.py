"""Design search for the tabular default (issue: tables first class). Development sets only.

Runs GANOverSampler variants through keel_tabular.run_one on the first repeat (5 folds) of a
subset of the development sets; the peers' rows come from the main benchmark's runs.jsonl
(same folds). Output: logs/tabular_dev.jsonl; ``--summarize`` writes logs/tabular_dev.md.

    python benchmarks/design_log/tabular_dev.py --jobs 2 [--variants ...] [--datasets ...]
    python benchmarks/design_log/tabular_dev.py --summarize
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
    "interp-600": dict(n_steps=600),
    "interp-lr1e-3": dict(learning_rate=1e-3),
    "interp-lr1e-3-600": dict(learning_rate=1e-3, n_steps=600),
    "interp-lr2e-3": dict(learning_rate=2e-3),
    "interp-lr1e-3-noema": dict(learning_rate=1e-3, ema_decay=None),
    "interp-lr1e-3-standard": dict(learning_rate=1e-3),
    "interp-lr1e-3-local": dict(learning_rate=1e-3),  # the residual in units of the local
    "interp-lr1e-3-local-tanh": dict(learning_rate=1e-3),  # scale; bounded: shipped (README)
}
# Measured with experimental switches, since removed: sampling references with weight
# 1 + w * (share of a row's 5 nearest rows, all classes, that belong to another class),
# ADASYN/ProWSyn-style emphasis on the class boundary (gan.py); and continuous columns
# standardised (x / max|x| - mean) / std, clipped to the range seen, instead of the quantile
# transform (tabular.py); both with learning_rate=1e-3. Rows named interp-* other than
# interp-lr1e-3-local(-tanh) ran before the residual was scaled by |neighbour - reference|.
BOUNDARY = {"interp-lr1e-3-bw1": 1.0, "interp-lr1e-3-bw4": 4.0}


class BoundaryWeighted:
    def __init__(self, weight, seed):
        raise RuntimeError("this experimental switch was removed after it measured no "
                           "better; its runs are in logs/tabular_dev.jsonl")
DATASETS = ["ecoli4", "glass2", "yeast_1_vs_7", "page_blocks_1_3_vs_4", "new_thyroid1",
            "car-good", "abalone9-18", "winequality_red_4", "abalone9_18", "flare-F"]


def _variant_forward(scaled, bounded):
    """The interpolating generator's forward, with the residual of continuous columns scaled by
    ``|neighbour - reference|`` (``scaled``) and bounded by ``tanh`` (``bounded``); the
    categorical logits' shift is scaled the same way, never bounded. ``(True, True)`` is the
    shipped design."""

    def forward(self, z, labels, reference, neighbour, lam):
        import torch

        from ganbalance.tabular_networks import decode_activation

        lam = lam.clamp(1e-4, 1 - 1e-4).unsqueeze(1)
        out = self.net(torch.cat([reference, neighbour, lam, z, self.embed(labels)], dim=1))
        t = torch.sigmoid(torch.logit(lam) + out[:, :1])
        base = reference + t * (neighbour - reference)
        scale = (neighbour - reference).abs() if scaled else torch.ones_like(base)
        shift = out[:, 1:] * scale
        residual = torch.tanh(out[:, 1:]) * scale if bounded else shift
        parts, last = [], 0
        for start, stop in self.slices:
            parts.append(base[:, last:start] + residual[:, last:start])
            block = torch.log(base[:, start:stop].clamp_min(1e-4))
            parts.append(block + shift[:, start:stop])
            last = stop
        parts.append(base[:, last:] + residual[:, last:])
        return decode_activation(torch.cat(parts, dim=1), self.slices)

    return forward


# The generator's forward pass each variant ran with: every variant but the two `local` ones
# ran before the scaling was added to the shipped generator.
FORWARDS = {"interp-lr1e-3-local-tanh": _variant_forward(scaled=True, bounded=True),
            "interp-lr1e-3-local": _variant_forward(scaled=True, bounded=False)}
UNSCALED = _variant_forward(scaled=False, bounded=False)


def make(name, seed, categorical):
    from ganbalance import GANOverSampler
    from ganbalance.tabular_networks import InterpolationGenerator

    if not hasattr(InterpolationGenerator, "_shipped_forward"):
        InterpolationGenerator._shipped_forward = InterpolationGenerator.forward
    if name in VARIANTS:
        InterpolationGenerator.forward = FORWARDS.get(name, UNSCALED)
    else:
        InterpolationGenerator.forward = InterpolationGenerator._shipped_forward

    if name in BOUNDARY or name == "interp-lr1e-3-standard":
        return BoundaryWeighted(BOUNDARY[name], seed)
    if name in VARIANTS:
        return GANOverSampler(random_state=seed, device="cpu", **VARIANTS[name])
    return ORIGINAL(name, seed, categorical)


ORIGINAL = k.make_sampler


def run(task):
    k.make_sampler = make
    import torch

    torch.set_num_threads(1)
    return k.run_one(task)


PEERS = ["SMOTE", "ADASYN", "ProWSyn", "polynom_fit_SMOTE_star"]
SEARCHES = {
    "first search (lr 2e-4)": ["interp-0", "interp-300", "interp-1000", "interp-300-sampleD",
                               "reference-300"],
    "second search": ["interp-300", "interp-600", "interp-lr1e-3", "interp-lr1e-3-600",
                      "interp-lr1e-3-bw1", "interp-lr1e-3-bw4", "interp-lr2e-3",
                      "interp-lr1e-3-noema"],
    "third search": ["interp-lr1e-3", "interp-lr1e-3-standard", "interp-lr1e-3-local",
                     "interp-lr1e-3-local-tanh"],
}


def summarize():
    """Mean rank (over sets, then classifiers) of each search's variants and the peers, on the
    (set, fold) pairs where every one of them ran."""
    import pandas as pd

    runs = [json.loads(line) for line in (HERE / "logs" / "tabular_dev.jsonl").open()]
    main_log = HERE.parent / "results" / "keel_tabular" / "runs.jsonl"
    runs += [r for r in map(json.loads, main_log.open()) if r["fold"] < 5
             and r["sampler"] in PEERS]
    frame = pd.DataFrame([{"dataset": r["dataset"], "fold": r["fold"], "sampler": r["sampler"],
                           "classifier": c, "fit": r["fit_seconds"], **v}
                          for r in runs for c, v in r["scores"].items()])
    lines = ["Written by `tabular_dev.py --summarize`. Mean rank over data sets (each the mean "
             "over the 4 classifiers of the rank among the rows shown; 1 is best), mean "
             "score, and median fit seconds (under load: several runs shared 2 cores).", ""]
    for title, variants in SEARCHES.items():
        rows = variants + PEERS
        part = frame[frame["sampler"].isin(rows)]
        pairs = part.groupby(["dataset", "fold"])["sampler"].nunique()
        pairs = pairs[pairs == len(rows)].index
        part = part.set_index(["dataset", "fold"]).loc[pairs].reset_index()
        sets = sorted(part["dataset"].unique())
        lines += [f"### {title}: {len(sets)} sets ({', '.join(sets)}), "
                  f"{len(pairs)} set-folds", "",
                  "| row | BA rank | AUC rank | BA | AUC | fit s |", "|---|---|---|---|---|---|"]
        table = {}
        for metric in ("balanced_accuracy", "roc_auc"):
            means = part.groupby(["dataset", "classifier", "sampler"])[metric].mean()
            ranks = means.unstack("sampler").rank(axis=1, ascending=False)
            table[metric] = (ranks.groupby(level="dataset").mean().mean(),
                             part.groupby("sampler")[metric].mean())
        fit = part.groupby("sampler")["fit"].median()
        for row in sorted(rows, key=lambda r: table["balanced_accuracy"][0][r]):
            lines.append(f"| {row} | {table['balanced_accuracy'][0][row]:.2f} | "
                         f"{table['roc_auc'][0][row]:.2f} | "
                         f"{table['balanced_accuracy'][1][row]:.4f} | "
                         f"{table['roc_auc'][1][row]:.4f} | {fit[row]:.2f} |")
        lines.append("")
    (HERE / "logs" / "tabular_dev.md").write_text("\n".join(lines))
    print("\n".join(lines))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS))
    parser.add_argument("--datasets", nargs="+", default=DATASETS)
    parser.add_argument("--summarize", action="store_true")
    args = parser.parse_args()
    if args.summarize:
        return summarize()
    log = HERE / "logs" / "tabular_dev.jsonl"
    done = set()
    if log.exists():
        done = {(r["dataset"], r["fold"], r["sampler"]) for r in map(json.loads, log.open())}
    todo = [t for t in k.tasks(args.datasets, args.variants, 5, 1)
            if (t[0], t[1], t[4]) not in done]
    with mp.get_context("spawn").Pool(args.jobs) as pool, log.open("a") as out:
        for r in pool.imap_unordered(run, todo):
            out.write(json.dumps(r) + "\n")
            out.flush()


if __name__ == "__main__":
    main()
