"""README.md's front matter is the Hugging Face Space's card: it must match the code it describes."""

from __future__ import annotations

import re

from models.registry import MODELS
from tests.conftest import REPO


def _front_matter() -> dict[str, object]:
    """The README's YAML front matter, read for the simple shapes it uses (scalars and lists)."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert text.startswith("---\n")
    block = text[4:text.index("\n---\n", 4)]
    card: dict[str, object] = {}
    key = None
    for line in block.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.startswith("  - "):
            card.setdefault(key, []).append(line[4:].strip())  # type: ignore[union-attr]
            continue
        key, _, value = line.partition(":")
        if value.strip():
            card[key] = value.strip().strip('"')
    return card


def test_the_card_has_everything_spaces_reads():
    card = _front_matter()
    for field in ("title", "emoji", "sdk", "sdk_version", "python_version", "app_file", "license",
                  "short_description", "models", "tags"):
        assert card.get(field), field
    assert card["sdk"] == "gradio" and card["app_file"] == "app.py" and (REPO / card["app_file"]).exists()
    assert len(card["short_description"]) <= 60  # Spaces refuses a longer one


def test_the_card_names_the_gradio_and_python_the_app_is_pinned_to():
    card = _front_matter()
    requirements = (REPO / "requirements.txt").read_text()
    pinned = re.search(r"^gradio(?:\[[\w,]+\])?==([\d.]+)$", requirements, flags=re.MULTILINE)
    assert pinned and card["sdk_version"] == pinned.group(1)
    assert card["python_version"] == "3.11"


def test_the_card_lists_and_preloads_every_default_model():
    card = _front_matter()
    defaults = {spec.hub_id for spec in MODELS.values()}
    assert set(card["models"]) == defaults
    assert set(card["preload_from_hub"]) == defaults
