"""idlib-sim: an agent-based escalation simulator of the 2019-20 Idlib crisis.

An abstraction for study and teaching, not a forecast or an operational tool.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("idlib-sim")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+source"

__all__ = ["__version__"]
