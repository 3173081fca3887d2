"""FeatureCard and SpuriosityExplorer in Python (no browser): traits, errors, payloads."""

from __future__ import annotations

import json

import numpy as np
import pytest

from spurwidgets.compute.annotations import AnnotationStore
from spurwidgets.compute.images import ImageSource
from spurwidgets.widgets import FeatureCard, SpuriosityExplorer
from spurwidgets.widgets.spuriosity_payloads import gap_rows, strip_payload


def test_feature_card_shows_k_extremes_and_the_importance(feature_card_data):
    data, model, fs, ranker = feature_card_data
    feature = int(ranker.top_features_[0][0])
    card = FeatureCard(ranker, 0, feature, data, features=fs.features, model=model, k=3, device="cpu")
    top, bottom = ranker.extreme_images(fs.features, data.labels, 0, feature, k=3)
    assert card.card["top_indices"] == top.tolist() and card.card["bottom_indices"] == bottom.tolist()
    assert len(card.card["top"]) == len(card.card["top_heat"]) == len(card.card["top_attack"]) == 3
    assert card.card["importance"] == pytest.approx(ranker.importance_[0, feature])
    assert card.card["title"] == f"class {data.class_names[0]} · feature {feature} (#1 for this class)"


def test_feature_card_without_model_has_no_heatmaps(feature_card_data):
    data, _, fs, ranker = feature_card_data
    card = FeatureCard(ranker, 1, 0, data, features=fs.features)
    assert card.card["top_heat"] == [] and card.card["top_attack"] == [] and len(card.card["top"]) == 5


def test_feature_card_annotation_is_saved_and_a_bad_one_is_shown_and_reverted(feature_card_data, tmp_path):
    data, _, fs, ranker = feature_card_data
    path = tmp_path / "notes.json"
    card = FeatureCard(ranker, 1, 3, data, features=fs.features, annotations_path=path)
    card.annotation = "core"
    assert json.loads(path.read_text())["annotations"] == {"1": {"3": "core"}}
    card.annotation = "maybe"
    assert "label must be one of ['core', 'spurious']; got 'maybe'" in card.error
    assert card.annotation == "core" and card.store.get(1, 3) == "core"
    assert FeatureCard(ranker, 1, 3, data, features=fs.features, annotations_path=path).annotation == "core"


def test_feature_card_refuses_bad_arguments(feature_card_data):
    data, _, fs, ranker = feature_card_data
    with pytest.raises(ValueError, match="feature 8 does not exist"):
        FeatureCard(ranker, 0, 8, data, features=fs.features)
    with pytest.raises(ValueError, match="pass features="):
        FeatureCard(ranker, 0, 1, data)
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        FeatureCard(ranker, 0, 1, data, features=fs.features, heatmap=True)
    with pytest.raises(ValueError, match="store is sized for 3 classes x 8 features"):
        FeatureCard(ranker, 0, 1, data, features=fs.features, store=AnnotationStore(None, n_classes=3, n_features=8))


def test_strip_spreads_images_over_the_ranking():
    source = ImageSource(np.zeros((10, 4, 4, 3), dtype=np.uint8))
    ranking = np.array([9, 8, 7, 6, 5, 4, 3, 2, 1, 0])
    spuriosity = np.arange(10.0)[::-1]
    strip = strip_payload(source, ranking, spuriosity, np.ones(10, dtype=bool), size=4, thumb_size=8)
    assert strip["ranks"] == [0, 3, 6, 9] and strip["indices"] == [9, 6, 3, 0]
    assert strip["spuriosity"] == [0.0, 3.0, 6.0, 9.0] and strip["n"] == 10


def test_gap_rows_leave_unannotated_classes_empty_and_flag_negative_gaps():
    source = ImageSource(np.zeros((8, 4, 4, 3), dtype=np.uint8))
    labels = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    spuriosity = np.array([0.0, 1.0, 2.0, 3.0, 0.0, 0.0, 0.0, 0.0])
    correct = np.array([1, 1, 0, 0, 1, 1, 1, 1], dtype=bool)  # class 0: the spurious end is wrong
    rows = gap_rows(source, {0: [2]}, spuriosity, correct, labels, ["a", "b"], k=2, thumb_size=8)
    assert rows[0]["gap"] == -1.0 and rows[0]["note"].startswith("negative gap") and len(rows[0]["images"]) == 2
    assert rows[1]["gap"] is None and rows[1]["note"] == "no spurious feature annotated"


