"""A deterministic static site for the publishing benchmarks: N files in nested folders, HTML pages
linking CSS, JS and images, about 30 % incompressible "images"; the same seed gives the same bytes."""

from __future__ import annotations

import random
from pathlib import Path


def generate(dest: Path, files: int, seed: int = 1) -> Path:
    rng = random.Random(seed)
    for n in range(files):
        folder = dest / f"section{n % 20}" / f"part{n % 7}"
        folder.mkdir(parents=True, exist_ok=True)
        kind = n % 10
        if kind < 3:
            (folder / f"img{n}.png").write_bytes(rng.randbytes(rng.randint(500, 4000)))
        elif kind < 5:
            (folder / f"style{n}.css").write_text("".join(f".c{n}-{i}{{margin:{i}px}}\n" for i in range(40)))
        elif kind < 6:
            (folder / f"app{n}.js").write_text("".join(f"function f{n}_{i}(){{return {i};}}\n" for i in range(40)))
        else:
            body = " ".join(rng.choice(("deploy", "release", "page", "site", "cache")) for _ in range(200))
            (folder / f"page{n}.html").write_text(f"<html><link rel=stylesheet href=style{n - 1}.css>"
                                                  f"<body><p>{body}</p><img src=img{n - 3}.png></body></html>\n")
    return dest
