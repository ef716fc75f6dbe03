"""The benchmark harness (issue 6): checkpoints, load and latency measurements of the app's models."""
