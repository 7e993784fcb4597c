#!/usr/bin/env python3
"""Trunk post-build hook (before csp.py): names one build's files by its version, and writes the
service worker's list of them.

* The build version is a hash of every file Trunk wrote. The engine (its loader shim, glue and
  wasm), the UI (glue and wasm) and the style get it in their names, and index.html says it in
  `<meta name="pinhole-build">`, from which the UI starts `engine_loader-<build>.js`. So a page
  can only ever start the engine it was built with, whatever a browser or CDN has cached.
* The shipped weights and model cards are named by their content, and weights/index.json says so.
* sw.js (the template in public/) gets the version and the list of files to keep offline:
  everything in the build except the service worker itself and the training logs.
"""

import hashlib
import json
import os
import re
import sys
from pathlib import Path

stage = Path(os.environ.get("TRUNK_STAGING_DIR", "dist"))
index = stage / "index.html"
html = index.read_text()


def build_files():
    """The files Trunk wrote (a dev staging folder may hold shards under data/: not the build's)."""
    return sorted(p for p in stage.rglob("*") if p.is_file() and p.relative_to(stage).parts[0] != "data")


# The shipped weights and their model cards are named by their content (`full-<sha256>.bin`), and
# weights/index.json names them so: a browser or CDN holding an older file under the old name can
# never hand it to a newer engine. The index itself is read as `index.json?build=<build>`.
weights = stage / "weights"
listing_path = weights / "index.json"
if listing_path.exists():
    listing = json.loads(listing_path.read_text())
    for model in listing.get("models", []):
        for key in ["file", "card"]:
            name = model.get(key)
            if not name or re.search(r"-[0-9a-f]{12}\.", name):
                continue
            path = weights / name
            if not path.is_file():
                sys.exit(f"pwa.py: {listing_path} names {name}, which the build lacks")
            content = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
            stem, dot, ext = name.rpartition(".")
            hashed = f"{stem}-{content}.{ext}"
            path.rename(weights / hashed)
            model[key] = hashed
    listing_path.write_text(json.dumps(listing) + "\n")

digest = hashlib.sha256()
for path in build_files():
    digest.update(str(path.relative_to(stage)).encode() + b"\0" + path.read_bytes())
build = digest.hexdigest()[:12]

# name -> versioned name; every reference to them is in index.html or the loader shim.
renames = {}
for name in ["engine.js", "engine_bg.wasm", "engine_loader.js", "pinhole-ui.js", "pinhole-ui_bg.wasm", "style.css"]:
    if not (stage / name).exists():
        sys.exit(f"pwa.py: {stage / name} missing (did Trunk's output names change?)")
    stem, dot, ext = name.partition(".")
    renames[name] = f"{stem}-{build}{dot}{ext}"

loader = (stage / "engine_loader.js").read_text()
for old in ["engine.js", "engine_bg.wasm"]:
    if f'"./{old}"' not in loader:
        sys.exit(f"pwa.py: the loader shim does not name ./{old}: {loader!r}")
    loader = loader.replace(f'"./{old}"', f'"./{renames[old]}"')
(stage / "engine_loader.js").write_text(loader)

for old in ["pinhole-ui.js", "pinhole-ui_bg.wasm", "style.css"]:
    if f"./{old}" not in html:
        sys.exit(f"pwa.py: {index} does not name ./{old}")
    html = html.replace(f"'./{old}'", f"'./{renames[old]}'").replace(f'"./{old}"', f'"./{renames[old]}"')
for old, new in renames.items():
    (stage / old).rename(stage / new)

meta = f'<meta name="pinhole-build" content="{build}">'
html = html.replace('<meta charset="utf-8">', '<meta charset="utf-8">\n  ' + meta, 1)
index.write_text(html)

sw = stage / "sw.js"
if not sw.exists():
    sys.exit(f"pwa.py: {sw} missing (index.html copies public/sw.js)")
app_files = [
    str(p.relative_to(stage))
    for p in build_files()
    if p.name != "sw.js" and not p.name.endswith(".jsonl")
]
text = sw.read_text()
text, n_build = re.subn(r"^const BUILD = '[^']*';$", f"const BUILD = '{build}';", text, flags=re.M)
listing = "[\n" + "".join(f"  '{f}',\n" for f in app_files) + "]"
text, n_files = re.subn(r"^const APP_FILES = \[\];$", lambda _: f"const APP_FILES = {listing};", text, flags=re.M)
if (n_build, n_files) != (1, 1):
    sys.exit(f"pwa.py: {sw} lacks the BUILD or APP_FILES line to fill in")
sw.write_text(text)
size = sum((stage / f).stat().st_size for f in app_files)
print(f"pwa.py: build {build}, {len(app_files)} files ({size / 1e6:.1f} MB) kept offline by sw.js")
