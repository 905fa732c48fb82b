"""A short script run in a Python process of its own: for what one process's state would
hide (another server sharing only the database or the rate-limit storage)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any


def run_elsewhere(script: str, *args: Any) -> Any:
    """Run `script` with `args` as JSON in sys.argv[1:]; what its last printed line holds."""
    ran = subprocess.run(
        [sys.executable, "-c", script, *(json.dumps(a) for a in args)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(ran.stdout.strip().splitlines()[-1])
