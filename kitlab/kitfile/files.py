"""Reading a workspace's own small files (Kitfile, ``.kitignore``) without following symbolic links.

A Kitfile that is a symlink to ``~/.ssh/id_rsa`` was read, and its text came back in parser errors,
pack jobs and the server log (issue 14; docs/hardening.md). These files are opened with ``O_NOFOLLOW``:
a symlink is refused with a message that names the file, never what it points to, and only regular
files are read (a FIFO would block the reader), at most ``max_bytes`` of them.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from kitlab.errors import InvalidInput, PathOutsideRoot

_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)


class FileTooLarge(InvalidInput):
    """The file is larger than the caller reads."""


def read_workspace_file(path: Path, *, max_bytes: int) -> bytes:
    """The bytes of the regular file ``path`` (its last component is never followed if a symlink).

    Raises ``FileNotFoundError`` when it does not exist, ``PathOutsideRoot`` for a symlink,
    ``InvalidInput`` for anything but a regular file and ``FileTooLarge`` past ``max_bytes``.
    """
    try:
        fd = os.open(path, _FLAGS)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK):  # O_NOFOLLOW on a symlink (EMLINK on FreeBSD)
            raise PathOutsideRoot(
                f"{path.name} is a symbolic link; kitlab reads it only as a regular file in the folder "
                "(replace the link with the file itself)"
            ) from None
        raise
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise InvalidInput(f"{path.name} is not a regular file")
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise FileTooLarge(f"{path.name} is larger than {max_bytes:,} bytes, the most kitlab reads")
    return data


def is_file_or_link(path: Path) -> bool:
    """Whether ``path`` names something other than a folder: a regular file, or a symlink, FIFO or
    device, which ``read_workspace_file`` then refuses with a clear message instead of the folder
    looking as if it had no such file."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return False
    return not stat.S_ISDIR(mode)
