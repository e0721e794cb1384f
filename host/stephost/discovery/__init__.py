"""Files -> step files (pure: reads the directory tree, runs nothing)."""

from stephost.discovery.files import DiscoveredFiles, discover

__all__ = ["DiscoveredFiles", "discover"]
