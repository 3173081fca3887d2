"""Spuriosity widgets in Chromium (fast tier: harness page with a mock model)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from spurwidgets.widgets.feature_card import FeatureCard


@pytest.mark.browser
def test_feature_card_toggle_writes_the_annotations_file(widget_page, feature_card_data, tmp_path):
    data, model, fs, ranker = feature_card_data
    path = tmp_path / "notes.json"
    feature = int(ranker.top_features_[1][0])
    card = FeatureCard(ranker, 1, feature, data, features=fs.features, model=model, annotations_path=path, device="cpu")
    wp = widget_page(card)
    assert wp.el.locator("img.sw-fc-img").count() == 10
    wp.el.locator("button.sw-fc-mark-spurious").click()
    assert wp.last_saved("annotation") == "spurious"
    wp.sync()
    assert json.loads(path.read_text())["annotations"] == {"1": {str(feature): "spurious"}}
    assert wp.el.locator("button.sw-fc-mark-spurious[aria-pressed=true]").count() == 1
    wp.el.locator("button.sw-fc-mark-spurious").click()  # clicking the active label removes it
    wp.sync()
    assert json.loads(path.read_text())["annotations"] == {}
    assert wp.errors == []


@pytest.mark.browser
def test_feature_card_views_switch_to_heatmaps_and_attacks(widget_page, feature_card_data):
    data, model, fs, ranker = feature_card_data
    card = FeatureCard(
        ranker, 0, int(ranker.top_features_[0][0]), data, features=fs.features, model=model, device="cpu"
    )
    wp = widget_page(card)
    first = wp.el.locator("img.sw-fc-img").first.get_attribute("src")
    wp.el.locator("button.sw-fc-view[data-view=heatmaps]").click()
    assert wp.last_saved("view") == "heatmaps"
    assert wp.el.locator("img.sw-fc-img").first.get_attribute("src") != first
    wp.el.locator("button.sw-fc-view[data-view=attacks]").click()
    assert wp.el.locator(".sw-fc-label").first.inner_text() == "most activating, after a feature attack"
    wp.screenshot("feature_card.png")
    assert wp.errors == []


@pytest.fixture()
def explorer(feature_card_data, tmp_path):
    from spurwidgets.widgets.spuriosity_explorer import SpuriosityExplorer

    data, model, fs, ranker = feature_card_data
    return SpuriosityExplorer(
        model, data, data, train_features=fs.features, val_features=fs.features, n_features=2, k=5,
        n_per_class=10, card_k=3, strip_size=8, annotations_path=tmp_path / "notes.json", device="cpu",
    )  # fmt: skip


@pytest.mark.browser
def test_explorer_ranking_view_follows_annotations(widget_page, explorer, tmp_path):
    wp = widget_page(explorer.view, width=900)
    assert wp.el.locator(".sw-sx-cards .sw-fc").count() == 2
    assert wp.el.locator(".sw-sx-gaps td").nth(2).inner_text() == "—"  # nothing annotated yet
    feature = int(explorer.ranker.top_features_[0][0])
    wp.el.locator(f".sw-fc[data-feature='{feature}'] button.sw-fc-mark-spurious").click()
    assert wp.last_saved("annotations") == {"0": {str(feature): "spurious"}}
    assert {"strip", "gaps"} <= set(wp.sync())  # Python recomputed the ranking and pushed it back
    assert json.loads((tmp_path / "notes.json").read_text())["annotations"] == {"0": {str(feature): "spurious"}}
    captions = [float(t) for t in wp.el.locator(".sw-sx-strip-cell figcaption").all_inner_texts()]
    assert len(captions) == 8 and captions == sorted(captions) and captions[0] < captions[-1]
    gap = round(100 * explorer.view.gaps[0]["gap"])
    shown = wp.el.locator(".sw-sx-gaps tr[data-cls='0'] td").nth(2).inner_text()
    assert shown == (f"+{gap}" if gap > 0 else str(gap))
    assert wp.errors == []


@pytest.mark.browser
def test_explorer_class_picker_and_tune_button(widget_page, explorer):
    wp = widget_page(explorer.view, width=900)
    wp.el.locator("select.sw-sx-class").select_option("1")
    assert wp.last_saved("cls") == 1
    wp.sync()
    shown = {int(x) for x in wp.el.locator(".sw-fc").evaluate_all("els => els.map(e => e.dataset.feature)")}
    assert shown == {int(f) for f in explorer.ranker.top_features_[1]}
    wp.el.locator(".sw-fc button.sw-fc-mark-spurious").first.click()
    wp.sync()
    wp.el.locator("button.sw-sx-tune-button").click()
    assert wp.last_saved("tune_request") == 1
    wp.sync()
    strategies = wp.el.locator(".sw-sx-results tr[data-strategy]").evaluate_all(
        "els => els.map(e => e.dataset.strategy)"
    )
    assert strategies == ["low_spuriosity", "random", "misclassified"]
    status = explorer.view.tune_status
    assert status == "done" or status.startswith(("nothing to tune: ", "the head was kept as it is: "))
    assert wp.el.locator(".sw-sx-status").inner_text() == status
    assert wp.el.locator("button.sw-sx-tune-button").is_enabled()  # a finished run frees the button
    notes = wp.el.locator(".sw-sx-note-line").all_inner_texts()
    assert notes == [f"{r['strategy'].replace('_', ' ')}: {r['note']}" for r in explorer.view.results]
    assert set(explorer.results_) == set(strategies) and len(explorer.figure.data) == 4
    wp.screenshot("spuriosity_explorer.png")
    assert wp.errors == []


@pytest.mark.browser
def test_negative_gap_row_is_highlighted_with_its_most_spurious_images(widget_page, explorer):
    from spurwidgets.compute.images import ImageSource
    from spurwidgets.widgets.spuriosity_payloads import gap_rows

    labels = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    spuriosity = np.array([0.0, 1.0, 2.0, 3.0, 0.0, 1.0, 2.0, 3.0])
    correct = np.array([1, 1, 0, 0, 0, 0, 1, 1], dtype=bool)  # class 0: negative, class 1: positive
    source = ImageSource(np.zeros((8, 4, 4, 3), dtype=np.uint8))
    wp = widget_page(explorer.view, width=900)
    explorer.view.gaps = gap_rows(source, {0: [1], 1: [1]}, spuriosity, correct, labels, ["a", "b"], k=2, thumb_size=8)
    wp.push("gaps")
    negative = wp.el.locator(".sw-sx-gaps tr.sw-sx-negative")
    assert negative.count() == 1 and negative.get_attribute("data-cls") == "0"
    assert negative.locator("td").nth(2).inner_text() == "-100"
    assert negative.locator("img.sw-sx-flag-img").count() == 2
    assert wp.el.locator(".sw-sx-gaps tr[data-cls='1'] td").nth(2).inner_text() == "+100"
    assert wp.errors == []
