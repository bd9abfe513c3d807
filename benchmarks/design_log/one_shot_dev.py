"""Design search for issue #19 (learned deformations), on development seeds only.

The one-shot protocol of ``benchmarks/one_shot.py`` (each digit in turn with one training image,
the others with 200; SmallCNN; all 10,000 test images), at development seeds 100 and up (the
benchmark reports seeds 0, 1, 2). Each variant is one sampler setting; the summary gives every
variant's balanced accuracy per digit and its paired difference to plain affine augmentation.
Resumable: rows already in the log are skipped.

    python benchmarks/design_log/one_shot_dev.py VARIANT [VARIANT ...] [--seeds 1]
    python benchmarks/design_log/one_shot_dev.py --summary   # writes logs/one_shot_dev.md
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ganbalance import AffineOverSampler, DeformationOverSampler, GANOverSampler
from ganbalance.augment import affine_matrices, elastic_flow, warp

HERE = Path(__file__).resolve().parent
LOGS = HERE / "logs" / "one_shot_dev"
DEV_SEEDS = (100, 101, 102)
_spec = importlib.util.spec_from_file_location("one_shot", HERE.parent / "one_shot.py")
one_shot = importlib.util.module_from_spec(_spec)
sys.modules["one_shot"] = one_shot  # its job function must pickle into the worker processes
_spec.loader.exec_module(one_shot)
SHAPE = one_shot.SHAPE


def _make(cls, kw, seed, quick):
    return cls(image_shape=SHAPE, random_state=seed, **kw)


class EmpiricalDeformations(DeformationOverSampler):
    """Draws registered warps themselves (a random pair, either direction), not a Gaussian."""

    def _draw(self, scaled, sources, fields, picks, generator):
        idx = torch.randint(len(fields), (len(picks),), generator=generator)
        sign = torch.randint(2, (len(picks), 1), generator=generator) * 2 - 1
        params = self.deformation_scale * sign * fields[idx]
        if self.augment:
            theta = affine_matrices(len(picks), generator=generator)
            params[:, :6] += theta.reshape(-1, 6) - torch.eye(2, 3).reshape(1, 6)
        return params


def _ink(images):
    return ((images + 1) / 2).sum(dim=(1, 2, 3)).clamp_min(1e-3)


def stroke_width(images, t):
    """Thicken (``t > 0``) or thin (``t < 0``) strokes: a blend with the 3x3 grey dilation or
    erosion, by ``|t|`` (``images`` in ``[-1, 1]``, ``-1`` the background)."""
    dilated = F.max_pool2d(images, 3, stride=1, padding=1)
    eroded = -F.max_pool2d(-images, 3, stride=1, padding=1)
    t = t.view(-1, 1, 1, 1)
    return torch.where(t > 0, images + t * (dilated - images), images + t * (images - eroded))


class ThicknessDeformations(DeformationOverSampler):
    """Also varies stroke width, by the spread of ink mass within the large classes: the
    pooled within-class std of log ink, measured on the training images."""

    def _fit_resample(self, X, y):
        from ganbalance._scaling import ImageScaler

        scaled = torch.as_tensor(ImageScaler().fit(X).transform(X)).view(-1, *SHAPE)
        logs = _ink(scaled).log().numpy()
        var = [logs[y == c].var() for c in np.unique(y) if np.sum(y == c) >= 2]
        self._log_ink_std = float(np.sqrt(np.mean(var)))
        self._images = scaled
        return super()._fit_resample(X, y)

    def _draw(self, scaled, sources, fields, picks, generator):
        params = super()._draw(scaled, sources, fields, picks, generator)
        images = self._images[picks]
        goal = _ink(images).log() + self._log_ink_std * torch.randn(len(picks),
                                                                     generator=generator)
        ink, up = _ink(images), _ink(F.max_pool2d(images, 3, stride=1, padding=1))
        down = _ink(-F.max_pool2d(-images, 3, stride=1, padding=1))
        goal = goal.exp()
        t = torch.where(goal > ink, (goal - ink) / (up - ink).clamp_min(1e-3),
                        -(ink - goal) / (ink - down).clamp_min(1e-3)).clamp(-1, 1)
        self._thickness = t
        return params


class _ThickDeform(ThicknessDeformations):
    """Applies the stroke width change before the warp (patching the module's deform)."""

    def _fit_resample(self, X, y):
        import ganbalance.deformation_sampler as ds

        original = ds.deform

        def deform(images, params, mapping, identity=None):
            return original(stroke_width(images, self._thickness), params, mapping, identity)

        ds.deform = deform
        try:
            return super()._fit_resample(X, y)
        finally:
            ds.deform = original


def _affine(**kw):  # picklable, for the worker processes
    return functools.partial(_make, AffineOverSampler, kw)


def _deform(**kw):
    return functools.partial(_make, DeformationOverSampler, kw)


class _ElasticDeform(DeformationOverSampler):
    """Adds Simard's elastic field (alpha 34, sigma 4) to every learned warp."""

    def _fit_resample(self, X, y):
        import ganbalance.deformation_sampler as ds
        from ganbalance.augment import elastic_flow, warp_grid

        original = ds.deform
        generator = torch.Generator().manual_seed(int(self.random_state) + 7)

        def deform(images, params, mapping, identity=None):
            n, _, h, w = images.shape
            full = torch.cat([torch.eye(2, 3).reshape(1, 6) + params[:, :6], params[:, 6:]], 1)
            grid = (full @ mapping).view(n, h, w, 2)
            flow = elastic_flow(n, h, w, 34.0, 4.0, generator)
            return warp_grid(images, grid + flow.permute(0, 2, 3, 1))

        ds.deform = deform
        try:
            return super()._fit_resample(X, y)
        finally:
            ds.deform = original


def affine_elastic(x, generator=None):
    """``random_affine`` followed by Simard's elastic field (alpha 34, sigma 4), one warp."""
    n, _, h, w = x.shape
    theta = affine_matrices(n, generator=generator, device=x.device).to(x.dtype)
    return warp(x, theta, elastic_flow(n, h, w, 34.0, 4.0, generator, x.device).to(x.dtype))


class _ElasticGAN(GANOverSampler):
    """The default GAN, its references and real images drawn with affine + elastic
    augmentation instead of affine alone (patching the two modules that augment)."""

    def _fit_resample(self, X, y):
        import ganbalance._gan_loop as loop
        import ganbalance.gan as gan

        original = loop.random_affine
        loop.random_affine = gan.random_affine = affine_elastic
        try:
            return super()._fit_resample(X, y)
        finally:
            loop.random_affine = gan.random_affine = original


#: name -> sampler factory(seed, quick)
VARIANTS = {
    "affine": _affine(),
    "elastic_a34_s4": _affine(elastic_alpha=34.0, elastic_sigma=4.0),
    "elastic_a20_s4": _affine(elastic_alpha=20.0, elastic_sigma=4.0),
    "elastic_a34_s6": _affine(elastic_alpha=34.0, elastic_sigma=6.0),
    "elastic_a50_s4": _affine(elastic_alpha=50.0, elastic_sigma=4.0),
    "deform": _deform(),
    "deform_scale1.5": _deform(deformation_scale=1.5),
    "deform_similar64": _deform(n_similar=64),
    "deform_no_affine": _deform(augment=False),
    "deform_empirical": functools.partial(_make, EmpiricalDeformations, {}),
    "deform_neighbours10": _deform(n_neighbours=10),
    "deform_elastic": functools.partial(_make, _ElasticDeform, {}),
    "deform_thickness": functools.partial(_make, _ThickDeform, {}),
    "gan": functools.partial(_make, GANOverSampler, {}),
    "gan_elastic": functools.partial(_make, _ElasticGAN, {}),
    "gan_elastic_400": functools.partial(_make, _ElasticGAN, {"n_steps": 400}),
}


def summary(rows):
    variants = [v for v in VARIANTS if any(r["method"] == v for r in rows)]
    s = one_shot.summarise(rows, variants, one_shot.DIGITS, baseline="affine")
    lines = ["# One-shot development runs (issue #19)", "",
             "Balanced accuracy in %, mean over the development seeds run; differences to "
             "affine augmentation are paired by digit and seed draw.", "",
             "| variant | seeds | " + " | ".join(map(str, one_shot.DIGITS))
             + " | mean | minus affine (mean / worst) | rare recall | resample s |",
             "|---" * (len(one_shot.DIGITS) + 6) + "|"]
    for v, e in s.items():
        n = min(p["n_seeds"] for p in e["per_digit"].values())
        cells = [f"{100 * e['per_digit'][d]['balanced_accuracy']:.2f}"
                 if d in e["per_digit"] else "" for d in one_shot.DIGITS]
        diff = e.get("minus_baseline_points", {"mean": float("nan"), "worst": float("nan")})
        lines.append(f"| {v} | {n} | " + " | ".join(cells) + f" | "
                     f"{100 * e['balanced_accuracy']:.2f} | {diff['mean']:+.2f} / "
                     f"{diff['worst']:+.2f} | {e['rare_recall']:.3f} | "
                     f"{e['resample_seconds']:.1f} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("variants", nargs="*", help=", ".join(VARIANTS))
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--summary", action="store_true")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.variants) - set(VARIANTS))
    if unknown:
        parser.error(f"unknown variants {unknown}; choose from {list(VARIANTS)}")
    args.quick = False
    LOGS.mkdir(parents=True, exist_ok=True)
    log = one_shot.results_io.RunLog(LOGS, resume=True,
                                     key=lambda r: (r["method"], r["digit"], r["seed"]))
    jobs = [(v, d, s) for s in DEV_SEEDS[:args.seeds] for v in args.variants
            for d in one_shot.DIGITS if (v, d, s) not in log.done]
    if jobs:
        one_shot.run_jobs(jobs, args, log, args.workers, factories=VARIANTS)
    if args.summary or jobs:
        rows = [json.loads(line) for line in log.path.read_text().splitlines()]
        (HERE / "logs" / "one_shot_dev.md").write_text(summary(rows))
        print(summary(rows))


if __name__ == "__main__":
    main()
