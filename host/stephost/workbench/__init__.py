"""The Workbench: what the page at /__workbench shows (flows, live logs, traces), kept by the host."""
