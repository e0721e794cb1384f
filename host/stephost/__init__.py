"""stephost: a host for step-based backends.

The host owns HTTP ingress, routing, the event bus, cron, state and streams; every
step runs in a worker subprocess of its language, reached over gRPC.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
