"""ImageGallery and ClusterGallery in Chromium (fast tier): paging, click selection, marking."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from spurwidgets.datasets import colored_digits
from spurwidgets.widgets import ClusterGallery, ImageGallery

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def pictures() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 255, size=(150, 8, 8, 3), dtype=np.uint8)


def test_next_and_prev_buttons_page_through_the_gallery(widget_page, pictures):
    g = ImageGallery(pictures, page_size=16, columns=8, thumb_size=32)
    wp = widget_page(g)
    cells = wp.page.locator(".sw-ig-cell")
    assert cells.count() == 16 and wp.page.locator(".sw-ig-prev").is_disabled()
    wp.page.click(".sw-ig-next")
    assert wp.last_saved("page") == 1
    wp.sync()  # Python encodes page 2 and sends it
    assert cells.first.get_attribute("data-index") == "16" and cells.count() == 16
    assert wp.page.locator(".sw-ig-page").inner_text() == "page 2 / 10"
    wp.page.click(".sw-ig-prev")
    wp.sync()
    assert g.page == 0 and cells.first.get_attribute("data-index") == "0"
    assert wp.errors == []


def test_clicking_thumbnails_toggles_the_selection(widget_page, pictures):
    g = ImageGallery(pictures, indices=np.arange(100, 130), page_size=30)
    wp = widget_page(g)
    for index in (102, 105, 102, 117):
        wp.page.click(f'.sw-ig-cell[data-index="{index}"]')
    assert wp.last_saved("selection") == [105, 117]
    assert wp.page.locator('.sw-ig-cell[aria-pressed="true"]').evaluate_all("cs => cs.map(c => +c.dataset.index)") == [
        105,
        117,
    ]
    assert wp.page.locator(".sw-ig-selected").inner_text() == "2 selected"
    wp.screenshot("image_gallery_selected.png")
    wp.sync()
    assert g.selection.dtype == np.int64 and g.selection.tolist() == [105, 117]
    wp.page.click(".sw-ig-clear")
    wp.sync()
    assert g.selection.tolist() == []


def test_hover_text_names_index_label_and_score(widget_page, pictures):
    g = ImageGallery(
        pictures, indices=[7], labels=np.arange(150) % 2, scores=np.arange(150) / 10, class_names=["cat", "dog"]
    )
    wp = widget_page(g)
    assert wp.page.locator(".sw-ig-cell").get_attribute("title") == "index 7 · label dog · logit 0.7"


def test_python_indices_update_the_grid(widget_page, pictures):
    g = ImageGallery(pictures, page_size=8)
    wp = widget_page(g)
    g.indices = [3, 1, 4]
    wp.push("n_items", "thumbnails", "page_indices", "tooltips", "page_captions")
    assert wp.page.locator(".sw-ig-cell").evaluate_all("cs => cs.map(c => +c.dataset.index)") == [3, 1, 4]
    assert wp.page.locator(".sw-ig-status").inner_text() == "3 images"


@pytest.fixture()
def cluster_page(widget_page, pictures):
    clusters = np.array([7] * 20 + [2] * 10)
    g = ClusterGallery(
        pictures[:30], clusters, labels=np.arange(30) % 2, class_names=["cat", "dog"], n_thumbs=4, max_thumbs=12
    )
    return g, widget_page(g)


def test_clicking_tags_marks_and_unmarks_clusters(cluster_page):
    g, wp = cluster_page
    wp.page.click('.sw-cg-section[data-cluster="7"] .sw-cg-tag[data-tag="minority"]')
    wp.page.click('.sw-cg-section[data-cluster="2"] .sw-cg-tag[data-tag="majority"]')
    assert wp.last_saved("marked") == {"7": "minority", "2": "majority"}
    wp.sync()
    assert g.marked == {7: "minority", 2: "majority"}
    wp.page.click('.sw-cg-section[data-cluster="7"] .sw-cg-tag[data-tag="minority"]')  # again: unmark
    wp.sync()
    assert g.marked == {2: "majority"}
    assert wp.page.locator(".sw-cg-summary").inner_text() == "2 clusters · 30 images · marked: 0 minority, 1 majority"
    assert wp.errors == []


def test_marks_set_in_python_show_in_the_browser(cluster_page):
    g, wp = cluster_page
    g.marked = {2: "minority"}
    wp.push("marked")
    section = wp.page.locator('.sw-cg-section[data-cluster="2"]')
    assert section.get_attribute("data-tag") == "minority"
    assert section.locator('.sw-cg-tag[data-tag="minority"]').get_attribute("aria-pressed") == "true"


def test_show_more_expands_a_cluster(cluster_page):
    g, wp = cluster_page
    section = wp.page.locator('.sw-cg-section[data-cluster="7"]')
    assert section.locator("img").count() == 4 and section.locator(".sw-cg-more").inner_text() == "Show more (4 of 20)"
    section.locator(".sw-cg-more").click()
    assert wp.last_saved("expanded") == [7]
    wp.sync()
    assert section.locator("img").count() == 12 and section.locator(".sw-cg-more").inner_text() == "Show less"
    assert section.locator(".sw-cg-chip").all_inner_texts() == ["cat: 10", "dog: 10"]
    titles = section.locator("img").evaluate_all("imgs => imgs.map(i => i.title)")
    assert titles == [f"index {i}" for i in range(12)]
    assert wp.page.locator('.sw-cg-section[data-cluster="2"] img').count() == 4


def test_a_view_opened_with_an_expanded_section_asks_for_its_extras(widget_page, pictures):
    g = ClusterGallery(pictures[:30], np.array([7] * 20 + [2] * 10), n_thumbs=4, max_thumbs=12)
    g.expanded = [7]
    wp = widget_page(g)
    assert wp.sent() == [{"kind": "cache"}, {"kind": "need-more", "clusters": [7]}]
    wp.sync()
    assert wp.page.locator('.sw-cg-section[data-cluster="7"] img').count() == 12
    assert wp.errors == []


def test_new_clusters_draw_from_the_views_cache_and_the_pictures_python_adds(cluster_page):
    g, wp = cluster_page  # cluster 7: images 0..19 (thumbnails 0-3), cluster 2: 20..29 (20-23)
    wp.sync()  # the view's {"kind": "cache"} reaches Python
    assert g._browser_cache
    g.set_clusters(np.array([2, 2, 2, 2, 7, 7, 7, 7, 7]), indices=np.array([0, 1, 2, 29, 20, 21, 22, 23, 24]))
    wp.deliver()  # {"kind": "thumbs"}: the PNG of image 29 only, then the state the comm sends
    wp.push("sections", "thumb_indices")  # (not `thumbnails`: Python keeps it without re-sending)
    _settle(wp)
    titles = {
        c: wp.page.locator(f'.sw-cg-section[data-cluster="{c}"] img').evaluate_all("imgs => imgs.map(i => i.title)")
        for c in (2, 7)
    }
    assert titles == {2: ["index 0", "index 1", "index 2", "index 29"], 7: [f"index {i}" for i in range(20, 24)]}
    assert sorted(map(int, wp.get("thumbnails"))) == [0, 1, 2, 3, 20, 21, 22, 23]  # the page's state is older
    assert wp.errors == []


def test_gallery_error_banner_is_visible(cluster_page):
    g, wp = cluster_page
    g.report_error(ValueError("marked[7] must be one of ['minority', 'majority']; got 'rare'"))
    wp.push("error")
    assert (
        wp.page.locator(".sw-error").inner_text()
        == "ValueError: marked[7] must be one of ['minority', 'majority']; got 'rare'"
    )


def test_screenshots_light_and_dark(widget_page):
    train = colored_digits("train")
    idx = np.arange(0, 400, 5)
    image_gallery = ImageGallery(
        train, indices=idx, page_size=24, columns=12, thumb_size=48, title="Samples in the window"
    )
    clusters = ClusterGallery(train, np.arange(len(idx)) % 3, indices=idx, n_thumbs=10)
    clusters.marked = {0: "minority", 2: "majority"}
    for theme in ("light", "dark"):
        for name, widget in (("image_gallery", image_gallery), ("cluster_gallery", clusters)):
            wp = widget_page(widget, theme=theme)
            wp.page.wait_for_function("[...document.images].every(i => i.complete && i.naturalWidth > 0)")
            assert wp.screenshot(f"{name}_{theme}.png").stat().st_size > 5000
            assert wp.errors == []


def test_page_past_the_end_is_clamped_by_python_and_echoed(widget_page, pictures):
    g = ImageGallery(pictures, page_size=50)
    wp = widget_page(g)
    wp.page.evaluate("window.__model.set('page', 7); window.__model.save_changes()")
    assert {"page", "thumbnails", "page_indices"} <= set(wp.sync())
    assert g.page == 2 and wp.get("page") == 2
    assert wp.page.locator(".sw-ig-page").inner_text() == "page 3 / 3"


# --- blob URL lifetime: no "Failed to load resource: net::ERR_FILE_NOT_FOUND" ---------------
# Each thumbnail is an <img> on an object URL. A redraw (paging, new indices, expand) that
# revoked the previous draw's URLs while those images were still loading made Chromium log
# ERR_FILE_NOT_FOUND; the URL must only be revoked once its own image has loaded (or failed).


def _watch_failures(wp) -> list[str]:
    failed: list[str] = []
    wp.page.on("requestfailed", lambda req: failed.append(f"{req.url[:40]} {req.failure}"))
    return failed


def _push_in_quick_succession(wp, *updates: tuple[str, ...]) -> None:
    """Push each group of traits as its own 'comm message', one task apart, so every redraw
    starts while the previous draw's images are still loading."""
    encode_state = sys.modules[type(wp).__module__].encode_state  # the harness's own encoder
    encoded = [encode_state(wp.widget.get_state(list(names))) for names in updates]
    wp.page.evaluate(
        "async (us) => { for (const u of us) { window.__push(u); await new Promise(r => setTimeout(r, 0)); } }",
        encoded,
    )


