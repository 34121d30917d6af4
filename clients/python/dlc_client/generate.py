"""Generates the Python message modules from the repository's proto/ tree.

Runs Debian's `protoc --python_out` (protobuf-compiler) into
dlc_client/_generated/ (not committed), where the modules keep protoc's own
layout (dlc/rpc/v1/envelope_pb2.py, dlc/v1/greet_pb2.py, …): the generated
code imports its dependencies as `dlc.v1.…`, so that folder is what goes on
sys.path (see dlc_client.proto).

Idempotent: a stamp file records a digest of the .proto files, and nothing
is regenerated while it matches. Output is written to a temporary folder and
renamed into place under a file lock, so concurrent runs and interrupted
runs never leave half a tree behind.

    python3 clients/python/dlc_client/generate.py [--proto DIR] [--out DIR] [--force]

Imports nothing from the rest of the package, which needs its output (run
by path, it needs no protobuf runtime either; `python3 -m
dlc_client.generate` imports the package first).
"""
import argparse
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_OUT = PACKAGE_DIR / "_generated"
# clients/python/dlc_client → the repository root's proto/ (a source tree).
SOURCE_PROTO = PACKAGE_DIR.parents[2] / "proto"
STAMP = "STAMP"
# Bump when the layout of the output changes, to force a regeneration.
LAYOUT_VERSION = "1"


class GenerateError(RuntimeError):
    """protoc is missing or failed; the message says what to do."""


def proto_dir():
    """DLC_PROTO_DIR, else the repository's proto/ when this package runs
    from the source tree; None for an installed copy (which ships the
    generated modules instead)."""
    configured = os.environ.get("DLC_PROTO_DIR")
    if configured:
        return Path(configured)
    envelope = SOURCE_PROTO / "dlc" / "rpc" / "v1" / "envelope.proto"
    return SOURCE_PROTO if envelope.is_file() else None


def proto_files(root):
    """The .proto files under root, as paths relative to it, sorted."""
    return sorted(p.relative_to(root) for p in Path(root).rglob("*.proto"))


def digest(root):
    """What the output depends on: the layout version, each file's path
    and content."""
    h = hashlib.sha256(LAYOUT_VERSION.encode())
    for rel in proto_files(root):
        h.update(str(rel).encode() + b"\0")
        h.update((Path(root) / rel).read_bytes() + b"\0")
    return h.hexdigest()


def up_to_date(out, want):
    stamp = Path(out) / STAMP
    return stamp.is_file() and stamp.read_text().strip() == want


def run_protoc(root, out):
    """protoc --python_out=out for every .proto under root."""
    protoc = shutil.which("protoc")
    if not protoc:
        raise GenerateError("protoc not found: apt-get install protobuf-compiler "
                            "(or scripts/dlc deps)")
    files = [str(rel) for rel in proto_files(root)]
    if not files:
        raise GenerateError("no .proto files under %s" % root)
    proc = subprocess.run([protoc, "-I", str(root), "--python_out", str(out)] + files,
                          capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise GenerateError("protoc failed:\n%s" % proc.stderr.strip())


def replace_tree(new, out):
    """Puts the finished tree new in place of out."""
    if out.exists():
        shutil.rmtree(out)
    os.rename(new, out)


def generate(root, out, force=False):
    """Regenerates out from root unless it is up to date (or force).
    Returns True when it generated."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    lock_path = out.parent / (".%s.lock" % out.name)
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        want = digest(root)
        if not force and up_to_date(out, want):
            return False
        tmp = Path(tempfile.mkdtemp(prefix=".%s." % out.name, dir=out.parent))
        try:
            run_protoc(root, tmp)
            (tmp / STAMP).write_text(want + "\n")
            replace_tree(tmp, out)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return True


def ensure(out=DEFAULT_OUT):
    """Brings out up to date when the proto sources are at hand; with no
    sources (an installed copy) the shipped modules are used as they are."""
    root = proto_dir()
    if root is not None:
        generate(root, out)
    elif not (Path(out) / STAMP).is_file():
        raise GenerateError("no generated modules in %s and no proto/ to generate them "
                            "from: set DLC_PROTO_DIR" % out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--proto", type=Path, default=None,
                        help="the proto/ folder (default: the repository's)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="output folder (default: %(default)s)")
    parser.add_argument("--force", action="store_true", help="regenerate even when up to date")
    args = parser.parse_args(argv)
    root = args.proto or proto_dir()
    if root is None:
        parser.error("no proto/ folder found: pass --proto or set DLC_PROTO_DIR")
    try:
        changed = generate(root, args.out, force=args.force)
    except GenerateError as e:
        print("generate: %s" % e, file=sys.stderr)
        return 1
    print("generate: %s %s" % (args.out, "regenerated" if changed else "up to date"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
