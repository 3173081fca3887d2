"""Shared test configuration: browser availability, Playwright launch settings, a tiny CLIP."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import settings

import spurwidgets as sw
from spurwidgets.testing import chromium_available, chromium_launch_options, chromium_path

# scripts/mutation.sh runs the tests once per mutant: fewer hypothesis examples keep that affordable
settings.register_profile("mutation", max_examples=10, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

CHROMIUM = chromium_path()
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip browser tests (with a printed reason) when Chromium is absent, unless required."""
    if chromium_available():
        return
    browser_items = [item for item in items if "browser" in item.keywords]
    if not browser_items:
        return
    if os.environ.get("SPURWIDGETS_REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(
            f"SPURWIDGETS_REQUIRE_BROWSER=1 but no Chromium at {CHROMIUM}: apt-get install -y chromium"
        )
    reason = f"browser test skipped: no Chromium at {CHROMIUM} (apt-get install -y chromium to run it)"
    print(f"\n{reason} ({len(browser_items)} tests)")
    for item in browser_items:
        item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict:
    """pytest-playwright: use Debian's Chromium (never `playwright install`)."""
    return chromium_launch_options()


@pytest.fixture(scope="session")
def base_url() -> None:
    """No base URL: every page is opened by its full URL.

    Defined here because pytest-playwright 0.10's fallback `base_url` is a session fixture on a
    class instance, which pytest 9 warns about on every run.
    """
    return None


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where browser tests save screenshots for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def tiny_clip(tmp_path_factory):
    """A randomly initialised CLIP with a character-level tokenizer written to disk (no downloads)."""
    import torch
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor, CLIPTokenizer

    folder = tmp_path_factory.mktemp("clip")
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for char in "abcdefghijklmnopqrstuvwxyz":
        vocab[char] = len(vocab)
        vocab[char + "</w>"] = len(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    tokenizer = CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"))
    images = CLIPImageProcessor(size={"shortest_edge": 16}, crop_size={"height": 16, "width": 16})
    text_config = dict(vocab_size=len(vocab), hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                       num_attention_heads=2, max_position_embeddings=32, bos_token_id=0, eos_token_id=1,
                       pad_token_id=1)  # fmt: skip
    vision_config = dict(
        image_size=16, patch_size=8, hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = CLIPModel(CLIPConfig(text_config=text_config, vision_config=vision_config, projection_dim=8))
    return model, CLIPProcessor(image_processor=images, tokenizer=tokenizer)


@pytest.fixture(scope="module")
def feature_card_data():
    """FeatureCard / SpuriosityExplorer test data: 60 coloured digits, a small random CNN, its
    features and a fitted SpuriosityRanker (data, model, fs, ranker)."""
    data = sw.datasets.colored_digits("val", size=16)[::6]  # 60 images
    model = sw.models.SmallCNN(n_classes=2, width=8, random_state=0)
    fs = sw.extract(model, data, device="cpu")
    ranker = sw.SpuriosityRanker(n_features=2).fit(fs.features, data.labels, model.fc)
    return data, model, fs, ranker
