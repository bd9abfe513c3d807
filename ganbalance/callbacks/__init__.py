"""Training callbacks for :class:`~ganbalance.ConditionalGAN`.

A callback is an instance of a :class:`Callback` subclass, which overrides the hooks it needs
(any object with the three methods of :class:`Callback` is accepted too). Plain functions are
accepted as well and are called as ``fn(gan, step, logs)`` after every step.

Ready callbacks, to watch a GAN learn:

* :class:`SnapshotGrid` draws samples from fixed noise every ``every`` steps (and at step 0),
  keeps them in memory and, when asked, saves each as a PNG grid and the whole progression as
  an animated GIF;
* :class:`LossPlot` records the two losses and plots them;
* :class:`DiscriminatorMonitor` records the discriminator's mean output on real and on
  generated samples, ``D(x)`` and ``D(G(z))``, and plots them.

None of them writes a file unless it is given a path. Plots need matplotlib and images need
Pillow, both imported only when a file is written: ``pip install ganbalance[examples]``.
"""

from .base import Callback
from .base import as_callbacks as as_callbacks  # for ganbalance.gan
from .plots import DiscriminatorMonitor, LossPlot
from .snapshots import SnapshotGrid, image_grid

__all__ = ["Callback", "DiscriminatorMonitor", "LossPlot", "SnapshotGrid", "image_grid"]

# The public classes keep the name they had when this package was one module, which save files
# (ganbalance.save) and pickles of a GAN with callbacks record, so that those files still load.
for _cls in (Callback, DiscriminatorMonitor, LossPlot, SnapshotGrid):
    _cls.__module__ = __name__
del _cls
