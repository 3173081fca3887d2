"""Anywidget-based views (imported lazily by spurwidgets)."""

from .cluster_gallery import ClusterGallery
from .feature_card import FeatureCard
from .image_gallery import ImageGallery
from .link import link_selection
from .logit_curve import LogitCurve
from .spuriosity_explorer import SpuriosityExplorer

__all__ = ["FeatureCard", "SpuriosityExplorer", "LogitCurve", "ImageGallery", "ClusterGallery", "link_selection"]
