"""Finding 14 (CLI part): ``chainwatch … | head`` exits quietly when the reader goes away.

On 0.1.0 the write to the closed pipe raised BrokenPipeError inside the command, which the error
handler reported as "Internal error … BrokenPipeError" with exit code 70.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import USCCS


@pytest.mark.parametrize("fmt", ["csv", "json", "table"])
def test_closed_pipe_exits_quietly(small_db: str, fmt: str) -> None:
    cmd = [sys.executable, "-m", "chainwatch.cli.main", "assess", "--enterprise", USCCS[4], "--detail",
           "--db", small_db, "--format", fmt]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.close()          # the reader is gone before the command writes (like `| head -0`)
    _, err = proc.communicate(timeout=120)
    text = err.decode("utf-8", "replace")
    assert proc.returncode == 0, text
    assert "BrokenPipe" not in text and "Internal error" not in text and "内部错误" not in text
    assert "Traceback" not in text
