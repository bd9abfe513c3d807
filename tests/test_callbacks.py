"""Training callbacks: when they fire, what they record, which files they write (and don't)."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_classification

from ganbalance import ConditionalGAN
from ganbalance.callbacks import (
    Callback,
    DiscriminatorMonitor,
    LossPlot,
    SnapshotGrid,
    image_grid,
)

FAST = dict(image_shape=(1, 8, 8), generator="noise", batch_size=16, device="cpu",
            random_state=0)
ROOT = Path(__file__).resolve().parents[1]
MNIST = ROOT.parent / "shared" / "data" / "mnist"


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:300], y[:300]


class Recorder(Callback):
    def __init__(self):
        self.calls = []

    def on_train_begin(self, gan):
        self.calls.append(("begin", hasattr(gan, "generator_")))

    def on_step_end(self, gan, step, logs):
        self.calls.append(("step", step, sorted(logs)))

    def on_train_end(self, gan):
        self.calls.append(("end", gan.n_steps_))


def listing(folder):
    return sorted(str(p.relative_to(folder)) for p in Path(folder).rglob("*"))


def test_hooks_fire_in_order(digits):
    X, _ = digits
    rec = Recorder()
    ConditionalGAN(n_steps=4, callbacks=rec, **FAST).fit(X)
    keys = ["d_fake", "d_loss", "d_real", "diversity", "g_loss"]
    assert rec.calls == [("begin", True)] + [("step", s, keys) for s in (1, 2, 3, 4)] + [
        ("end", 4)]


def test_function_callback(digits):
    X, _ = digits
    seen = []
    ConditionalGAN(n_steps=3, callbacks=[lambda gan, step, logs: seen.append(
        (step, logs["d_loss"], isinstance(gan, ConditionalGAN)))], **FAST).fit(X)
    assert [s for s, _, _ in seen] == [1, 2, 3]
    assert all(np.isfinite(d) and ok for _, d, ok in seen)


@pytest.mark.parametrize("bad", [5, "snap", [SnapshotGrid(), 3], {"a": SnapshotGrid()}])
def test_bad_callbacks_raise_type_error(digits, bad):
    with pytest.raises(TypeError, match="callback"):
        ConditionalGAN(n_steps=2, callbacks=bad, **FAST).fit(digits[0])


def test_snapshot_steps_and_fixed_noise(digits):
    X, _ = digits
    snaps = SnapshotGrid(every=4, n_samples=6)
    gan = ConditionalGAN(n_steps=10, callbacks=[snaps], **FAST).fit(X)
    assert sorted(snaps.snapshots_) == [0, 4, 8, 10]  # step 0, every 4th, and the last
    assert all(s.shape == (6, 1, 8, 8) for s in snaps.snapshots_.values())
    # The last snapshot is what the trained GAN draws from the same noise.
    np.testing.assert_array_equal(snaps.snapshots_[10].reshape(6, -1),
                                  gan.sample(6, random_state=0))
    assert not np.array_equal(snaps.snapshots_[0], snaps.snapshots_[10])
    assert snaps.value_range_ == (X.min(), X.max())
    assert snaps.grid(4).shape == (22, 32) and snaps.grid(4).dtype == np.uint8  # 2 rows of 3
    assert snaps.grid(4, nrow=6).shape == (12, 62)
    with pytest.raises(KeyError, match="step 5"):
        snaps.grid(5)


def test_snapshot_every_divides_n_steps(digits):
    snaps = SnapshotGrid(every=5, n_samples=2)
    ConditionalGAN(n_steps=10, callbacks=[snaps], **FAST).fit(digits[0])
    assert sorted(snaps.snapshots_) == [0, 5, 10]


def test_refit_starts_afresh(digits):
    snaps = SnapshotGrid(every=3, n_samples=2)
    gan = ConditionalGAN(n_steps=6, callbacks=[snaps], **FAST).fit(digits[0])
    gan.set_params(n_steps=2).fit(digits[0])
    assert sorted(snaps.snapshots_) == [0, 2]


def test_callbacks_do_not_change_training(digits):
    X, _ = digits
    plain = ConditionalGAN(n_steps=6, **FAST).fit(X)
    watched = ConditionalGAN(n_steps=6, callbacks=[SnapshotGrid(every=2), LossPlot(),
                                                   DiscriminatorMonitor()], **FAST).fit(X)
    assert plain.history_ == watched.history_
    np.testing.assert_array_equal(plain.sample(5, random_state=1),
                                  watched.sample(5, random_state=1))


def test_conditional_snapshots(digits):
    X, y = digits
    snaps = SnapshotGrid(every=2, n_samples=4, y=[0, 1, 2, 3])
    ConditionalGAN(n_steps=2, callbacks=[snaps], **FAST).fit(X, y)
    assert sorted(snaps.snapshots_) == [0, 2]
    with pytest.raises(ValueError, match="y is required"):  # raised before the first step
        ConditionalGAN(n_steps=2, callbacks=[SnapshotGrid()], **FAST).fit(X, y)


def test_snapshot_grid_needs_images():
    X, _ = make_classification(n_samples=50, n_features=4, n_informative=2, n_redundant=0,
                               random_state=0)
    rec = Recorder()
    gan = ConditionalGAN(n_steps=3, device="cpu", callbacks=[SnapshotGrid(), rec])
    with pytest.raises(ValueError, match="image_shape"):
        gan.fit(X)
    assert rec.calls == []  # it failed before training


def test_losses_and_discriminator_recorded(digits):
    X, _ = digits
    losses, monitor = LossPlot(), DiscriminatorMonitor()
    gan = ConditionalGAN(n_steps=5, loss="bce", callbacks=[losses, monitor], **FAST).fit(X)
    assert losses.history_["step"] == monitor.history_["step"] == [1, 2, 3, 4, 5]
    for key in ("d_loss", "g_loss"):
        assert losses.history_[key] == gan.history_[key]
    for key in ("d_real", "d_fake"):
        assert monitor.history_[key] == gan.history_[key]
    np.testing.assert_allclose(monitor.history_["p_real"],
                               1 / (1 + np.exp(-np.array(gan.history_["d_real"]))))
    assert losses.loss_ == monitor.loss_ == "bce"
    # Plotting on demand works without writing anything.
    assert losses.plot().get_xlabel() == "step"
    assert monitor.plot().get_ylim() == (0.0, 1.0)  # probabilities for bce
    hinge = DiscriminatorMonitor(scale="auto")
    ConditionalGAN(n_steps=2, loss="hinge", callbacks=[hinge], **FAST).fit(X)
    assert hinge.plot().get_ylabel() == "mean logit"


def test_plot_before_fit_raises(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="fit the GAN"):
        LossPlot().plot()
    with pytest.raises(ValueError, match="fit the GAN"):
        SnapshotGrid().save_gif("never.gif")
    assert listing(tmp_path) == []


def test_discriminator_monitor_logs(digits, caplog):
    with caplog.at_level(logging.INFO, logger="ganbalance.callbacks"):
        ConditionalGAN(n_steps=4, callbacks=[DiscriminatorMonitor(log_every=2)],
                       **FAST).fit(digits[0])
    messages = [r.getMessage() for r in caplog.records if r.name == "ganbalance.callbacks"]
    assert [m.split(":")[0] for m in messages] == ["step 2", "step 4"]


def test_nothing_written_when_not_asked(digits, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    callbacks = [SnapshotGrid(every=2), LossPlot(), DiscriminatorMonitor()]
    ConditionalGAN(n_steps=4, callbacks=callbacks, **FAST).fit(digits[0])
    assert listing(tmp_path) == []


def test_files_written_where_asked(digits, tmp_path, monkeypatch):
    from PIL import Image

    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    out = tmp_path / "out"
    snaps = SnapshotGrid(every=3, n_samples=4, folder=out / "snaps", gif=out / "anim" / "p.gif",
                         scale=3)
    callbacks = [snaps, LossPlot(out / "losses.png"),
                 DiscriminatorMonitor(str(out / "d.svg"))]
    ConditionalGAN(n_steps=7, callbacks=callbacks, **FAST).fit(digits[0])
    assert listing(work) == []
    assert listing(out) == ["anim", "anim/p.gif", "d.svg", "losses.png", "snaps",
                            "snaps/step_000000.png", "snaps/step_000003.png",
                            "snaps/step_000006.png", "snaps/step_000007.png"]
    with Image.open(out / "snaps" / "step_000003.png") as png:
        assert png.size == (3 * 22, 3 * 22)  # a 2 x 2 grid of 8 x 8 images, enlarged 3 times
        np.testing.assert_array_equal(np.asarray(png)[::3, ::3], snaps.grid(3))
    with Image.open(out / "anim" / "p.gif") as gif:
        assert gif.n_frames == 4 == len(snaps.snapshots_)
        assert gif.info["loop"] == 0
    with Image.open(out / "losses.png") as png:
        assert png.format == "PNG"


def test_save_methods(digits, tmp_path):
    snaps, losses = SnapshotGrid(every=2, n_samples=3), LossPlot(smooth=1)
    ConditionalGAN(n_steps=4, callbacks=[snaps, losses], **FAST).fit(digits[0])
    assert snaps.save_gif(tmp_path / "x.gif") == tmp_path / "x.gif"
    assert losses.save(tmp_path / "l.png") == tmp_path / "l.png"
    assert listing(tmp_path) == ["l.png", "x.gif"]


@pytest.mark.parametrize("make, error", [
    (lambda: SnapshotGrid(every=0), ValueError),
    (lambda: SnapshotGrid(every=2.5), TypeError),
    (lambda: SnapshotGrid(n_samples=0), ValueError),
    (lambda: SnapshotGrid(random_state=None), TypeError),
    (lambda: SnapshotGrid(folder=3), TypeError),
    (lambda: SnapshotGrid(gif=["a.gif"]), TypeError),
    (lambda: SnapshotGrid(frame_duration=0), ValueError),
    (lambda: SnapshotGrid(scale=0), ValueError),
    (lambda: LossPlot(path=1.5), TypeError),
    (lambda: LossPlot(smooth=0), ValueError),
    (lambda: DiscriminatorMonitor(scale="log"), ValueError),
    (lambda: DiscriminatorMonitor(log_every=0), ValueError),
])
def test_bad_parameters(make, error):
    with pytest.raises(error):
        make()


def test_image_grid():
    grey = image_grid(np.arange(5 * 64).reshape(5, 64), (1, 8, 8))
    assert grey.shape == (22, 32) and grey.dtype == np.uint8  # 3 per row, 2 rows
    assert grey.max() == 255 and grey[0].max() == 0  # own range; black padding
    rgb = image_grid(np.full((2, 3, 8, 8), 0.5), (3, 8, 8), nrow=1, value_range=(0, 1))
    assert rgb.shape == (22, 12, 3) and rgb[2, 2, 0] == 128
    clipped = image_grid(np.full((1, 64), 9.0), (1, 8, 8), padding=0, value_range=(0, 1))
    assert clipped.shape == (8, 8) and (clipped == 255).all()
    with pytest.raises(ValueError, match="C=2"):
        image_grid(np.zeros((1, 128)), (2, 8, 8))
    with pytest.raises(ValueError, match="whole"):
        image_grid(np.zeros((1, 65)), (1, 8, 8))
    with pytest.raises(ValueError, match="at least one"):
        image_grid(np.zeros((0, 64)), (1, 8, 8))


@pytest.mark.skipif(not MNIST.is_dir(), reason="needs the MNIST files in ../shared/data/mnist")
def test_example_quick(tmp_path):
    out = tmp_path / "results"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    run = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "mnist_vanilla_gan.py"), "--quick",
         "--data-home", str(MNIST), "--out", str(out), "--threads", "1"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "MNIST source: idx" in run.stdout
    assert sorted(p.name for p in out.iterdir()) == [
        "discriminator.png", "grid_steps.png", "losses.png", "progress.gif", "results.json",
        "results.md"]
    assert listing(tmp_path) == ["results"] + [f"results/{p}" for p in sorted(
        p.name for p in out.iterdir())]
