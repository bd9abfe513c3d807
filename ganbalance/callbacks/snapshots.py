"""Pictures of the generator's samples: :func:`image_grid` and the :class:`SnapshotGrid`
callback."""

from __future__ import annotations

import math

import numpy as np

from .._optional import import_optional
from .._validation import check_float, check_image_shape, check_int
from .base import _INSTALL_HINT, Callback, _check_path, logger

__all__ = ["SnapshotGrid", "image_grid"]


def _import_pil():
    message = f"Writing PNG and GIF images needs Pillow. {_INSTALL_HINT}"
    return import_optional("PIL.Image", message), import_optional("PIL.ImageDraw", message)


def image_grid(images, image_shape, nrow=None, *, padding=2, pad_value=0, value_range=None):
    """Lay out images side by side in one 8-bit picture.

    Parameters
    ----------
    images : array-like of shape (n_images, C*H*W) or (n_images, C, H, W)
        The images, flattened or not, e.g. the output of ``ConditionalGAN.sample``.
    image_shape : tuple of int (C, H, W)
        Shape of one image; ``C`` must be 1 (grey) or 3 (RGB).
    nrow : int, default=None
        Images per row of the grid (as in torchvision's ``make_grid``). ``None`` makes the grid
        as square as possible.
    padding : int, default=2
        Pixels around and between the images.
    pad_value : int, default=0
        Grey level (0 to 255) of the padding: 0 is black.
    value_range : tuple of float (low, high), default=None
        Pixel values mapped to 0 and 255; values outside are clipped. ``None`` uses the images'
        own minimum and maximum.

    Returns
    -------
    grid : ndarray of uint8
        Shape ``(rows, cols)`` for grey images, ``(rows, cols, 3)`` for RGB, with
        ``rows = n_rows * (H + padding) + padding`` and likewise for the columns.

    Examples
    --------
    >>> import numpy as np
    >>> from ganbalance.callbacks import image_grid
    >>> grid = image_grid(np.ones((6, 64)), (1, 8, 8), nrow=3, value_range=(0, 1))
    >>> grid.shape, grid.dtype, int(grid.max())
    ((22, 32), dtype('uint8'), 255)
    """
    shape = check_image_shape(image_shape)
    if shape is None:
        raise ValueError("image_shape is required: (C, H, W).")
    c, h, w = shape
    if c not in (1, 3):
        raise ValueError(f"image_grid draws grey (C=1) or RGB (C=3) images; got C={c}.")
    images = np.asarray(images, dtype=np.float64)
    if images.ndim < 1 or images.size == 0:
        raise ValueError("images must hold at least one image.")
    if images.size % (c * h * w) != 0:
        raise ValueError(f"images of shape {images.shape} do not hold whole {shape} images.")
    images = images.reshape(-1, c, h, w)
    n = len(images)
    nrow = math.ceil(math.sqrt(n)) if nrow is None else check_int(nrow, "nrow")
    padding = check_int(padding, "padding", minimum=0)
    pad_value = check_int(pad_value, "pad_value", minimum=0)
    if pad_value > 255:
        raise ValueError(f"pad_value must be <= 255; got {pad_value}.")
    if value_range is None:
        low, high = float(images.min()), float(images.max())
    else:
        low, high = (float(v) for v in value_range)
    if not (np.isfinite(low) and np.isfinite(high)):
        raise ValueError(f"value_range must be finite; got {(low, high)}.")
    if high <= low:
        high = low + 1.0
    pixels = np.clip((images - low) / (high - low), 0.0, 1.0)
    pixels = np.round(pixels * 255.0).astype(np.uint8).transpose(0, 2, 3, 1)  # n, h, w, c
    cols, rows = min(nrow, n), math.ceil(n / nrow)
    grid = np.full((rows * (h + padding) + padding, cols * (w + padding) + padding, c),
                   pad_value, dtype=np.uint8)
    for i, image in enumerate(pixels):
        top = padding + (i // nrow) * (h + padding)
        left = padding + (i % nrow) * (w + padding)
        grid[top:top + h, left:left + w] = image
    return grid[:, :, 0] if c == 1 else grid


_PAD_VALUE = 80  # dark grey: separates the images on black and on white backgrounds


class SnapshotGrid(Callback):
    """Samples from fixed noise at step 0 and every ``every`` steps: watch the GAN learn.

    Each snapshot calls ``gan.sample(n_samples, y=y, random_state=random_state)``, so every
    snapshot uses the same latent codes and the pictures differ only by what the generator has
    learned. Snapshots are taken before the first step (step 0), after every ``every``-th step
    and after the last step. Sampling does not touch the training's random streams: a GAN
    trained with this callback learns exactly what it learns without it.

    Parameters
    ----------
    every : int, default=100
        Steps between snapshots.
    n_samples : int, default=16
        Samples per snapshot.
    y : label or array-like of shape (n_samples,), default=None
        The class of the samples, for a conditional GAN; must be None for an unconditional one.
    random_state : int, default=0
        Seed of the fixed noise.
    nrow : int, default=None
        Images per row in the saved grids; ``None`` makes them as square as possible.
    folder : str or path, default=None
        Save each snapshot as ``step_000100.png`` (and so on) in this folder, created if needed,
        as soon as it is taken. ``None`` writes no PNG.
    gif : str or path, default=None
        Write an animated GIF of all snapshots to this file when training ends. ``None``
        writes no GIF.
    frame_duration : float, default=0.4
        Seconds each GIF frame is shown; the last one is held four times as long.
    scale : int, default=2
        Enlarge the saved PNG and GIF images by this factor (nearest neighbour).

    Attributes
    ----------
    snapshots_ : dict of int to ndarray of shape (n_samples, C, H, W)
        The samples of each snapshot, keyed by step, in the GAN's feature space.
    value_range_ : tuple of float
        The pixel range of the training data, mapped to black and white in the grids.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from ganbalance import ConditionalGAN
    >>> from ganbalance.callbacks import SnapshotGrid
    >>> X, _ = load_digits(return_X_y=True)
    >>> snaps = SnapshotGrid(every=5, n_samples=4)
    >>> gan = ConditionalGAN(image_shape=(1, 8, 8), generator="noise", n_steps=12,
    ...                      callbacks=[snaps], random_state=0, device="cpu").fit(X)
    >>> sorted(snaps.snapshots_), snaps.snapshots_[10].shape
    ([0, 5, 10, 12], (4, 1, 8, 8))
    >>> snaps.grid(12).shape  # a 2 x 2 grid of 8 x 8 images, uint8
    (22, 22)
    """

    def __init__(self, every=100, n_samples=16, *, y=None, random_state=0, nrow=None,
                 folder=None, gif=None, frame_duration=0.4, scale=2):
        self.every = check_int(every, "every")
        self.n_samples = check_int(n_samples, "n_samples")
        self.y = y
        self.random_state = check_int(random_state, "random_state", minimum=0)
        self.nrow = None if nrow is None else check_int(nrow, "nrow")
        self.folder = _check_path(folder, "folder")
        self.gif = _check_path(gif, "gif")
        self.frame_duration = check_float(frame_duration, "frame_duration",
                                          low_inclusive=False)
        self.scale = check_int(scale, "scale")

    def on_train_begin(self, gan):
        if gan.image_shape is None:
            raise ValueError(
                "SnapshotGrid draws image grids and needs a GAN with image_shape set; this GAN "
                "trains on tabular rows. Use LossPlot or DiscriminatorMonitor to watch it."
            )
        shape = check_image_shape(gan.image_shape)
        if shape[0] not in (1, 3):
            raise ValueError(f"SnapshotGrid draws grey (C=1) or RGB (C=3) images; got "
                             f"image_shape={shape}.")
        if self.folder is not None or self.gif is not None:
            _import_pil()  # fail before training, not after it
        self.image_shape_ = shape
        scaler = getattr(gan, "_scaler", None)
        self.value_range_ = ((scaler.low_, scaler.high_) if hasattr(scaler, "low_")
                             else (None, None))
        self.snapshots_ = {}
        self._take(gan, 0)

    def on_step_end(self, gan, step, logs):
        if step % self.every == 0 or step == gan.n_steps:
            self._take(gan, step)

    def on_train_end(self, gan):
        if self.gif is not None:
            self.save_gif(self.gif)

    def _take(self, gan, step):
        images = gan.sample(self.n_samples, y=self.y, random_state=self.random_state)
        self.snapshots_[step] = images.reshape(-1, *self.image_shape_)
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._image(step).save(self.folder / f"step_{step:06d}.png")
            logger.debug("Saved snapshot of step %d in %s", step, self.folder)

    def grid(self, step, nrow="default"):
        """The snapshot of ``step`` as one uint8 picture (see :func:`image_grid`).

        Parameters
        ----------
        step : int
            A key of ``snapshots_``.
        nrow : int or None, default='default'
            Images per row; 'default' uses the callback's ``nrow``.

        Returns
        -------
        grid : ndarray of uint8
            ``(rows, cols)`` for grey images, ``(rows, cols, 3)`` for RGB, unscaled.
        """
        if step not in getattr(self, "snapshots_", {}):
            raise KeyError(f"No snapshot at step {step}; steps: {sorted(self.snapshots_)}"
                           if hasattr(self, "snapshots_") else "No snapshot taken yet.")
        low, high = self.value_range_
        return image_grid(self.snapshots_[step], self.image_shape_,
                          self.nrow if nrow == "default" else nrow, pad_value=_PAD_VALUE,
                          value_range=None if low is None else (low, high))

    def _image(self, step, caption=False):
        """The scaled grid of ``step`` as a PIL image, with a 'step N' strip on top if asked."""
        Image, ImageDraw = _import_pil()
        grid = self.grid(step)
        grid = grid.repeat(self.scale, axis=0).repeat(self.scale, axis=1)
        if caption:
            strip = np.zeros((14, *grid.shape[1:]), dtype=np.uint8)
            grid = np.concatenate([strip, grid])  # a black strip for the caption
        image = Image.fromarray(grid)
        if caption:
            ImageDraw.Draw(image).text((3, 1), f"step {step}",
                                       fill=255 if image.mode == "L" else (255, 255, 255))
        return image

    def save_gif(self, path):
        """Write all snapshots, in step order, as an animated GIF that loops.

        Parameters
        ----------
        path : str or path
            The GIF file; its folder is created if needed.

        Returns
        -------
        path : Path
            The file written.
        """
        path = _check_path(path, "path")
        if not getattr(self, "snapshots_", None):
            raise ValueError("No snapshot taken yet: fit the GAN with this callback first.")
        steps = sorted(self.snapshots_)
        frames = [self._image(step, caption=True) for step in steps]
        ms = int(round(1000 * self.frame_duration))
        durations = [ms] * (len(frames) - 1) + [4 * ms]
        path.parent.mkdir(parents=True, exist_ok=True)
        frames[0].save(path, save_all=True, append_images=frames[1:], duration=durations,
                       loop=0)
        logger.debug("Saved a GIF of %d snapshots to %s", len(frames), path)
        return path
