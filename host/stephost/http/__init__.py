"""HTTP ingress: translates requests to api invocations and results back to responses."""
