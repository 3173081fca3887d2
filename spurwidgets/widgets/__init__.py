"""Anywidget-based views (imported lazily by spurwidgets)."""

from .feature_card import FeatureCard
from .cluster_gallery import ClusterGallery
from .image_gallery import ImageGallery
from .link import link_selection
from .logit_curve import LogitCurve
from .spuriosity_explorer import SpuriosityExplorer

__all__ = ["FeatureCard", "SpuriosityExplorer", "LogitCurve", "ImageGallery", "ClusterGallery", "link_selection"]
