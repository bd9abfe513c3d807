"""ganbalance.save / ganbalance.load: a safe file format for every estimator."""

import io
import os
import pickle
import warnings
import zipfile

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from torch import nn

import ganbalance
from ganbalance import (
    AffineOverSampler,
    ConditionalGAN,
    GANOverSampler,
    ReferenceDenoiser,
    TorchClassifier,
)
from ganbalance._scaling import RowScaler
from ganbalance.datasets import make_reference_mixtures
from ganbalance.models import MLP
from ganbalance.persistence import FORMAT, VERSION, save

pytestmark = pytest.mark.usefixtures("one_torch_thread")

GAN = dict(image_shape=(1, 8, 8), n_steps=5, device="cpu", random_state=0)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(n_class=3, return_X_y=True)
    keep = np.r_[np.flatnonzero(y == 0)[:30], np.flatnonzero(y == 1)[:30],
                 np.flatnonzero(y == 2)[:6]]
    return X[keep], y[keep]


@pytest.fixture(scope="module")
def blobs():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 4)).astype(np.float32)
    return X, np.array(["a", "b", "c"], dtype=object)[(X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)]


@pytest.fixture(scope="module")
def mixtures():
    images = np.random.default_rng(0).random((24, 8, 8)).astype(np.float32)
    return make_reference_mixtures(images, random_state=0)


def round_trip(estimator, tmp_path, **external):
    path = tmp_path / "model.pt"
    save(estimator, path, external=tuple(external))
    return ganbalance.load(path, **external)


class EachCall(nn.Module):
    """A user's own module class: not something a save file may name."""

    def __init__(self, n_features, n_classes):
        super().__init__()
        self.linear = nn.Linear(n_features, n_classes)

    def forward(self, x):
        return self.linear(x)


# --------------------------------------------------------------------------- estimators


def test_classifier_round_trip(blobs, tmp_path):
    X, y = blobs
    clf = TorchClassifier(MLP, module__hidden=8, optimizer=torch.optim.SGD,
                          optimizer__momentum=0.9, lr=0.05, max_epochs=3,
                          class_weight="balanced", device="cpu", random_state=0).fit(X, y)
    clf.save(tmp_path / "clf.pt")
    loaded = ganbalance.load(tmp_path / "clf.pt")
    assert type(loaded) is TorchClassifier
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    assert loaded.classes_.dtype == object and list(loaded.classes_) == ["a", "b", "c"]
    assert loaded.get_params()["module"] is MLP
    assert loaded.get_params()["optimizer"] is torch.optim.SGD
    assert loaded.get_params()["module__hidden"] == 8
    assert loaded.history_ == clf.history_ and loaded.seed_ == clf.seed_
    np.testing.assert_array_equal(loaded.criterion_.weight, clf.criterion_.weight)
    # Training goes on identically: the optimizer's momentum buffers came along.
    loaded.partial_fit(X, y)
    clf.partial_fit(X, y)
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def test_unfitted_round_trip(tmp_path):
    clf = TorchClassifier(MLP, module__hidden=(4, 3), criterion=nn.CrossEntropyLoss,
                          random_state=np.random.RandomState(3))
    loaded = round_trip(clf, tmp_path)
    params, expected = loaded.get_params(), clf.get_params()
    assert params.pop("random_state").randint(1000) == expected.pop("random_state").randint(1000)
    assert params == expected
    assert not hasattr(loaded, "module_")


def test_gan_sampling_stream_continues(digits, tmp_path):
    X, y = digits
    gan = ConditionalGAN(**GAN).fit(X, y)
    gan.sample(5, y=1)
    gan.sample(5, y=2)
    path = tmp_path / "gan.pt"
    save(gan, path)
    loaded = ganbalance.load(path)
    assert type(loaded) is ConditionalGAN
    for _ in range(2):
        np.testing.assert_array_equal(loaded.sample(5, y=1), gan.sample(5, y=1))
    np.testing.assert_array_equal(loaded.sample(4, y=0, random_state=7),
                                  gan.sample(4, y=0, random_state=7))
    assert not loaded.generator_.training
    assert loaded.history_ == gan.history_


