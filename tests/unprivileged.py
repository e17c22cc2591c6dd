"""Running searchkit as an unprivileged user, really, for the permission tests: file modes do
not apply to root, and CI runs as root.

As root, a command runs as `nobody` in a private mount namespace (`unshare --mount`): the
interpreter may live under /root (mode 0700), which nobody cannot enter, so a tmpfs with mode
755 covers /root there and the paths the command needs under the real /root (the venv, the
Python it was made from, this repository) are bound back at their own places. Nothing
outside the namespace sees those mounts; they go with it. As any other user, commands run as
that user, whose permissions apply already.

`Unprivileged.detect()` says how (or why not: no such user, mounting refused); the tests
skip, with that reason, only then. The tests' folders live in a work folder that user owns
(`workdir()`), outside pytest's private temporary folders.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from index_helpers import TESTS_DIR, CliResult, cli_env

REPO = TESTS_DIR.parent
USER = "nobody"

# In the namespace: hide /root under a tmpfs, bind back what is needed, drop to the user.
_SETUP = """
set -e
hidden=$1; uid=$2; gid=$3; shift 3
mount --bind /root "$hidden"
mount -t tmpfs -o mode=755,size=1m tmpfs /root
while [ "$1" != "--" ]; do
    mkdir -p "$1"
    mount --bind "$hidden${1#/root}" "$1"
    shift
done
shift
exec setpriv --reuid="$uid" --regid="$gid" --clear-groups -- "$@"
"""


def _under_root(path: str) -> bool:
    return path == "/root" or path.startswith("/root/")


@dataclass(frozen=True)
class Unprivileged:
    """How to run a command as an unprivileged user: `uid`/`gid` to own the tests' files,
    and `prefix`, the argv that runs a command as that user (empty: as this process)."""

    uid: int
    gid: int
    prefix: tuple[str, ...]
    name: str

    @classmethod
    def detect(cls, hidden: Path) -> Unprivileged | str:
        """The way to run as an unprivileged user here, or why there is none. `hidden` is an
        empty folder the real /root is bound to inside the namespace."""
        if os.geteuid() != 0:
            return cls(os.getuid(), os.getgid(), (), pwd.getpwuid(os.getuid()).pw_name)
        try:
            user = pwd.getpwnam(USER)
        except KeyError:
            return f"there is no user {USER!r} to run the permission tests as"
        missing = [tool for tool in ("unshare", "setpriv", "mount") if not shutil.which(tool)]
        if missing:
            return f"{', '.join(missing)} not found: cannot run the permission tests as {USER}"
        needed = sorted(
            {
                p
                for p in map(os.path.realpath, (sys.prefix, sys.base_prefix, str(REPO)))
                if _under_root(p)
            }
        )
        prefix = (
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "--",
            "sh",
            "-c",
            _SETUP,
            "setup",
            str(hidden),
            str(user.pw_uid),
            str(user.pw_gid),
            *needed,
            "--",
        )
        way = cls(user.pw_uid, user.pw_gid, prefix, USER)
        probe = way.run([sys.executable, "-c", "import os, searchkit; print(os.getuid())"])
        if probe.code != 0 or probe.stdout.strip() != str(user.pw_uid):
            reason = (probe.stderr.strip().splitlines() or ["no output"])[-1]
            return f"cannot run a command as {USER} here (mounting refused?): {reason}"
        return way

    def run(
        self,
        argv: Sequence[str | os.PathLike[str]],
        *,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        stdin: str | None = None,
        timeout: float = 120,
    ) -> CliResult:
        """Run `argv` as the user; searchkit is importable, bytecode is not written."""
        environment = cli_env({"PYTHONDONTWRITEBYTECODE": "1", **(env or {})})
        proc = subprocess.run(
            [*self.prefix, *map(str, argv)],
            cwd=cwd,
            env=environment,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    def cli(self, *args: str | os.PathLike[str], **kwargs: object) -> CliResult:
        """`searchkit ARGS...` as the user."""
        return self.run([sys.executable, "-m", "searchkit", *args], **kwargs)  # type: ignore[arg-type]

    def give(self, path: Path) -> Path:
        """Make `path` and everything under it belong to the user."""
        for folder, dirs, files in os.walk(path):
            for name in [folder, *(os.path.join(folder, n) for n in dirs + files)]:
                os.chown(name, self.uid, self.gid, follow_symlinks=False)
        return path


def workdir(prefix: str = "searchkit-perm-") -> Path:
    """A fresh folder in the system's temporary folder (which every user can enter), for the
    caller to give to the user and remove afterwards."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path
