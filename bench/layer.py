"""The built CommonLayer (arm64, Python 3.13): its size unzipped, as Lambda's 250 MB limit counts it, and zipped, and
whether it carries bytecode the runtime can use.

`sam build` (make template) leaves it in .aws-sam/build/CommonLayer; when that is missing or older than the layer's
sources, the layer's own Makefile target builds it into bench/results/layer (pip fetches arm64 wheels, no Docker and
no SAM needed).
`python -m bench.layer --check-bytecode <layer dir>` (scripts/template-check.sh) fails unless every module of the
layer has a Python 3.13 .pyc beside it that the runtime will use as it is, and every template its compiled module.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SAM_BUILD = ROOT / ".aws-sam" / "build" / "CommonLayer"
OWN_BUILD = ROOT / "bench" / "results" / "layer"
SOURCES = ROOT / "layers" / "common"
MB = 1024 * 1024
# importlib.util.MAGIC_NUMBER of CPython 3.13 (3571): the first four bytes of every .pyc that 3.13 will load.
PYTHON_313_MAGIC = (3571).to_bytes(2, "little") + b"\r\n"
PYTHON_313_TAG = "cpython-313"
UNCHECKED_HASH_FLAGS = 0b01  # PEP 552: hash-based, source not checked (a read-only layer is never recompiled)


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


def build(target: Path = OWN_BUILD, platform: str | None = None) -> Path:
    """Run the layer's Makefile target as `sam build` would, with this interpreter's pip, into a clean folder (for
    Lambda's arm64, or for `platform`, a pip platform tag)."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    subprocess.run(["make", "-C", str(SOURCES), "build-CommonLayer", f"ARTIFACTS_DIR={target}",
                    f"PYTHON={sys.executable}", *([f"PLATFORM={platform}"] if platform else [])],
                   check=True, stdout=subprocess.DEVNULL, env=os.environ.copy())
    return target


def newest_source(sources: Path) -> float:
    """When the layer's sources (code, templates, requirements, Makefile) last changed."""
    return max(path.stat().st_mtime for path in _files(sources))


def built_layer() -> tuple[Path, str]:
    """The folder of a built layer no older than its sources, and how it was found: `sam build`'s, else the bench's
    own, else one built now (a layer built before the last change would describe code that is gone)."""
    changed = newest_source(SOURCES)
    for folder, origin in ((SAM_BUILD, "sam build (.aws-sam/build/CommonLayer)"),
                           (OWN_BUILD, "layers/common/Makefile into bench/results/layer")):
        if (folder / "python").is_dir() and (folder / "python").stat().st_mtime >= changed:
            return folder, origin
    return build(), "layers/common/Makefile into bench/results/layer (built now: none was as new as its sources)"


def layer_packages() -> set[str]:
    """The top-level names the built layer puts on sys.path (packages and single modules)."""
    folder = built_layer()[0] / "python"
    return {path.name.removesuffix(".py") for path in folder.iterdir()
            if not path.name.endswith((".dist-info", ".pth")) and path.name not in ("bin", "__pycache__")}


def bytecode(folder: Path) -> dict[str, Any]:
    """Which of the layer's modules have a .pyc for Python 3.13 beside them, and what is wrong with the others."""
    sources = sorted(folder.rglob("*.py"))
    problems: list[str] = []
    for source in sources:
        compiled = source.parent / "__pycache__" / f"{source.stem}.{PYTHON_313_TAG}.pyc"
        if not compiled.is_file():
            problems.append(f"{source.relative_to(folder)}: no {compiled.name}")
            continue
        header = compiled.read_bytes()[:8]
        if header[:4] != PYTHON_313_MAGIC:
            problems.append(f"{compiled.relative_to(folder)}: magic {header[:4]!r}, not Python 3.13's")
        elif int.from_bytes(header[4:8], "little") != UNCHECKED_HASH_FLAGS:
            problems.append(f"{compiled.relative_to(folder)}: not an unchecked-hash .pyc")
    return {"modules": len(sources), "compiled_for_313": len(sources) - len(problems), "problems": problems}


def uncompiled_templates(folder: Path) -> list[str]:
    """The templates of the layer's `leadwire/pages/templates` without their module in `leadwire/pages/compiled`."""
    from jinja2 import ModuleLoader

    pages = folder / "leadwire" / "pages"
    names = sorted(path.relative_to(pages / "templates").as_posix() for path in (pages / "templates").rglob("*.*"))
    return [name for name in names if not (pages / "compiled" / ModuleLoader.get_module_filename(name)).is_file()]


def measure() -> dict[str, Any]:
    folder, origin = built_layer()
    packages: dict[str, int] = {}
    for path in _files(folder / "python"):
        top = path.relative_to(folder / "python").parts[0].split("-")[0].removesuffix(".py")
        packages[top] = packages.get(top, 0) + path.stat().st_size
    largest = sorted(packages.items(), key=lambda pair: -pair[1])[:8]
    built = datetime.fromtimestamp((folder / "python").stat().st_mtime, UTC)
    compiled = bytecode(folder / "python")
    return {
        "layer_mb": round(unzipped_bytes(folder) / MB, 2),
        "built_at": built.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "layer_zip_mb": round(zipped_bytes(folder) / MB, 2),
        "origin": origin,
        "largest_packages_mb": {name: round(size / MB, 2) for name, size in largest},
        "bytecode": {"modules": compiled["modules"], "compiled_for_python_313": compiled["compiled_for_313"]},
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.layer")
    parser.add_argument("--check-bytecode", type=Path, metavar="LAYER_DIR", required=True,
                        help="a built layer (the folder holding python/)")
    parser.add_argument("--require", action="store_true", help="fail when the layer has no bytecode at all")
    args = parser.parse_args()
    folder = args.check_bytecode / "python"
    if uncompiled := uncompiled_templates(folder):
        raise SystemExit(f"layer templates: {len(uncompiled)} not compiled into leadwire/pages/compiled: "
                         + ", ".join(uncompiled[:20]))
    found = bytecode(folder)
    if found["modules"] and not found["compiled_for_313"] and not args.require:
        print(f"layer bytecode: none in {folder} (built without a Python 3.13)")
        return
    if found["problems"]:
        listed = "\n  ".join(found["problems"][:20])
        raise SystemExit(f"layer bytecode: {len(found['problems'])} of {found['modules']} modules not compiled for "
                         f"Python 3.13:\n  {listed}")
    print(f"layer bytecode: all {found['modules']} modules compiled for Python 3.13 (magic 3571, unchecked-hash)")


if __name__ == "__main__":
    main()