def test_over_sampler_round_trip_keeps_the_shared_gan_shared(digits, tmp_path):
    X, y = digits
    sampler = GANOverSampler(**GAN)
    X_res, _ = sampler.fit_resample(X, y)
    loaded = round_trip(sampler, tmp_path)
    assert loaded.generators_[0] is loaded.generators_[1] is loaded.generators_[2]
    assert loaded.sampling_strategy_ == sampler.sampling_strategy_
    np.testing.assert_array_equal(loaded.sample(5, y=2), sampler.sample(5, y=2))
    np.testing.assert_array_equal(loaded.sample(5, y=0), sampler.sample(5, y=0))
    assert loaded.device_ == "cpu"


def test_denoiser_round_trip(mixtures, tmp_path):
    mix, ref, target = mixtures
    for weight in (0.0, 0.01):
        den = ReferenceDenoiser(adversarial_weight=weight, width=4, n_blocks=1, n_steps=4,
                                batch_size=8, device="cpu", random_state=0)
        den.fit(mix, ref, target)
        den.save(tmp_path / "den.pt")
        loaded = ganbalance.load(tmp_path / "den.pt")
        np.testing.assert_array_equal(loaded.predict(mix, ref), den.predict(mix, ref))
        assert (loaded.discriminator_ is None) == (weight == 0)
        assert loaded.image_shape_ == den.image_shape_ and loaded.history_ == den.history_
        # The file names the public class, as files written before ganbalance.denoise was
        # a package do, so both load.
        wrapper = torch.load(tmp_path / "den.pt", weights_only=True)
        body = io.BytesIO(np.asarray(wrapper["payload"].numpy()).tobytes())
        payload = torch.load(body, weights_only=True)
        assert payload["class"] == "ganbalance.denoise.ReferenceDenoiser"


def test_affine_sampler_round_trip(digits, tmp_path):
    X, y = digits
    sampler = AffineOverSampler(image_shape=(1, 8, 8), scale=(0.8, 1.2), random_state=0)
    first = sampler.fit_resample(X, y)[0]
    loaded = round_trip(sampler, tmp_path)
    assert loaded.scale == (0.8, 1.2) and loaded.sampling_strategy_ == sampler.sampling_strategy_
    np.testing.assert_array_equal(loaded.fit_resample(X, y)[0], first)


def test_save_method_and_module_function_agree(blobs, tmp_path):
    X, y = blobs
    clf = TorchClassifier(MLP, max_epochs=1, device="cpu", random_state=0).fit(X, y)
    clf.save(tmp_path / "a.pt")
    ganbalance.save(clf, tmp_path / "b.pt")
    a, b = ganbalance.load(tmp_path / "a.pt"), ganbalance.load(tmp_path / "b.pt")
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_load_leaves_the_global_random_state_alone(digits, tmp_path):
    X, y = digits
    gan = ConditionalGAN(**GAN).fit(X, y)
    save(gan, tmp_path / "gan.pt")
    torch_state, np_state = torch.get_rng_state(), np.random.get_state()
    ganbalance.load(tmp_path / "gan.pt").sample(3, y=0)
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.array_equal(np.random.get_state()[1], np_state[1])


# --------------------------------------------------------------------------- devices


def _as_if_trained_on_cuda(estimator):
    estimator.device_ = "cuda:0"
    for gan in getattr(estimator, "generators_", {}).values():
        gan.device_ = "cuda:0"
    return estimator


