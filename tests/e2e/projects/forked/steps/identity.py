"""What a worker can see of itself: the e2e test compares a forked worker with an exec'd one."""

from __future__ import annotations

import os
import random
import sys
from typing import Any


def describe() -> dict[str, Any]:
    return {
        "pid": os.getpid(),
        "ppid": os.getppid(),
        "sid": os.getsid(0),
        "pgid": os.getpgid(0),
        "env": dict(os.environ),
        "random": random.random(),
        "argv": sys.argv,
        "cwd": os.getcwd(),
        "stdin": os.readlink("/proc/self/fd/0"),
    }
