"""Anywidget-based views (imported lazily by spurwidgets)."""

from .cluster_gallery import ClusterGallery
from .feature_card import FeatureCard
from .image_gallery import ImageGallery
from .link import link_selection
from .logit_curve import LogitCurve
from .spuriosity_explorer import SpuriosityExplorer

__all__ = ["FeatureCard", "SpuriosityExplorer", "LogitCurve", "ImageGallery", "ClusterGallery", "link_selection"]
from .mid_explorer import MIDExplorer  # noqa: E402  (the composed MID app)

__all__ += ["MIDExplorer"]
from .latent_scatter import LatentScatter  # noqa: E402  (probe clusters issue)
from .probe_explorer import ProbeExplorer  # noqa: E402  (probe clusters issue)

__all__ += ["LatentScatter", "ProbeExplorer"]