def test_model_saved_on_cuda_loads_on_cpu_at_every_level(digits, blobs, mixtures, tmp_path,
                                                         monkeypatch):
    X, y = digits
    sampler = GANOverSampler(**GAN)
    sampler.fit_resample(X, y)
    clf = TorchClassifier(MLP, max_epochs=1, device="cpu", random_state=0).fit(*blobs)
    den = ReferenceDenoiser(width=4, n_blocks=1, n_steps=2, batch_size=4, device="cpu",
                            random_state=0).fit(*mixtures)
    expected = (sampler.sample(3, y=2, random_state=0), clf.predict_proba(blobs[0]),
                den.predict(*mixtures[:2]))
    for i, estimator in enumerate((sampler, clf, den)):
        save(_as_if_trained_on_cuda(estimator), tmp_path / f"{i}.pt")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(UserWarning, match="loaded onto the CPU"):
        sampler, clf, den = (ganbalance.load(tmp_path / f"{i}.pt") for i in range(3))
    assert sampler.device_ == "cpu"
    assert {gan.device_ for gan in sampler.generators_.values()} == {"cpu"}
    assert clf.device_ == "cpu" and den.device_ == "cpu"
    assert next(clf.module_.parameters()).device.type == "cpu"
    np.testing.assert_array_equal(sampler.sample(3, y=2, random_state=0), expected[0])
    np.testing.assert_array_equal(clf.predict_proba(blobs[0]), expected[1])
    np.testing.assert_array_equal(den.predict(*mixtures[:2]), expected[2])


def test_pickle_of_cuda_classifier_and_denoiser_loads_on_cpu(blobs, mixtures, monkeypatch):
    clf = TorchClassifier(MLP, max_epochs=1, device="cpu", random_state=0).fit(*blobs)
    den = ReferenceDenoiser(width=4, n_blocks=1, n_steps=2, batch_size=4, device="cpu",
                            random_state=0).fit(*mixtures)
    blobs_out = [pickle.dumps(_as_if_trained_on_cuda(est)) for est in (clf, den)]
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(UserWarning, match="loaded onto the CPU"):
        loaded = [pickle.loads(b) for b in blobs_out]
    assert [est.device_ for est in loaded] == ["cpu", "cpu"]


# --------------------------------------------------------------------------- values not stored


def test_user_class_needs_external(blobs, tmp_path):
    X, y = blobs
    clf = TorchClassifier(EachCall, max_epochs=2, device="cpu", random_state=0).fit(X, y)
    with pytest.raises(TypeError, match=r"TorchClassifier\.module is the class .*EachCall.*"
                                        r"external=\['module'\].*load\(path, module=\.\.\.\)"):
        save(clf, tmp_path / "clf.pt")
    assert not (tmp_path / "clf.pt").exists()  # nothing is written when saving fails
    clf.save(tmp_path / "clf.pt", external=["module"])
    with pytest.raises(ValueError, match=r"load\(path, module=\.\.\.\)"):
        ganbalance.load(tmp_path / "clf.pt")
    with pytest.raises(ValueError, match="does not ask for"):
        ganbalance.load(tmp_path / "clf.pt", module=EachCall, modul=EachCall)
    loaded = ganbalance.load(tmp_path / "clf.pt", module=EachCall)
    assert loaded.module is EachCall
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def test_functions_and_instances_are_refused_with_their_place(blobs, digits, tmp_path):
    X, y = blobs
    factory = lambda n_features, n_classes: MLP(n_features, n_classes, hidden=4)  # noqa: E731
    with pytest.raises(TypeError, match=r"TorchClassifier\.module is the function"):
        save(TorchClassifier(factory), tmp_path / "f.pt")
    with pytest.raises(TypeError, match=r"TorchClassifier\.criterion is a CrossEntropyLoss "
                                        "instance"):
        save(TorchClassifier(MLP, criterion=nn.CrossEntropyLoss()), tmp_path / "f.pt")
    with pytest.raises(TypeError, match=r"_extra_params\.module__act is the function"):
        save(TorchClassifier(MLP, module__act=print), tmp_path / "f.pt")
    gan = ConditionalGAN(callbacks=[lambda gan, step, logs: None])
    with pytest.raises(TypeError, match=r"ConditionalGAN\.callbacks\[0\]"):
        save(gan, tmp_path / "f.pt")
    save(gan, tmp_path / "g.pt", external=["callbacks"])
    callbacks = [print]
    assert ganbalance.load(tmp_path / "g.pt", callbacks=callbacks).callbacks is callbacks


