"""Build the Python gRPC code from proto/ (never edit the output by hand).

Usage: python scripts/gen_proto.py [--check]

The proto's file path is mapped to the import path `stephost_proto/v1` so the
generated modules import each other as `stephost_proto.v1...` and never clash
with the host package `stephost`. With --check nothing is written: the exit code
is 1 when the committed code differs from what the proto produces.
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
import tempfile
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_DIR = ROOT / "proto" / "stephost" / "v1"
OUT_DIR = ROOT / "proto" / "gen" / "python"
PACKAGE = "stephost_proto"


def generate(into: Path) -> None:
    protos = sorted(PROTO_DIR.glob("*.proto"))
    include = protoc._get_resource_file_name("grpc_tools", "_proto")
    args = [
        "protoc",
        f"-I{PACKAGE}/v1={PROTO_DIR}",
        f"-I{include}",
        f"--python_out={into}",
        f"--grpc_python_out={into}",
        f"--pyi_out={into}",
        *(str(p) for p in protos),
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    pkg = into / PACKAGE
    (pkg / "__init__.py").write_text('"""Generated from proto/stephost; do not edit."""\n')
    (pkg / "v1" / "__init__.py").write_text("")


def differences(a: Path, b: Path) -> list[str]:
    cmp = filecmp.dircmp(a, b, ignore=["__pycache__"])
    out: list[str] = []

    def walk(c: filecmp.dircmp[str], rel: str) -> None:
        out.extend(f"{rel}{n}" for n in c.left_only + c.right_only + c.diff_files)
        for name, sub in c.subdirs.items():
            walk(sub, f"{rel}{name}/")

    walk(cmp, "")
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        generate(fresh)
        if opts.check:
            current = OUT_DIR / PACKAGE
            if not current.exists():
                print(f"missing generated code in {current}", file=sys.stderr)
                return 1
            diff = differences(fresh / PACKAGE, current)
            if diff:
                print("generated code is out of date: " + ", ".join(diff), file=sys.stderr)
                print("run: python scripts/gen_proto.py", file=sys.stderr)
                return 1
            return 0
        shutil.rmtree(OUT_DIR / PACKAGE, ignore_errors=True)
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        shutil.copytree(fresh / PACKAGE, OUT_DIR / PACKAGE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