def test_explorer_refuses_tuning_without_spurious_features_and_keeps_state(feature_card_data, tmp_path):
    data, model, fs, _ = feature_card_data
    ex = SpuriosityExplorer(
        model, data, data, train_features=fs.features, val_features=fs.features, n_features=2, k=5,
        n_per_class=10, card_k=2, annotations_path=tmp_path / "a.json", device="cpu",
    )  # fmt: skip
    ex.view.tune_request += 1
    assert "mark at least one feature as spurious before tuning the head" in ex.view.error
    with pytest.raises(RuntimeError, match="not tuned yet"):
        _ = ex.tuned_head_
    ex.view.annotations = {"0": {"1": "spurious"}}
    assert ex.spurious == {0: [1], 1: []} and ex.view.gaps[0]["gap"] is not None
    ex.view.annotations = {"0": {"42": "spurious"}}
    assert "feature 42 does not exist" in ex.view.error
    assert ex.view.annotations == {"0": {"1": "spurious"}} and ex.spurious == {0: [1], 1: []}
    progress = []
    ex.view.observe(lambda change: progress.append(change["new"]), "tune_progress")
    results = ex.tune()
    assert list(results) == ["low_spuriosity", "random", "misclassified"]
    # Progress only rises and ends at 1 whatever the epoch budget (it once assumed 100 epochs).
    assert progress[-1] == 1.0 and progress == sorted(progress) and all(0 <= p <= 1 for p in progress)
    assert ex.tuned_head_.weight.shape == (2, 8)
    # Here the gaps already meet the stop rule: no epoch runs, and the status says so.
    assert [r.epochs_run for r in results.values()] == [0, 0, 0]
    assert ex.view.tune_status.startswith("nothing to tune: stop rule met at epoch 0")
    assert [r["strategy"] for r in ex.view.results] == list(results)


def test_explorer_reloads_annotations_and_crops_flagged_images_to_core_features(feature_card_data, tmp_path):
    data, model, fs, ranker = feature_card_data
    path = tmp_path / "a.json"
    store = AnnotationStore.for_ranker(ranker, path)
    # Class 0: rank by a feature, and call another core, so that flagged images get core crops.
    store.update({0: {1: "spurious", 2: "core"}})
    ex = SpuriosityExplorer(
        model, data, data, train_features=fs.features, val_features=fs.features, n_features=2, k=5,
        card_k=2, annotations_path=path, device="cpu",
    )  # fmt: skip
    assert ex.view.annotations == {"0": {"1": "spurious", "2": "core"}}
    ex.view.gaps = ex._with_core_crops([{**ex.view.gaps[0], "indices": [0, 1]}])
    assert len(ex.view.gaps[0]["crops"]) == 2


def test_accuracy_curve_set_before_display_is_in_the_figure_state(feature_card_data, tmp_path):
    # The FigureWidget sits in a VBox, so plotly's own display hook never copies traces into
    # the synced state; a curve drawn before the first display must still be in that state.
    data, model, fs, _ = feature_card_data
    ex = SpuriosityExplorer(
        model, data, data, train_features=fs.features, val_features=fs.features, n_features=2, k=5,
        card_k=2, annotations_path=tmp_path / "a.json", device="cpu",
    )  # fmt: skip
    ex.view.annotations = {"0": {"1": "spurious"}}
    state = ex.figure.get_state()["_widget_data"]
    assert [trace["name"] for trace in state] == [trace.name for trace in ex.figure.data]
    assert state[0]["name"] == "before" and tuple(state[0]["y"]["shape"]) == (10,)  # 10 rank bins


def test_empty_accuracy_chart_says_why_and_the_note_goes_with_the_first_curve(feature_card_data, tmp_path):
    data, model, fs, _ = feature_card_data
    ex = SpuriosityExplorer(
        model, data, data, train_features=fs.features, val_features=fs.features, n_features=2, k=5,
        card_k=2, annotations_path=tmp_path / "a.json", device="cpu",
    )  # fmt: skip
    assert ex.figure.data == ()
    (note,) = ex.figure.layout.annotations
    assert note.text.startswith("Nothing to plot yet") and "spurious" in note.text
    assert ex.figure.get_state()["_widget_layout"]["annotations"][0]["text"] == note.text  # what a new view shows
    ex.view.annotations = {"0": {"1": "spurious"}}
    assert ex.figure.layout.annotations == () and len(ex.figure.data) == 1
    assert (
        "annotations" not in ex.figure.get_state()["_widget_layout"]
        or not (ex.figure.get_state()["_widget_layout"]["annotations"])
    )


def test_a_tune_with_nothing_to_do_says_why(feature_card_data, tmp_path):
    data, model, fs, _ = feature_card_data
    ex = SpuriosityExplorer(
        model, data, data, train_features=fs.features, val_features=fs.features, n_features=2, k=5,
        n_per_class=10, card_k=2, gap_threshold=1.0, annotations_path=tmp_path / "a.json", device="cpu",
    )  # fmt: skip
    ex.view.annotations = {"0": {"1": "spurious"}}  # one annotation: its gap is already under 100 %
    ex.tune()
    assert ex.view.tune_status.startswith("nothing to tune: stop rule met at epoch 0: every |gap| < 100%")
    assert all(r["epochs"] == 0 and r["note"].startswith("stop rule met at epoch 0") for r in ex.view.results)