def test_save_refuses_other_objects_and_unknown_external(tmp_path):
    with pytest.raises(TypeError, match="joblib or pickle"):
        save(LogisticRegression(), tmp_path / "x.pt")
    with pytest.raises(ValueError, match="occur nowhere"):
        save(ConditionalGAN(), tmp_path / "x.pt", external=["modul"])
    assert not (tmp_path / "x.pt").exists()


# --------------------------------------------------------------------------- the encoding


def test_every_supported_value_round_trips(tmp_path):
    holder = RowScaler()  # any ganbalance object: its __dict__ is saved
    shared = [1, 2]
    holder.values = {
        "arrays": [(np.arange(6) % 5).astype(dt).reshape(2, 3) for dt in
                   ("int8", "<u2", ">i4", "uint64", "float16", ">f8", "complex64", "bool")],
        "strings": np.array([["ab", "c"], ["", "déf"]]),
        "bytes": np.array([b"x", b"yz"]),
        "objects": np.array(["a", None, 3, np.int64(4), 2.5], dtype=object),
        "times": np.array(["2024-01-02", "NaT"], dtype="datetime64[D]"),
        "empty": np.empty((0, 3), dtype=np.float32),
        "scalars": [np.float32(1.5), np.int64(-3), np.bool_(True), np.str_("é"),
                    np.uint8(255)],
        "dtypes": [np.dtype("float32"), np.dtype(">i2"), np.dtype(object), np.dtype("<U3")],
        "floats": [float("nan"), float("inf"), -0.0, 2**100, None, True],
        "tuples": (1, ("a", (2.0,)), []),
        "keys": {1: "int", np.int64(2): "np", False: "bool", ("t", 1): "tuple", None: "none",
                 2.5: "float", "__tricky__": "str"},
        "shared": [shared, shared],
        "tensor": torch.arange(4.0, requires_grad=True),
        "classes": [MLP, nn.Linear, torch.optim.Adam, RowScaler],
        "rngs": [np.random.RandomState(5), np.random.default_rng(6),
                 np.random.Generator(np.random.MT19937(7))],
    }
    holder.me = holder
    loaded_holder = round_trip(holder, tmp_path)
    assert loaded_holder.me is loaded_holder
    loaded = loaded_holder.values
    values = holder.values
    for a, b in zip(loaded["arrays"], values["arrays"], strict=True):
        assert a.dtype == b.dtype and a.flags.writeable
        np.testing.assert_array_equal(a, b)
    for key in ("strings", "bytes", "times", "empty", "objects"):
        assert loaded[key].dtype == values[key].dtype and loaded[key].shape == values[key].shape
        assert loaded[key].tolist() == values[key].tolist()
    assert type(loaded["objects"][3]) is np.int64
    for a, b in zip(loaded["scalars"], values["scalars"], strict=True):
        assert type(a) is type(b) and a == b
    assert loaded["dtypes"] == values["dtypes"]
    assert np.isnan(loaded["floats"][0]) and loaded["floats"][1:] == values["floats"][1:]
    assert np.copysign(1, loaded["floats"][2]) == -1
    assert loaded["tuples"] == values["tuples"] and type(loaded["tuples"][1][1]) is tuple
    assert loaded["keys"] == values["keys"]
    assert [type(k) for k in loaded["keys"]] == [type(k) for k in values["keys"]]
    assert loaded["shared"][0] is loaded["shared"][1] and loaded["shared"][0] == [1, 2]
    assert torch.equal(loaded["tensor"], values["tensor"].detach())
    assert loaded["classes"] == values["classes"]
    assert loaded["rngs"][0].randint(10**6) == values["rngs"][0].randint(10**6)
    for a, b in zip(loaded["rngs"][1:], values["rngs"][1:], strict=True):
        assert a.integers(10**9) == b.integers(10**9)


@pytest.mark.parametrize("value", [
    {1, 2},
    np.zeros(2, dtype=[("a", "i4")]),
    np.ma.masked_array([1, 2]),
    LogisticRegression(),
    os.path,
    object(),
    1 + 2j,
])
def test_unsupported_values_are_refused(value, tmp_path):
    holder = RowScaler()
    holder.thing = value
    with pytest.raises(TypeError, match=r"RowScaler\.thing"):
        save(holder, tmp_path / "x.pt")


