#!/usr/bin/env python3
"""Packs the `locker` abi3 wheel from an extension module cargo already built.

    python3 scripts/py-wheel.py TARGET_DIR/debug/lib_locker.so OUT_DIR

scripts/test-python builds `lib_locker.so` together with the test build (`cargo build
--workspace --all-features --lib --tests`, so it reuses every compiled dependency) and packs
it here instead of running `maturin build`, which would compile the dependencies a second
time under other features. The wheel has what maturin puts in it for locker-py/pyproject.toml:
the package `locker/` from `locker-py/python` (`__init__.py`, `_locker.pyi`, `py.typed`), the
module as `locker/_locker.abi3.so` (`module-name = "locker._locker"`), and
`locker-VERSION.dist-info/` with METADATA (name, version from Cargo.toml, summary, licence,
classifiers, Requires-Python from pyproject.toml), WHEEL (tag cp39-abi3-linux_<arch>, from
`abi3-py39`) and RECORD. Prints the wheel's path.
"""

import base64
import hashlib
import pathlib
import platform
import sys
import zipfile

try:
    import tomllib
except ImportError:  # Python < 3.11: the copy pip vendors
    from pip._vendor import tomli as tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent
PY = ROOT / "locker-py"


def version() -> str:
    """The crate version (`version.workspace = true`: the workspace's)."""
    crate = tomllib.loads((PY / "Cargo.toml").read_text())["package"]
    if isinstance(crate.get("version"), str):
        return crate["version"]
    return tomllib.loads((ROOT / "Cargo.toml").read_text())["workspace"]["package"]["version"]


def metadata(project: dict, ver: str) -> str:
    lines = ["Metadata-Version: 2.4", f"Name: {project['name']}", f"Version: {ver}"]
    lines += [f"Classifier: {c}" for c in project.get("classifiers", [])]
    if "description" in project:
        lines.append(f"Summary: {project['description']}")
    if isinstance(project.get("license"), str):
        lines.append(f"License-Expression: {project['license']}")
    if "requires-python" in project:
        lines.append(f"Requires-Python: {project['requires-python']}")
    return "\n".join(lines) + "\n"


def record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    so, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    pyproject = tomllib.loads((PY / "pyproject.toml").read_text())
    project, maturin = pyproject["project"], pyproject["tool"]["maturin"]
    name, ver = project["name"], version()
    package, module = maturin["module-name"].rsplit(".", 1)  # locker, _locker
    source = PY / maturin["python-source"]
    tag = f"cp39-abi3-linux_{platform.machine()}"

    files: list[tuple[str, bytes]] = []
    for path in sorted((source / package).rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            files.append((path.relative_to(source).as_posix(), path.read_bytes()))
    files.append((f"{package}/{module}.abi3.so", so.read_bytes()))
    dist_info = f"{name}-{ver}.dist-info"
    files.append((f"{dist_info}/METADATA", metadata(project, ver).encode()))
    wheel = f"Wheel-Version: 1.0\nGenerator: locker scripts/py-wheel.py\nRoot-Is-Purelib: false\nTag: {tag}\n"
    files.append((f"{dist_info}/WHEEL", wheel.encode()))
    record = "\n".join([record_line(n, d) for n, d in files] + [f"{dist_info}/RECORD,,"]) + "\n"
    files.append((f"{dist_info}/RECORD", record.encode()))

    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}-{ver}-{tag}.whl"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as whl:
        for n, data in files:
            info = zipfile.ZipInfo(n, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if n.endswith(".so") else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            whl.writestr(info, data)
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
