"""Generated from proto/stephost; do not edit."""
