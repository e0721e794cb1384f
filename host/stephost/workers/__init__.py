"""Workers: launching step processes, the gRPC edge they dial, and their supervision."""
