"""Anywidget-based views (imported lazily by spurwidgets)."""

from .feature_card import FeatureCard
from .logit_curve import LogitCurve
from .spuriosity_explorer import SpuriosityExplorer

__all__ = ["FeatureCard", "SpuriosityExplorer", "LogitCurve"]
