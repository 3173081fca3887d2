"""spurwidgets: see and fix shortcut learning in image classifiers, in the notebook.

`import spurwidgets` loads only the compute layer; widget classes (`spurwidgets.widgets`,
`MIDExplorer`, ...) are imported on first use so scripts never pay for ipywidgets.
"""

from __future__ import annotations

import importlib
from typing import Any

from . import datasets, metrics, models
from .compute import FeatureSet, extract

__version__ = "0.1.0"

# Public names provided by modules that are imported lazily (widgets, later compute modules).
_LAZY = {
    "widgets": "spurwidgets.widgets",
    # MID (intercept windows)
    "MID": "spurwidgets.compute.mid",
    "refit_head": "spurwidgets.compute.refit",
    "LinearHead": "spurwidgets.compute.refit",
    # Spuriosity rankings
    "SpuriosityRanker": "spurwidgets.compute.spuriosity",
    "fit_linear_head": "spurwidgets.compute.spuriosity",
    # Clustered random probes
    "VAE": "spurwidgets.compute.vae",
    "weighted_kmeans": "spurwidgets.compute.probe_clusters",
    "ProbeClusters": "spurwidgets.compute.probe_clusters",
    # Composed notebook apps (widgets: imported only when asked for)
    "MIDExplorer": "spurwidgets.widgets.mid_explorer",
    "SpuriosityExplorer": "spurwidgets.widgets.spuriosity_explorer",
    "ProbeExplorer": "spurwidgets.widgets.probe_explorer",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(_LAZY[name])
        # A submodule (spurwidgets.widgets) is returned itself; other names are read from their module.
        return module if module.__name__ == f"{__name__}.{name}" else getattr(module, name)
    raise AttributeError(f"module 'spurwidgets' has no attribute {name!r}")


__all__ = ["FeatureSet", "datasets", "extract", "metrics", "models", *_LAZY]