def _settle(wp) -> None:
    """Wait until every image on the page has decoded, then one more frame for late errors."""
    wp.page.wait_for_function("[...document.images].every(i => i.complete)")
    wp.page.evaluate("() => new Promise(r => requestAnimationFrame(() => setTimeout(r, 50)))")
    broken = wp.page.evaluate("[...document.images].filter(i => i.naturalWidth === 0).length")
    assert broken == 0


def test_image_gallery_keeps_blob_urls_alive_through_paging_and_new_indices(widget_page, pictures):
    g = ImageGallery(pictures, page_size=24, columns=8, thumb_size=24)
    wp = widget_page(g)
    failed = _watch_failures(wp)
    pages = []
    for page in (1, 2, 3, 0):  # a page per message, as fast as the comm delivers them
        g.page = page
        pages.append(("page", "thumbnails", "page_indices", "tooltips", "page_captions"))
        _push_in_quick_succession(wp, pages[-1])
    wp.page.click(".sw-ig-next")  # the buttons too
    wp.sync()
    wp.page.click(".sw-ig-next")
    wp.sync()
    g.indices = np.arange(149, 99, -1)  # re-selection: Python sets new indices, twice in a row
    first = ("n_items", "page", "thumbnails", "page_indices", "tooltips", "page_captions")
    g.selection = [40, 20]
    g.indices = np.arange(60)
    _push_in_quick_succession(wp, first, first + ("selection",))
    _settle(wp)
    assert wp.page.locator(".sw-ig-cell").evaluate_all("cs => cs.map(c => +c.dataset.index)") == list(range(24))
    assert wp.page.locator(".sw-ig-selected").inner_text() == "2 selected"
    assert wp.errors == [] and failed == []


