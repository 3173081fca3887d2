"""Anywidget-based views (imported lazily by spurwidgets, so scripts never load ipywidgets)."""

from .cluster_gallery import ClusterGallery
from .feature_card import FeatureCard
from .image_gallery import ImageGallery
from .latent_scatter import LatentScatter
from .link import link_selection
from .logit_curve import LogitCurve
from .mid_explorer import MIDExplorer
from .probe_explorer import ProbeExplorer
from .spuriosity_explorer import SpuriosityExplorer

__all__ = [
    "ClusterGallery",
    "FeatureCard",
    "ImageGallery",
    "LatentScatter",
    "LogitCurve",
    "MIDExplorer",
    "ProbeExplorer",
    "SpuriosityExplorer",
    "link_selection",
]
