"""Rebuild the shipped background frequencies from the shared data sets.

Run `python -m groundswell.analyze.events.rebuild_background [DATA_DIR]` from the
project root; DATA_DIR defaults to ../shared/data.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

from groundswell.analyze.events.background import BACKGROUND_FILE, build_background


def main() -> None:
    data_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("..") / "shared" / "data"
    documents, counts = build_background(data_dir)
    BACKGROUND_FILE.parent.mkdir(parents=True, exist_ok=True)
    payload = json.dumps({"documents": documents, "counts": counts}, ensure_ascii=False)
    # mtime=0 keeps the file byte-identical when rebuilt from the same data.
    with (
        BACKGROUND_FILE.open("wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as handle,
    ):
        handle.write(payload.encode("utf-8"))
    print(f"{BACKGROUND_FILE}: {documents} documents, {len(counts)} terms")


if __name__ == "__main__":
    main()
