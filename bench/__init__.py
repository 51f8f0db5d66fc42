"""The benchmark harness (`make bench`, see docs/performance.md). Not part of the shop."""
