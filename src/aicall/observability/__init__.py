"""Structured logging (`observability.logging`) and Prometheus metrics (`observability.metrics`).

On the foundation floor: every other package may log and count through it; it imports
nothing of aicall's domains, so it cannot tangle them.
"""
