"""Generated teaching data, probe sets and adapters (no downloads).

`ImageSet` and `ImageFiles`, the containers the compute core reads, live in `compute/` and are
re-exported here, their public home.
"""

from ..compute.image_files import ImageFiles
from ..compute.imageset import ImageSet
from .adapters import from_arrays, from_folder, from_torch
from .digits import COLOR_NAMES, PALETTE, colored_digits
from .probes import noise_probes, probe_set, register_probe_kind, solid_color_probes

__all__ = [
    "COLOR_NAMES",
    "PALETTE",
    "ImageFiles",
    "ImageSet",
    "colored_digits",
    "from_arrays",
    "from_folder",
    "from_torch",
    "noise_probes",
    "probe_set",
    "register_probe_kind",
    "solid_color_probes",
]
