"""Kano classification (placeholder: being written for issue 4)."""
from __future__ import annotations

from typing import Any

__all__ = ["kano", "KanoAccumulator"]


def kano(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError("cx.kano is being written")


class KanoAccumulator:  # replaced by cxkit._core.KanoAccumulator
    pass
