"""Key drivers and importance-performance analysis (placeholder: being written for issue 4)."""
from __future__ import annotations

from typing import Any

__all__ = ["key_drivers", "ipa", "DriverAccumulator"]


def key_drivers(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError("cx.key_drivers is being written")


def ipa(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError("cx.ipa is being written")


class DriverAccumulator:  # replaced by cxkit._core.DriverAccumulator
    pass