# --------------------------------------------------------------------------- hostile files


class Payload:
    """Unpickling this creates the marker file: what a malicious pickle would do."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _header(state, cls="ganbalance._scaling.RowScaler"):
    return {"format": FORMAT, "version": 1, "class": cls, "state": state}


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_code_running_files_are_refused_and_never_run(tmp_path):
    marker = tmp_path / "marker"
    raw = tmp_path / "raw.pkl"
    raw.write_bytes(pickle.dumps({"format": FORMAT, "x": Payload(marker)}))
    as_torch = tmp_path / "model.pt"
    torch.save(_header({"x": Payload(marker)}), as_torch)
    for path in (raw, as_torch):
        with pytest.raises(ValueError, match="not a ganbalance save file.*malicious"):
            ganbalance.load(path)
        assert not marker.exists()
    pickle.loads(raw.read_bytes())  # the payload is real: unpickling runs it
    assert marker.exists()


def test_classifier_pickle_with_embedded_torch_blob_never_runs_it(tmp_path):
    """The issue's reproduction: a pickle that names only TorchClassifier, whose state holds the
    old format's torch.save bytes. Even an allow-listing unpickler let it run code before."""
    marker = tmp_path / "marker"
    blob = io.BytesIO()
    torch.save({"x": Payload(marker)}, blob)
    clf = TorchClassifier(MLP)
    clf.__getstate__ = lambda: {"_ganbalance_torch_state": blob.getvalue(), "_device": None}
    data = pickle.dumps(clf)

    class AllowList(pickle.Unpickler):
        def find_class(self, module, name):
            if (module, name) in {("ganbalance.classifier", "TorchClassifier"),
                                  ("copyreg", "__newobj__"), ("copyreg", "_reconstructor")}:
                return super().find_class(module, name)
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed")

    with pytest.raises(ValueError, match="Refit"):
        AllowList(io.BytesIO(data)).load()
    assert not marker.exists()


@pytest.mark.parametrize(("state", "cls", "match"), [
    ({}, "os.system", "not from ganbalance"),
    ({}, "ganbalance.persistence.load", "not a class"),
    ({}, "ganbalance.models.MLP", "module class"),
    ({"x": {"__object__": "builtins.dict", "state": {}}}, None, "not from ganbalance"),
    ({"x": {"__class__": "builtins.eval"}}, None, "not from ganbalance or torch"),
    ({"x": {"__class__": "torch.load"}}, None, "not a class"),
    ({"x": {"__class__": "torch.package.package_importer.PackageImporter"}}, None,
     "not a torch module or optimizer"),
    ({"x": {"__class__": "ganbalance..x"}}, None, "invalid class name"),
    ({"x": {"__ndarray__": "|O", "shape": [1], "items": [[1]]}}, None, "object array"),
    ({"x": {"__ndarray__": "<f8", "shape": [3], "data": torch.zeros(8, dtype=torch.uint8)}},
     None, "wrong size"),
    ({"x": {"__ndarray__": "i4,f8", "shape": [1], "data": torch.zeros(12, dtype=torch.uint8)}},
     None, "invalid dtype"),
    ({"x": {"__ref__": 99}}, None, "invalid reference"),
    ({"x": {"__nope__": 1}}, None, "unknown entry"),
    ({"x": {"__tuple__": [1], "extra": 2}}, None, "invalid entry"),
    ({"device_": "cuda:x"}, None, "recorded device"),
])
def test_crafted_save_files_are_refused(tmp_path, state, cls, match):
    path = tmp_path / "crafted.pt"
    torch.save(_header(state, cls or "ganbalance._scaling.RowScaler"), path)
    with pytest.raises(ValueError, match=match):
        ganbalance.load(path)


