"""The size of the built CommonLayer (arm64, Python 3.13): unzipped, as Lambda's 250 MB limit counts it, and zipped.

`sam build` (make template) leaves it in .aws-sam/build/CommonLayer; without that, the layer's own Makefile target
builds it into bench/results/layer (pip fetches arm64 wheels, no Docker and no SAM needed).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SAM_BUILD = ROOT / ".aws-sam" / "build" / "CommonLayer"
OWN_BUILD = ROOT / "bench" / "results" / "layer"
MB = 1024 * 1024


def _files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file() and "__pycache__" not in path.parts)


def unzipped_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in _files(folder))


def zipped_bytes(folder: Path) -> int:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in _files(folder):
            archive.write(path, path.relative_to(folder))
    return buffer.tell()


def build(target: Path = OWN_BUILD) -> Path:
    """Run the layer's Makefile target as `sam build` would, with this interpreter's pip."""
    target.mkdir(parents=True, exist_ok=True)
    subprocess.run(["make", "-C", str(ROOT / "layers" / "common"), "build-CommonLayer", f"ARTIFACTS_DIR={target}",
                    f"PYTHON={sys.executable}"], check=True, stdout=subprocess.DEVNULL, env=os.environ.copy())
    return target


def built_layer() -> tuple[Path, str]:
    """The folder of the built layer and how it was found."""
    if (SAM_BUILD / "python").is_dir():
        return SAM_BUILD, "sam build (.aws-sam/build/CommonLayer)"
    if (OWN_BUILD / "python").is_dir():
        return OWN_BUILD, "layers/common/Makefile into bench/results/layer"
    return build(), "layers/common/Makefile into bench/results/layer (built now)"


def layer_packages() -> set[str]:
    """The top-level names the built layer puts on sys.path (packages and single modules)."""
    folder = built_layer()[0] / "python"
    return {path.name.removesuffix(".py") for path in folder.iterdir()
            if not path.name.endswith((".dist-info", ".pth")) and path.name not in ("bin", "__pycache__")}


def measure() -> dict[str, Any]:
    folder, origin = built_layer()
    packages: dict[str, int] = {}
    for path in _files(folder / "python"):
        top = path.relative_to(folder / "python").parts[0].split("-")[0].removesuffix(".py")
        packages[top] = packages.get(top, 0) + path.stat().st_size
    largest = sorted(packages.items(), key=lambda pair: -pair[1])[:8]
    built = datetime.fromtimestamp((folder / "python").stat().st_mtime, UTC)
    return {
        "layer_mb": round(unzipped_bytes(folder) / MB, 2),
        "built_at": built.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "layer_zip_mb": round(zipped_bytes(folder) / MB, 2),
        "origin": origin,
        "largest_packages_mb": {name: round(size / MB, 2) for name, size in largest},
    }
