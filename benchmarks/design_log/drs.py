"""Discriminator rejection for the design-log runs: a GANOverSampler whose new rows are the best
``1 / factor`` of ``factor`` times as many draws, ranked by the fitted discriminator."""

import numpy as np
import torch

from ganbalance import GANOverSampler


class RejectionGAN:
    def __init__(self, factor, random_state, **settings):
        self.factor, self.random_state, self.settings = factor, random_state, settings

    def fit_resample(self, X, y):
        sampler = GANOverSampler(image_shape=(1, 28, 28), random_state=self.random_state,
                                 **self.settings)
        sampler.fit_resample(X, y)
        gan = next(iter(sampler.generators_.values()))
        D = gan.discriminator_.eval()
        X_parts, y_parts = [X], [y]
        for label, n_new in sampler.sampling_strategy_.items():
            if n_new == 0:
                continue
            cand = gan.sample(self.factor * n_new, y=label,
                              random_state=self.random_state * 100 + int(label))
            with torch.no_grad():
                imgs = torch.as_tensor(gan._scaler.transform(cand)).view(-1, 1, 28, 28)
                code = int(np.flatnonzero(gan.classes_ == label)[0])
                score = D(imgs, torch.full((len(imgs),), code)).numpy()
            keep = np.argsort(-score, kind="stable")[:n_new]
            X_parts.append(cand[keep].astype(X.dtype))
            y_parts.append(np.full(n_new, label, dtype=y.dtype))
        self.sampler_ = sampler
        return np.concatenate(X_parts), np.concatenate(y_parts)
