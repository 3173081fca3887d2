"""Progress bars for long loops (`progress=True`): tqdm, imported only when one is asked for."""

from __future__ import annotations

from typing import Any


def progress_bar(iterable: Any = None, **kwargs: Any) -> Any:
    """`tqdm.auto.tqdm(iterable, **kwargs)`: a notebook bar in Jupyter, a text bar elsewhere."""
    # Imported here on purpose: in a Jupyter kernel tqdm.auto imports ipywidgets, which
    # `import spurwidgets` (and the compute layer) must never load.
    from tqdm.auto import tqdm

    return tqdm(iterable, **kwargs)
