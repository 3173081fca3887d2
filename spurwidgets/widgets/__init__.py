"""Anywidget-based views (imported lazily by spurwidgets)."""

from .logit_curve import LogitCurve

__all__ = ["LogitCurve"]
