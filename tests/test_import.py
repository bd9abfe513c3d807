"""``import ganbalance`` works without torchvision and with a torchvision that fails at import."""

import subprocess
import sys

import pytest

CODE = """
import sys
import ganbalance
from ganbalance import AffineOverSampler, ConditionalGAN, GANOverSampler, TorchClassifier
from ganbalance import callbacks, datasets, metrics, models
assert "torchvision" not in sys.modules or {broken}, "torchvision was imported"
print("ok")
"""


@pytest.mark.parametrize("broken", [False, True])
def test_import_without_working_torchvision(tmp_path, broken):
    if broken:
        # The CPU build of torchvision 0.28 fails like this on CPU-only torch 2.13.
        package = tmp_path / "torchvision"
        package.mkdir()
        (package / "__init__.py").write_text(
            'raise RuntimeError("operator torchvision::nms does not exist")\n')
    else:
        # Hide any installed torchvision behind a stand-in that is not a package.
        (tmp_path / "torchvision.py").write_text('raise ImportError("no torchvision")\n')
    run = subprocess.run([sys.executable, "-c", CODE.format(broken=broken)],
                         capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "ok"
