"""Evaluation metrics: per-group and worst-group accuracy, the spurious gap, cluster probability.

The public home of the metrics (`spurwidgets.metrics.group_accuracy`, ...); they are
implemented in `spurwidgets.compute.metrics`, where the compute core (MID, spuriosity
tuning, probe clusters) uses them.
"""

from .compute.metrics import (
    average_cluster_probability,
    group_accuracy,
    ranked_within_class,
    report,
    spurious_gap,
    worst_group_accuracy,
)

__all__ = [
    "average_cluster_probability",
    "group_accuracy",
    "ranked_within_class",
    "report",
    "spurious_gap",
    "worst_group_accuracy",
]
