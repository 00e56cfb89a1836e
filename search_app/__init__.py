"""The search site: a Flask app factory with its settings passed in."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

#: Every setting the app reads, with its default and what it is for.
SETTINGS: dict[str, tuple[object, str]] = {
    "INDEX_DIR": ("data/index", "Folder of the index built by `python -m indexer build`."),
    "PAGE_SIZE": (20, "Hits per results page unless the URL asks for another size."),
    "MAX_PAGE_SIZE": (100, "The largest page size a URL may ask for."),
    "KWIC_WIDTH": (20, "Characters shown on each side of a match in the comparison view."),
    "KWIC_LIMIT": (2000, "Most keyword-in-context lines shown on the comparison page."),
    "KWIC_PER_TOWNSHIP": (20, "Most keyword-in-context lines per township on the comparison page."),
    "HEAVY_LIMIT": (2, "Comparison pages and exports computed at once; more wait for a free slot."),
    "HEAVY_WAIT": (5.0, "Seconds a heavy request waits for a slot before a 503 asks to retry."),
}


def create_app(config: dict | None = None) -> Flask:
    """Build the app. INDEX_DIR comes from config, else the SEARCH_INDEX_DIR environment variable."""
    app = Flask(__name__)
    app.config.from_mapping({name: default for name, (default, _) in SETTINGS.items()})
    if os.environ.get("SEARCH_INDEX_DIR"):
        app.config["INDEX_DIR"] = os.environ["SEARCH_INDEX_DIR"]
    for key, value in (config or {}).items():
        if key not in SETTINGS and key not in app.config:
            raise ValueError(f"Unknown setting {key!r}; known settings: {', '.join(SETTINGS)}.")
        app.config[key] = value
    app.config["INDEX_DIR"] = Path(app.config["INDEX_DIR"])
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    from . import api, concordance, errors, keyterms, pages, protect, similar, store, trends

    store.init_app(app)
    protect.init_app(app)
    errors.register(app)
    for module in (pages, api, trends, concordance, similar, keyterms):
        app.register_blueprint(module.bp)
    return app
