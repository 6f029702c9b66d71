"""The checked-in type stubs (python/cxkit/_core.pyi) must match the compiled module."""

import subprocess
import sys


def test_core_stubs_match_the_compiled_module():
    proc = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "cxkit._core"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
