#!/usr/bin/env python3
"""Trunk post-build hook: puts a Content-Security-Policy in the built index.html.

The page may load only its own files: scripts from its origin plus the loader Trunk writes
inline (allowed by its SHA-256, computed here from the text Trunk wrote), WebAssembly compiled
from those ('wasm-unsafe-eval'), requests to its own origin only, and images from its origin or
the blob: URLs it makes of a visitor's own files. Style attributes (bar widths, overlay opacity)
are the one inline allowance. The engine worker is same-origin; its requests are checked in the
engine itself (engine/shards.rs) and by this policy's connect-src for the page.
"""

import base64
import hashlib
import os
import re
import sys
from pathlib import Path

index = Path(os.environ.get("TRUNK_STAGING_DIR", "dist")) / "index.html"
html = index.read_text()
inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", html, re.S)
hashes = " ".join(
    "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
    for s in inline
)
policy = "; ".join(
    [
        "default-src 'self'",
        f"script-src 'self' 'wasm-unsafe-eval' {hashes}".strip(),
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' blob: data:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
    ]
)
meta = f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
if "Content-Security-Policy" in html:
    sys.exit(f"{index}: already has a Content-Security-Policy")
html = html.replace('<meta charset="utf-8">', '<meta charset="utf-8">\n  ' + meta, 1)
index.write_text(html)
print(f"csp.py: {len(inline)} inline script(s) allowed by hash in {index}")
