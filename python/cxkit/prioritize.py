"""Impact-cost prioritisation (placeholder: being written for issue 4)."""
from __future__ import annotations

from typing import Any

__all__ = ["prioritize", "kano_impact"]


def prioritize(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError("cx.prioritize is being written")


def kano_impact(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError("cx.kano_impact is being written")
