"""Shared by the Python benchmark scripts: run inside a venv that has the needed PyPI packages."""
import importlib
import os
import subprocess
import sys


def ensure(venv, modules, packages):
    """Returns if every module in `modules` imports; otherwise creates `venv` (once), installs
    `packages` from PyPI into it and re-runs the calling script with the venv's Python."""
    try:
        for m in modules:
            importlib.import_module(m)
        return
    except ImportError:
        pass
    venv = os.path.expanduser(venv)
    py = os.path.join(venv, "bin", "python")
    if os.path.realpath(sys.prefix) == os.path.realpath(venv):
        sys.exit(f"{venv} still lacks one of {modules} after installing {packages}")
    if not os.path.exists(py):
        subprocess.check_call([sys.executable, "-m", "venv", venv])
    subprocess.check_call([py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
                          + packages)
    os.execv(py, [py] + sys.argv)