def test_other_formats_and_versions_are_refused(tmp_path):
    path = tmp_path / "x.pt"
    torch.save({"format": "other", "version": 1}, path)
    with pytest.raises(ValueError, match="not a ganbalance save file"):
        ganbalance.load(path)
    torch.save(_header({}) | {"version": 3}, path)
    with pytest.raises(ValueError, match="version 3.*reads versions 1 to 2"):
        ganbalance.load(path)
    torch.save(_header({}) | {"version": True}, path)
    with pytest.raises(ValueError, match="version True"):
        ganbalance.load(path)
    path.write_text("not even a zip file")
    with pytest.raises(ValueError, match="not a ganbalance save file"):
        ganbalance.load(path)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("data.pkl", b"garbage")
    with pytest.raises(ValueError, match="not a ganbalance save file"):
        ganbalance.load(path)
    with pytest.raises(FileNotFoundError):
        ganbalance.load(tmp_path / "missing.pt")


def test_library_and_examples_never_unpickle_unsafely():
    """No code path calls pickle.load(s) or torch.load without weights_only=True."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    offenders = []
    for folder in ("ganbalance", "examples"):
        for dirpath, _, files in os.walk(os.path.join(root, folder)):
            for name in files:
                if not name.endswith(".py"):
                    continue
                text = open(os.path.join(dirpath, name), encoding="utf-8").read()
                for needle in ("pickle.load", "weights_only=False", "joblib.load"):
                    if needle in text:
                        offenders.append(f"{name}: {needle}")
                for call in text.split("torch.load(")[1:]:
                    if "weights_only=True" not in call.split(")")[0]:
                        offenders.append(f"{name}: torch.load without weights_only=True")
    assert offenders == []


def test_warning_free_round_trip(blobs, tmp_path):
    clf = TorchClassifier(MLP, max_epochs=1, device="cpu", random_state=0).fit(*blobs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        round_trip(clf, tmp_path)


def test_pickle_tooling_still_works(blobs, tmp_path):
    import joblib
    from sklearn.base import clone

    X, y = blobs
    est = TorchClassifier(MLP, max_epochs=1, device="cpu", random_state=0).fit(X, y)
    joblib.dump(est, tmp_path / "est.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "est.joblib").predict_proba(X),
                                  est.predict_proba(X))
    assert clone(est).get_params()["module"] is MLP


def test_files_carry_a_digest_and_damage_is_refused(blobs, tmp_path):
    """A flipped byte in the payload, or a truncated file, is a clear ValueError."""
    clf = TorchClassifier(MLP, max_epochs=1, device="cpu", random_state=0).fit(*blobs)
    path = tmp_path / "clf.pt"
    clf.save(path)
    wrapper = torch.load(path, weights_only=True)
    assert wrapper["version"] == VERSION == 2 and len(wrapper["sha256"]) == 64
    data = wrapper["payload"].clone()
    data[len(data) // 2] ^= 0xFF  # one flipped byte, in the middle of the weights
    torch.save(wrapper | {"payload": data}, tmp_path / "flipped.pt")
    with pytest.raises(ValueError, match="damaged.*digest"):
        ganbalance.load(tmp_path / "flipped.pt")
    raw = path.read_bytes()
    (tmp_path / "cut.pt").write_bytes(raw[:len(raw) // 2])
    with pytest.raises(ValueError, match="truncated or damaged"):
        ganbalance.load(tmp_path / "cut.pt")


def test_version_1_files_still_load(blobs, tmp_path):
    """Files written before the digest (version 1) load as they did."""
    clf = TorchClassifier(MLP, max_epochs=1, device="cpu", random_state=0).fit(*blobs)
    path = tmp_path / "clf.pt"
    clf.save(path)
    wrapper = torch.load(path, weights_only=True)
    raw = np.asarray(wrapper["payload"].numpy()).tobytes()
    (tmp_path / "v1.pt").write_bytes(raw)  # the version-1 payload, as earlier files were
    loaded = ganbalance.load(tmp_path / "v1.pt")
    np.testing.assert_array_equal(loaded.predict_proba(blobs[0]), clf.predict_proba(blobs[0]))
