"""Type aliases shared across the package."""

from __future__ import annotations

import os
from typing import Union

#: A file-system path: ``str`` or any ``os.PathLike`` (e.g. ``pathlib.Path``).
PathLike = Union[str, "os.PathLike[str]"]  # noqa: UP007 - runtime alias, Python 3.9 has no X | Y
