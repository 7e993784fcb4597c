#!/usr/bin/env python3
"""Draws the app icons (public/icons/*.png) from the favicon's design: a dark disc with a small
bright aperture. Standard library only (zlib PNGs, 4x4 supersampling for smooth edges).

`any` icons are the disc on transparency; `maskable` ones fill the square with the disc's colour
and keep the aperture inside the safe zone (the middle 80%), as launchers crop them to a circle
or a squircle. Run again after changing the design: python3 scripts/icons.py
"""

import struct
import zlib
from pathlib import Path

DARK = (0x1D, 0x24, 0x33)
RING = (0x2F, 0x6F, 0xDE)
APERTURE = (0xF5, 0xC5, 0x42)
OUT = Path(__file__).resolve().parent.parent / "public" / "icons"


def png(size, pixel):
    rows = bytearray()
    ss = 4
    for y in range(size):
        rows.append(0)
        for x in range(size):
            acc = [0, 0, 0, 0]
            for sy in range(ss):
                for sx in range(ss):
                    u = (x + (sx + 0.5) / ss) / size * 2 - 1
                    v = (y + (sy + 0.5) / ss) / size * 2 - 1
                    r, g, b, a = pixel(u, v)
                    acc[0] += r * a
                    acc[1] += g * a
                    acc[2] += b * a
                    acc[3] += a
            alpha = acc[3] / (ss * ss)
            if acc[3] > 0:
                rows += bytes(round(c / acc[3]) for c in acc[:3])
            else:
                rows += b"\0\0\0"
            rows.append(round(alpha * 255))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )


def design(scale, background):
    """The disc (radius `scale`), a thin ring and the aperture, in [-1, 1] coordinates."""

    def pixel(u, v):
        d = (u * u + v * v) ** 0.5 / scale
        if d < 0.22:
            return (*APERTURE, 1)
        if 0.52 < d < 0.6:
            return (*RING, 1)
        if d < 0.875 or background:
            return (*DARK, 1)
        return (0, 0, 0, 0)

    return pixel


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    icons = {
        "icon-192.png": (192, design(1.0, False)),
        "icon-512.png": (512, design(1.0, False)),
        "maskable-512.png": (512, design(0.8, True)),
        "apple-touch-icon.png": (180, design(0.9, True)),
    }
    for name, (size, pixel) in icons.items():
        (OUT / name).write_bytes(png(size, pixel))
        print(f"{OUT / name}: {size}x{size}")


if __name__ == "__main__":
    main()
