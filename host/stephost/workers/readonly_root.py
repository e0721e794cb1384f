"""Make the file system read-only except for a few paths, then exec the worker.

Run by path (`python -I -S readonly_root.py RW_PATH... -- COMMAND...`) inside a fresh
private mount namespace (`unshare --mount --propagation private`), so the changes
are seen by this worker alone and vanish with it. It imports nothing from stephost:
it runs before the worker exists, in as little time as possible.

Each writable path is bind-mounted onto itself first, so it becomes a mount of its
own; then every other mount is re-mounted read-only, keeping its nosuid/nodev/noexec
flags. /proc, /sys and /dev keep their kernel-managed mounts (a worker needs
/dev/null and /proc/self). Any failure exits 126 with the reason on stderr, which
the host's start-up probe turns into a clear "not available here" message.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_NOATIME = 1024
MS_NODIRATIME = 2048
MS_BIND = 4096
MS_REC = 16384
MS_RELATIME = 1 << 21
MS_STRICTATIME = 1 << 24

_KEPT_FLAGS = {
    "nosuid": MS_NOSUID,
    "nodev": MS_NODEV,
    "noexec": MS_NOEXEC,
    "noatime": MS_NOATIME,
    "nodiratime": MS_NODIRATIME,
    "relatime": MS_RELATIME,
    "strictatime": MS_STRICTATIME,
}
_KERNEL_TREES = ("/proc", "/sys", "/dev")

_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


def _mount(source: str, target: str, flags: int) -> None:
    if _libc.mount(source.encode(), target.encode(), None, flags, None) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"mount {target}: {os.strerror(errno)}")


def _unescape(field: str) -> str:
    """mountinfo writes space, tab, newline and backslash as octal escapes."""
    for code in ("\\040", "\\011", "\\012", "\\134"):
        field = field.replace(code, chr(int(code[1:], 8)))
    return field


def _mounts() -> list[tuple[str, int]]:
    """(mount point, per-mount flags to keep) for every mount of this namespace."""
    found = []
    with open("/proc/self/mountinfo") as info:
        for line in info:
            fields = line.split()
            flags = sum(_KEPT_FLAGS.get(opt, 0) for opt in fields[5].split(","))
            found.append((_unescape(fields[4]), flags))
    return found


def _under(path: str, roots: list[str]) -> bool:
    return any(path == root or path.startswith(root.rstrip("/") + "/") for root in roots)


def make_read_only(writable: list[str]) -> None:
    writable = [os.path.realpath(p) for p in writable]
    for path in writable:
        _mount(path, path, MS_BIND | MS_REC)
    for mount_point, flags in _mounts():
        if _under(mount_point, list(_KERNEL_TREES)) or _under(mount_point, writable):
            continue
        _mount(mount_point, mount_point, MS_REMOUNT | MS_BIND | MS_RDONLY | flags)


def main(argv: list[str]) -> None:
    if "--" not in argv:
        sys.exit("usage: readonly_root.py RW_PATH... -- COMMAND...")
    split = argv.index("--")
    writable, command = argv[:split], argv[split + 1 :]
    try:
        make_read_only(writable)
    except OSError as exc:
        print(f"read-only file system unavailable: {exc}", file=sys.stderr)
        sys.exit(126)
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