def test_cluster_gallery_keeps_blob_urls_alive_through_expand_and_redraws(cluster_page):
    g, wp = cluster_page
    failed = _watch_failures(wp)
    more = '.sw-cg-section[data-cluster="7"] .sw-cg-more'
    for _ in range(2):  # expand, collapse, expand, collapse via the button
        wp.page.click(more)
        wp.sync()
    g.expanded = [7, 2]
    thumbs = ("expanded", "thumbnails", "thumb_indices")
    assert sorted(map(int, g.thumbnails)) == [0, 1, 2, 3, 20, 21, 22, 23]  # keyed by image index
    _push_in_quick_succession(wp, ("expanded",), thumbs)
    wp.deliver()  # the extras of 7 and 2, one custom message each
    g.expanded = []
    _push_in_quick_succession(wp, thumbs)
    g.expanded = [7]
    _push_in_quick_succession(wp, ("expanded",), thumbs)
    wp.deliver()
    _settle(wp)
    assert wp.page.locator('.sw-cg-section[data-cluster="7"] img').count() == 12
    assert wp.page.locator('.sw-cg-section[data-cluster="2"] img').count() == 4
    assert wp.errors == [] and failed == []


def test_empty_gallery_message_spans_the_row_on_one_line(widget_page, pictures):
    # As in ProbeExplorer before any lasso: 8 columns of 40 px thumbnails, nothing selected.
    g = ImageGallery(pictures, indices=[], columns=8, thumb_size=40, title="lasso / box selection")
    wp = widget_page(g, width=420)
    empty = wp.page.locator(".sw-ig-empty")
    assert empty.inner_text() == "No images to show"
    line = empty.evaluate("e => parseFloat(getComputedStyle(e).lineHeight) || 16")
    padding = 24
    assert empty.bounding_box()["height"] <= line + padding + 2  # one line, not one word per line
    assert wp.errors == []
