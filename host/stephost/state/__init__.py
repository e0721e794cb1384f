"""State: a key-value store shared by all steps (spec §6), behind `StateStore`."""

from stephost.state.base import StateStore

__all__ = ["StateStore"]
