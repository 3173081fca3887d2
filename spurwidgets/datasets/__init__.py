"""Generated teaching data, probe sets and adapters (no downloads)."""

from .adapters import from_arrays, from_folder, from_torch
from .digits import COLOR_NAMES, PALETTE, colored_digits
from .files import ImageFiles
from .imageset import ImageSet
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
