"""The checked-in type stubs (python/cxkit/_core.pyi) must match the compiled module."""

import pathlib
import subprocess
import sys

ALLOWLIST = pathlib.Path(__file__).with_name("stubtest_allowlist.txt")


def test_core_stubs_match_the_compiled_module():
    proc = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "cxkit._core", "--allowlist", str(ALLOWLIST)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
