import time


def crunch(ms: int) -> int:
    """Blocking work, the kind a sync handler does (a driver call, a big computation)."""
    time.sleep(ms / 1000)
    return ms
