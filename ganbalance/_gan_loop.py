"""The training loop of :class:`~ganbalance.gan.ConditionalGAN`, as in DCGAN's
``main.py``: draw a batch, one discriminator step, one generator step, the moving average of
the generator's weights. A mixin, so that the steps are methods of the estimator that a
subclass can override (as skorch's ``train_step``)."""

from __future__ import annotations

import torch

from ._random import child_seed
from ._training import DIVERGED_HINT, run_steps
from .augment import diff_augment, random_affine
from .losses import LOSSES, mode_seeking

__all__ = ["TrainingLoopMixin"]

#: The losses the progress bar shows.
_POSTFIX = {"d": "{d_loss:.3f}", "g": "{g_loss:.3f}"}


class TrainingLoopMixin:
    """Batches, steps and the weight average of a conditional GAN.

    The estimator provides its parameters and the fitted state that ``_prepare`` sets
    (``_references``, ``class_counts_``, ``_class_starts``, ``_neighbours``, ``_seed``,
    ``n_steps_``, ``learning_rate_``, ``discriminator_type_``, ``history_``), and the networks
    ``_generator_raw``, ``generator_`` and ``discriminator_``.
    """

    def _draw_indices(self, classes, generator):
        """Row indices into the class-sorted reference table, one per entry of ``classes``."""
        counts = torch.as_tensor(self.class_counts_)[classes]
        starts = torch.as_tensor(self._class_starts)[classes]
        offsets = (torch.rand(len(classes), generator=generator) * counts).long()
        return starts + torch.minimum(offsets, counts - 1)

    def _context(self, index, data, generator):
        """What the generator takes besides ``(z, labels)``, for reference rows ``index``:
        ``(reference,)``, or ``(reference, neighbour, lam)`` for the interpolating generator."""
        reference = data[index]
        if self._neighbours is None:
            return (reference,)
        table = torch.as_tensor(self._neighbours)
        pick = torch.randint(table.shape[1], (len(index),), generator=generator)
        neighbour = data[table[index.cpu(), pick].to(data.device)]
        lam = torch.rand(len(index), generator=generator).to(data.device)
        return reference, neighbour, lam

    def _train(self, device, callbacks):
        """Alternate discriminator and generator steps, as in DCGAN's loop.

        This method holds the GAN's part (the optimizers, the data on ``device``, the random
        stream, and each step: a batch, :meth:`train_step`, the weight average);
        :func:`~ganbalance._training.run_steps` does the rest (progress bar, ``history_``,
        divergence checks, ``callbacks``).
        """
        G, D = self._generator_raw, self.discriminator_
        opt_g = torch.optim.Adam(G.parameters(), lr=self.learning_rate_, betas=(0.5, 0.999))
        opt_d = torch.optim.Adam(D.parameters(), lr=self.learning_rate_, betas=(0.5, 0.999))
        data = torch.as_tensor(self._references)
        if self.image_shape is not None:
            data = data.view(-1, *self.image_shape)
        data = data.to(device)
        gen = torch.Generator().manual_seed(child_seed(self._seed, 1))
        G.train()
        D.train()

        def step(i):
            """Step ``i``: one batch, one training step, the weight average."""
            batch = self._draw_batch(data, gen, device)
            logs = self.train_step(G, D, opt_g, opt_d, batch, gen)
            if self.ema_decay is not None:
                self._update_ema(i)
            return logs

        run_steps(self, step, self.n_steps_, self.history_, hint=DIVERGED_HINT, desc="GAN",
                  postfix=_POSTFIX, callbacks=callbacks, bounded=("d_loss", "g_loss"))

    def _draw_batch(self, data, gen, device):
        """One step's inputs: ``(labels, real, context, z)``. Classes are drawn equally often
        (``class_balance``) or as often as they have rows; ``context`` holds what the
        generator takes besides ``(z, labels)`` (see :meth:`_context`)."""
        n_classes = len(self.class_counts_)
        size = min(self.batch_size, max(2, len(data)))
        if self.class_balance:
            classes = torch.randint(n_classes, (size,), generator=gen)
        else:
            class_of_row = torch.repeat_interleave(torch.arange(n_classes),
                                                   torch.as_tensor(self.class_counts_))
            classes = class_of_row[torch.randint(len(class_of_row), (size,), generator=gen)]
        real = self._real_rows(data, classes, gen, device)
        if self.image_shape is not None:  # images: an augmented real image as the reference
            context = (self._real_rows(data, classes, gen, device),)
        else:
            context = self._context(self._draw_indices(classes, gen).to(device), data, gen)
        z = torch.randn(size, self.latent_dim, generator=gen).to(device)
        return classes.to(device), real, context, z

    def _real_rows(self, data, classes, gen, device):
        """Real rows of ``classes``, randomly affine-transformed for images with ``augment``."""
        x = data[self._draw_indices(classes, gen).to(device)]
        if self.image_shape is not None and self.augment:
            x = random_affine(x, generator=gen)
        return x

    def _view(self, x, reference, gen):
        """What the discriminator sees: the sample, or the ``(reference, sample)`` pair, with
        one DiffAugment transform applied to both halves (images with ``diff_augment``)."""
        if self.discriminator_type_ == "pair":
            x = torch.cat([reference, x], dim=1)
        if self.image_shape is not None and self.diff_augment:
            x = diff_augment(x, generator=gen)
        return x

    def train_step(self, G, D, opt_g, opt_d, batch, gen):
        """One discriminator and one generator update on ``batch``, with one generator
        forward; returns the step's logs. Override to change a step."""
        labels, real, context, z = batch
        fake = G(z, labels, *context)
        logs = self.discriminator_step(D, opt_d, real, fake.detach(), labels, context[0], gen)
        logs.update(self.generator_step(G, D, opt_g, fake, batch, gen))
        return logs

    def discriminator_step(self, D, opt_d, real, fake, labels, reference, gen):
        """Real rows up, generated ones down (``fake`` is detached from the generator)."""
        d_loss_fn = LOSSES[self.loss][0]
        d_real = D(self._view(real, reference, gen), labels)
        d_fake = D(self._view(fake, reference, gen), labels)
        d_loss = d_loss_fn(d_real, d_fake)
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()
        return {"d_loss": d_loss.item(), "d_real": d_real.mean().item(),
                "d_fake": d_fake.mean().item()}

    def generator_step(self, G, D, opt_g, fake, batch, gen):
        """Fool the discriminator, and (``diversity_weight``) map different codes to different
        samples."""
        labels, _, context, z = batch
        g_loss_fn = LOSSES[self.loss][1]
        D.requires_grad_(False)
        g_loss = g_loss_fn(D(self._view(fake, context[0], gen), labels))
        diversity = torch.zeros(())
        g_total = g_loss
        if self.diversity_weight > 0:
            z2 = torch.randn(len(z), self.latent_dim, generator=gen).to(z.device)
            diversity = mode_seeking(fake, G(z2, labels, *context), z, z2)
            g_total = g_loss + self.diversity_weight * diversity
        opt_g.zero_grad(set_to_none=True)
        g_total.backward()
        opt_g.step()
        D.requires_grad_(True)
        return {"g_loss": g_loss.item(), "diversity": diversity.item()}

    @torch.no_grad()
    def _update_ema(self, step):
        decay = min(self.ema_decay, (1.0 + step) / (10.0 + step))
        average, current = self.generator_, self._generator_raw
        for p_avg, p in zip(average.parameters(), current.parameters(), strict=True):
            p_avg.lerp_(p, 1.0 - decay)
        for b_avg, b in zip(average.buffers(), current.buffers(), strict=True):
            b_avg.copy_(b)
