"""SpuriosityExplorer: the spuriosity-rankings notebook app.

class picker -> the class's top feature cards (annotate core / spurious; saved to a JSON file
at once) -> the class's validation images ranked from lowest to highest spuriosity -> the gap
table (negative gaps highlighted, with their most spurious images) -> "Tune head" (low-
spuriosity tuning vs the random and misclassified baselines) with progress and before/after
results, and a plotly chart of accuracy vs spuriosity rank.

`SpuriosityExplorer` is an ipywidgets VBox of `view` (the SpuriosityView anywidget) and
`figure` (a plotly FigureWidget); the state lives in Python (`ranker`, `store`, `results_`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import ipywidgets
import numpy as np
import traitlets

from ..compute.activation_maps import core_crops
from ..compute.extract import extract, get_module, last_linear_name
from ..compute.images import ImageSource
from ..compute.predictions import predicted_classes
from ..compute.spuriosity import SpuriosityRanker
from ..compute.spurious_tuning import STRATEGIES, TuningResult, compare_strategies
from ..compute.validation import check_labels, check_positive_int
from ._base import SpurWidget, check_kwargs, css_source, encode_thumbnails, esm_source
from .feature_card import card_payload, resolve_store
from .spuriosity_payloads import before_curve, gap_rows, rank_curve_figure, replace_traces, result_rows, strip_payload

if TYPE_CHECKING:
    import torch


class SpuriosityView(SpurWidget):
    """The anywidget part of SpuriosityExplorer (its traits are the browser protocol)."""

    class_names = traitlets.List(traitlets.Unicode(), help="name of each class").tag(sync=True)
    cls = traitlets.Int(0, help="the class being explored, synced both ways").tag(sync=True)
    cards: traitlets.List[Any] = traitlets.List(help="feature cards of the current class (see FeatureCard.card)").tag(
        sync=True
    )
    annotations = traitlets.Dict(help='{"class": {"feature": "core"|"spurious"}}, synced both ways').tag(sync=True)
    view = traitlets.Unicode("images", help='card view: "images", "heatmaps" or "attacks"').tag(sync=True)
    strip = traitlets.Dict(help="validation images of the class, lowest..highest spuriosity").tag(sync=True)
    gaps: traitlets.List[Any] = traitlets.List(help="gap table rows: cls, name, features, gap, note, images").tag(
        sync=True
    )
    k = traitlets.Int(10, help="k of the spurious gap").tag(sync=True)
    tune_request = traitlets.Int(0, help="incremented by the Tune head button").tag(sync=True)
    tune_progress = traitlets.Float(0.0, help="tuning progress 0..1").tag(sync=True)
    tune_status = traitlets.Unicode("", help="one line about the tuning run").tag(sync=True)
    results: traitlets.List[Any] = traitlets.List(help="before/after numbers per strategy").tag(sync=True)

    _esm = esm_source("feature_card_draw.js", "spuriosity_explorer.js")
    _css = css_source("feature_card.css", "spuriosity_explorer.css")


class SpuriosityExplorer(ipywidgets.VBox):
    """`SpuriosityExplorer(model, train_images, val_images, *, annotations_path=None, ...)`.

    model: the classifier; its last nn.Linear (or `head=`) is the head that is ranked and tuned.
    train_images / val_images: ImageSets (labels inside) or images with `train_labels=` /
    `val_labels=`. Features are extracted once (or pass `train_features=` / `val_features=`).
    layer: conv module whose channels are the features (heatmaps; None = gradient maps).
    Tuning: `n_per_class` lowest-spuriosity training images per class, early stop when every
    annotated class's |gap| on validation < `gap_threshold`; baselines in `strategies`.
    """

    def __init__(
        self,
        model: Any,
        train_images: Any,
        val_images: Any,
        *,
        train_labels: Any = None,
        val_labels: Any = None,
        train_features: Any = None,
        val_features: Any = None,
        head: Any = None,
        layer: str | None = "features",
        n_features: int = 5,
        annotations_path: Any = None,
        k: int = 10,
        n_per_class: int = 100,
        gap_threshold: float = 0.05,
        strategies: tuple[str, ...] = STRATEGIES,
        card_k: int = 5,
        strip_size: int = 16,
        thumb_size: int = 56,
        attack: bool = True,
        class_names: Any = None,
        device: Any = "auto",
        random_state: int = 0,
        **kwargs: Any,
    ) -> None:
        check_kwargs("SpuriosityExplorer", kwargs)  # a typo fails before any work is done
        self.model, self.layer, self.device, self.attack = model, layer, device, attack
        self.train = ImageSource(train_images, name="train_images")
        self.val = ImageSource(val_images, name="val_images")
        self.train_labels = check_labels(self.train.labels if train_labels is None else train_labels, "train_labels")
        self.val_labels = check_labels(self.val.labels if val_labels is None else val_labels, "val_labels")
        self.head = head if head is not None else get_module(model, last_linear_name(model))
        self.train_features = (
            extract(model, train_images, device=device).features
            if train_features is None
            else np.asarray(train_features)
        )
        self.val_features = (
            extract(model, val_images, device=device).features if val_features is None else np.asarray(val_features)
        )
        self.ranker = SpuriosityRanker(n_features=n_features).fit(self.train_features, self.train_labels, self.head)
        self.store = resolve_store(self.ranker, None, annotations_path)
        self.k, self.card_k = check_positive_int(k, "k"), check_positive_int(card_k, "card_k")
        self.n_per_class, self.gap_threshold, self.strategies = n_per_class, gap_threshold, tuple(strategies)
        self.strip_size, self.thumb_size, self.random_state = strip_size, thumb_size, random_state
        names = class_names or getattr(train_images, "class_names", None) or []
        self.class_names = [str(n) for n in names] or [str(c) for c in range(self.ranker.n_classes_)]
        self.results_: dict[str, TuningResult] = {}
        self._cards: dict[int, list[dict[str, Any]]] = {}
        self.view = SpuriosityView()
        self.view.class_names, self.view.k, self.view.annotations = self.class_names, self.k, self._annotation_trait()
        self.figure: Any = None  # plotly FigureWidget, built by the first refresh with its traces
        self.refresh()
        self.view.observe(self.view.guard(self._on_cls), "cls")
        self.view.observe(self.view.guard(self._on_annotations), "annotations")
        self.view.observe(self.view.guard(self._on_tune), "tune_request")
        super().__init__(children=[self.view, self.figure], **kwargs)

    # ------------------------------------------------------------------ state
    def _annotation_trait(self) -> dict[str, dict[str, str]]:
        return {str(c): {str(f): lab for f, lab in fs.items()} for c, fs in self.store.to_dict().items()}

    @property
    def spurious(self) -> dict[int, list[int]]:
        """{class: spurious features} as annotated."""
        return self.store.spurious()

    def _head_predictions(self, features: np.ndarray) -> np.ndarray:
        head_weight, head_bias = cast("torch.Tensor", self.head.weight), cast("torch.Tensor | None", self.head.bias)
        weight = head_weight.detach().cpu().numpy()
        bias = head_bias.detach().cpu().numpy() if head_bias is not None else 0.0
        return predicted_classes(features @ weight.T + bias)

    def cards_for(self, cls: int) -> list[dict[str, Any]]:
        """Card payloads of the class's top features (computed once per class)."""
        cls = self.ranker.check_class(cls)
        if cls not in self._cards:
            self._cards[cls] = [
                card_payload(
                    self.ranker,
                    cls,
                    int(f),
                    self.train,
                    self.train_features,
                    self.train_labels,
                    model=self.model,
                    layer=self.layer,
                    k=self.card_k,
                    thumb_size=self.thumb_size,
                    attack=self.attack,
                    device=self.device,
                    class_names=self.class_names,
                )  # fmt: skip
                for f in self.ranker.top_features_[cls]
            ]
        return self._cards[cls]

    def refresh(self) -> None:
        """Recompute spuriosity, the ranked strip and the gap table from the annotations."""
        spurious = self.spurious
        self.val_spuriosity_ = self.ranker.score(self.val_features, self.val_labels, spurious)
        correct = self._head_predictions(self.val_features) == self.val_labels
        cls = self.view.cls
        members = np.flatnonzero(self.val_labels == cls)
        ranking = members[np.argsort(self.val_spuriosity_[members], kind="stable")]
        with self.view.hold_sync():
            self.view.cards = self.cards_for(cls)
            self.view.strip = strip_payload(
                self.val, ranking, self.val_spuriosity_, correct, self.strip_size, self.thumb_size
            )
            self.view.gaps = self._with_core_crops(
                gap_rows(
                    self.val, spurious, self.val_spuriosity_, correct, self.val_labels, self.class_names, self.k,
                    self.thumb_size,
                )
            )  # fmt: skip
        annotated = [c for c, fs in spurious.items() if fs]
        if not self.results_:
            self._show_curve(
                rank_curve_figure(before_curve(correct, self.val_spuriosity_, self.val_labels, annotated), {})
            )

    def _show_curve(self, figure: Any) -> None:
        """Build the FigureWidget from the first figure (layout and traces reach the browser when
        it is displayed); later figures only swap the traces (sent as messages)."""
        import plotly.graph_objects as go  # plotly (heavy) only when a figure is drawn

        if self.figure is None:
            self.figure = go.FigureWidget(figure)
        else:
            replace_traces(self.figure, figure)

    def _with_core_crops(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Add core crops (where the class's core features fire) to the flagged images."""
        core = self.store.core()
        if self.model is None or self.layer is None:
            return rows
        for row in rows:
            if row["indices"] and core.get(row["cls"]):
                pictures = self.val.float_images(np.asarray(row["indices"]))
                crops, _ = core_crops(self.model, pictures, core[row["cls"]], layer=self.layer, device=self.device)
                row["crops"] = [encode_thumbnails(crop[None], self.thumb_size)[0] for crop in crops]
        return rows

    # ------------------------------------------------------------------ callbacks
    def _on_cls(self, _change: Any = None) -> None:
        self.ranker.check_class(self.view.cls)
        self.refresh()

    def _on_annotations(self, _change: Any = None) -> None:
        try:
            self.store.replace(self.view.annotations)  # all validated before anything is saved
        except Exception:
            self.view.annotations = self._annotation_trait()  # show what is really saved
            raise
        self.refresh()

    def _on_tune(self, _change: Any = None) -> None:
        self.tune()

    def tune(self) -> dict[str, TuningResult]:
        """Run low-spuriosity tuning and the baselines; results in `results_` and the view."""
        spurious = self.spurious
        annotated = [c for c, fs in spurious.items() if fs]
        if not annotated:
            raise ValueError("mark at least one feature as spurious before tuning the head")
        train_spuriosity = self.ranker.score(self.train_features, self.train_labels, spurious)
        runs = len(self.strategies)
        self.view.tune_progress, self.view.tune_status = 0.0, "tuning..."
        results: dict[str, TuningResult] = {}
        for i, strategy in enumerate(self.strategies):

            def progress(record: dict[str, Any], i: int = i, strategy: str = strategy) -> None:
                if record["epoch"] % 5 == 0:
                    self.view.tune_progress = (i + record["epoch"] / record["max_epochs"]) / runs
                    self.view.tune_status = f"{strategy}: epoch {record['epoch']}"

            results.update(
                compare_strategies(
                    self.head,
                    self.train_features,
                    self.train_labels,
                    train_spuriosity,
                    self.val_features,
                    self.val_labels,
                    self.val_spuriosity_,
                    strategies=(strategy,),
                    n_per_class=self.n_per_class,
                    gap_threshold=self.gap_threshold,
                    k=self.k,
                    device=self.device,
                    random_state=self.random_state,
                    callback=progress,
                    gap_classes=annotated,
                )  # fmt: skip
            )
        self.results_ = results
        first = next(iter(results.values()))
        self._show_curve(rank_curve_figure(first.before["curve"], results))
        self.view.results = result_rows(results)
        status = "done"
        if all(r.best_epoch == 0 for r in results.values()):  # no strategy changed the head: say why
            status = f"the head was kept as it is: {first.note}"
            if first.epochs_run == 0:
                status = f"nothing to tune: {first.note}"
        self.view.tune_progress, self.view.tune_status = 1.0, status
        return results

    @property
    def tuned_head_(self) -> Any:
        """The low-spuriosity-tuned head as an nn.Linear (after `tune`)."""
        if "low_spuriosity" not in self.results_:
            raise RuntimeError("This SpuriosityExplorer is not tuned yet: press 'Tune head' or call tune()")
        return self.results_["low_spuriosity"].head.to_torch().eval()
