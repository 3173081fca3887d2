"""The numerical core: torch, numpy and scikit-learn only (never a widget library)."""

from .extract import FeatureSet, extract
from .images import ImageSource

__all__ = ["FeatureSet", "ImageSource", "extract"]
