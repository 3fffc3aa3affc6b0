#!/usr/bin/env bash
# Build the deployable artifacts of Postcards (format: docs/architecture.md, "Build artifacts"):
#
#   ./build.sh [--arch arm64|x86_64] [--runtime python3.13] [--out build] [--force]
#
# writes <out>/<arch>/: one zip per function (functions/<fn>/ that has handler.py, plus the shared
# functions/common/), layer.zip (layer/requirements.txt as wheels for the *target* platform, under
# python/), and manifest.json (per artifact: path, sha256, base64sha256 for Terraform, size, and
# the bytecode it ships).
#
# Bytecode: every .py of the layer has its __pycache__/<name>.cpython-3XX.pyc beside it, compiled by
# a CPython of the runtime's version (unchecked hash-based, named as under /opt/python), as Lambda's
# read-only /opt keeps Python from caching it at a cold start. Without such a CPython the layer
# carries no bytecode (a warning says so). Function zips hold source only: compiling their few
# modules costs a cold start ~16 ms, and bytecode would double their size (README, "Decisions").
#
# Deterministic: entries sorted, timestamps fixed (1980-01-01, or SOURCE_DATE_EPOCH), permissions
# normalised, one compression level, bytecode free of mtimes and paths, so two clean clones of a
# commit give byte-identical zips (with the same compiler version).
# Incremental: each artifact keeps a hash of its inputs in <out>/<arch>/.stamps/; an artifact whose
# inputs (and own bytes) are unchanged is not rebuilt, and the manifest is rewritten only when its
# content changes. Environment: PYTHON picks the interpreter that runs pip and the zip writer
# (default: python3 on PATH), and compiles the bytecode if it has the runtime's version;
# pip's own PIP_* settings (index, cache) are honoured.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: ./build.sh [--arch arm64|x86_64] [--runtime python3.11|python3.12|python3.13|python3.14]
                  [--out DIR] [--force]

  --arch     Lambda architecture to build the layer for, wheels for that CPU only (default: arm64)
  --runtime  Lambda runtime identifier: the Python ABI and the glibc of its OS (default: python3.13)
  --out      output root (default: build); artifacts go to DIR/<arch>/
  --force    rebuild every artifact even if its inputs are unchanged
EOF
}

die() {
  echo "build.sh: error: $*" >&2
  exit 1
}

usage_error() {
  echo "build.sh: error: $*" >&2
  usage >&2
  exit 2
}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
arch=arm64
runtime=python3.13
out="build"
force=0

while [ $# -gt 0 ]; do
  case "$1" in
    --arch) [ $# -ge 2 ] || usage_error "--arch needs a value"; arch=$2; shift 2 ;;
    --arch=*) arch=${1#*=}; shift ;;
    --runtime) [ $# -ge 2 ] || usage_error "--runtime needs a value"; runtime=$2; shift 2 ;;
    --runtime=*) runtime=${1#*=}; shift ;;
    --out) [ $# -ge 2 ] || usage_error "--out needs a value"; out=$2; shift 2 ;;
    --out=*) out=${1#*=}; shift ;;
    --force) force=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage_error "unknown argument '$1'" ;;
  esac
done

# Lambda architecture -> the machine name in manylinux wheel tags.
case "$arch" in
  arm64) machine=aarch64 ;;
  x86_64) machine=x86_64 ;;
  *) usage_error "unknown architecture '$arch' (expected arm64 or x86_64)" ;;
esac

# Lambda runtime -> Python version and the newest glibc of the OS it runs on: Amazon Linux 2
# (glibc 2.26) for python3.11, Amazon Linux 2023 (glibc 2.34) from python3.12 on.
case "$runtime" in
  python3.11) py_version=3.11 glibc_minor=26 ;;
  python3.12) py_version=3.12 glibc_minor=34 ;;
  python3.13) py_version=3.13 glibc_minor=34 ;;
  python3.14) py_version=3.14 glibc_minor=34 ;;
  *) usage_error "unknown runtime '$runtime' (expected python3.11, python3.12, python3.13 or python3.14)" ;;
esac
abi="cp${py_version/./}"

# Every manylinux tag the target can load, newest first (pip prefers earlier tags), the way pip
# computes them for its own host: manylinux_2_<glibc..17>, the manylinux2014 alias, and for x86_64
# the older manylinux2010/manylinux1 generations.
platforms=()
for ((minor = glibc_minor; minor >= 17; minor--)); do
  platforms+=("manylinux_2_${minor}_${machine}")
done
platforms+=("manylinux2014_${machine}")
if [ "$machine" = x86_64 ]; then
  platforms+=("manylinux_2_12_x86_64" "manylinux2010_x86_64" "manylinux_2_5_x86_64" "manylinux1_x86_64")
fi

# Prints an interpreter's executable, bytecode cache tag (cpython-313) and full version, a line each.
interpreter_info() {
  "$1" -I -S -c 'import sys; print(sys.executable); print(sys.implementation.cache_tag); print(sys.version.split()[0])' \
    2>/dev/null
}

python=${PYTHON:-python3}
command -v "$python" >/dev/null 2>&1 ||
  die "python not found: '$python' (install Python 3, put it on PATH, or set PYTHON=/path/to/python3)"
# The interpreter itself, once: launchers such as pyenv's shims cost more than the whole no-op build.
python_info=$(interpreter_info "$python") || die "'$python' does not run (set PYTHON=/path/to/python3)"
{ IFS= read -r python; IFS= read -r python_tag; IFS= read -r python_version; } <<<"$python_info"

# The layer's bytecode is for the target runtime only: a .pyc is valid for one CPython minor
# version, and Lambda's read-only /opt can never hold caches Python writes itself, so without it
# every cold start compiles Powertools and X-Ray from source. The compiler is the build
# interpreter if it is CPython <py_version>, else the first python<py_version> on PATH, else the
# newest pyenv <py_version>.x; none found -> no bytecode, and a warning.
target_tag="cpython-${py_version/./}"
compiler="" compiler_version=""
use_compiler() {
  local info exe tag version
  info=$(interpreter_info "$1") || return 1
  { IFS= read -r exe; IFS= read -r tag; IFS= read -r version; } <<<"$info"
  [ "$tag" = "$target_tag" ] || return 1
  compiler=$exe compiler_version=$version
}
find_compiler() {
  if [ "$python_tag" = "$target_tag" ]; then
    compiler=$python compiler_version=$python_version
    return 0
  fi
  local candidate pyenv_root=${PYENV_ROOT:-}
  if candidate=$(command -v "python$py_version"); then
    use_compiler "$candidate" && return 0
  fi
  if [ -z "$pyenv_root" ] && command -v pyenv >/dev/null 2>&1; then
    pyenv_root=$(pyenv root 2>/dev/null) || pyenv_root=""
  fi
  if [ -z "$pyenv_root" ] || [ ! -d "$pyenv_root/versions" ]; then
    return 1
  fi
  while IFS= read -r candidate; do
    use_compiler "$candidate" && return 0
  done < <(printf '%s\n' "$pyenv_root/versions/$py_version"*/bin/python3 | sort -r -V)
  return 1
}
if ! find_compiler; then
  echo "build.sh: warning: no CPython $py_version found (build interpreter $python is $python_version;" \
    "looked for python$py_version on PATH and in pyenv's versions): building the $runtime layer" \
    "WITHOUT bytecode, so every cold start compiles the layer's packages from source." \
    "Install Python $py_version or set PYTHON=/path/to/python$py_version." >&2
fi

mkdir -p "$out/$arch"
dest=$(cd "$out/$arch" && pwd)

# One build per output folder at a time (make and the build tests may overlap).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$dest/.lock"
  flock 9
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/postcards-build.XXXXXX")
# A failed build leaves no manifest: nothing downstream (Terraform, the local cloud) may deploy a
# half-updated set of artifacts under hashes that no longer match.
on_exit() {
  local status=$?
  rm -rf "$work"
  if [ "$status" != 0 ]; then
    rm -f "$dest/manifest.json"
  fi
}
trap on_exit EXIT

# The zip writer, hashing and manifest live in this one small Python program (stdlib only) so
# that zips are byte-for-byte reproducible, which the zip(1) tool does not guarantee.
helper() {
  # -I -S: the standard library only, nothing from the environment or site-packages.
  "$python" -I -S - "$@" <<'PY'
# Only what the no-op path needs is imported up front: an up-to-date build must take well under 1 s.
import base64, hashlib, json, os, stat, sys, time

if sys.version_info < (3, 9):
    sys.exit(f"build.sh: error: {sys.executable} is Python {sys.version.split()[0]}; build.sh needs >= 3.9 (set PYTHON=...)")

SKIP_DIRS = {"__pycache__", "tests", "test", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
SKIP_SUFFIXES = (".pyc", ".pyo")


def epoch_date_time():
    # Zip timestamps cannot predate 1980; SOURCE_DATE_EPOCH (reproducible-builds.org) wins if set.
    epoch = max(int(os.environ.get("SOURCE_DATE_EPOCH") or 315532800), 315532800)
    return time.gmtime(epoch)[:6]


def is_test_or_cache_file(name):
    return (
        name.startswith(".")
        or name.endswith(SKIP_SUFFIXES)
        or name == "conftest.py"
        or (name.startswith("test_") and name.endswith(".py"))
        or name.endswith("_test.py")
    )


def function_files(src, prefix):
    """(arcname, path) of a function's deployable files: no tests, caches or dotfiles."""
    found = []
    for top, dirs, files in os.walk(src):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.startswith(".") and not d.endswith(".egg-info")]
        for name in files:
            if not is_test_or_cache_file(name):
                path = os.path.join(top, name)
                found.append((prefix + os.path.relpath(path, src).replace(os.sep, "/"), path))
    return found


def tree_files(src):
    """(arcname, path) of every file under src (the installed layer) but bytecode caches, arcnames
    relative to src."""
    found = []
    for top, dirs, files in os.walk(src):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in files:
            path = os.path.join(top, name)
            found.append((os.path.relpath(path, src).replace(os.sep, "/"), path))
    return found


def digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h


def inputs_key(entries, *extra):
    """Hash of what an artifact is made of: names, executable bits, contents, and build settings."""
    h = hashlib.sha256()
    for value in extra:
        h.update(value.encode() + b"\0")
    h.update(str(epoch_date_time()).encode() + b"\0")
    for arcname, path in sorted(entries):
        h.update(arcname.encode() + b"\0" + str(is_executable(path)).encode() + b"\0")
        h.update(digest(path).digest())
    return h.hexdigest()


def is_executable(path):
    return bool(os.stat(path).st_mode & stat.S_IXUSR)


def write_zip(target, entries):
    """Sorted entries, directory entries included, fixed time/permissions/compression; atomic."""
    import zipfile

    date_time = epoch_date_time()
    names = {}
    for arcname, path in entries:
        names[arcname] = path
        parts = arcname.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            names.setdefault("/".join(parts[:i]) + "/", None)
    tmp = target + ".tmp"
    with zipfile.ZipFile(tmp, "w") as zf:
        for arcname in sorted(names):
            info = zipfile.ZipInfo(arcname, date_time=date_time)
            info.create_system = 3  # Unix, so external_attr carries the permissions
            path = names[arcname]
            if path is None:
                info.external_attr = (stat.S_IFDIR | 0o755) << 16 | 0x10
                zf.writestr(info, b"")
                continue
            mode = 0o755 if is_executable(path) else 0o644
            info.external_attr = (stat.S_IFREG | mode) << 16
            with open(path, "rb") as f:
                zf.writestr(info, f.read(), compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
    os.replace(tmp, target)


def stamp_path(dest, name):
    return os.path.join(dest, ".stamps", name + ".json")


def is_fresh(dest, name, key):
    """The artifact exists, its inputs are unchanged, and its bytes are the ones last written."""
    try:
        with open(stamp_path(dest, name)) as f:
            stamp = json.load(f)
        return stamp["inputs"] == key and stamp["sha256"] == digest(os.path.join(dest, name + ".zip")).hexdigest()
    except (OSError, ValueError, KeyError):
        return False


def save_stamp(dest, name, key):
    os.makedirs(os.path.join(dest, ".stamps"), exist_ok=True)
    sha = digest(os.path.join(dest, name + ".zip")).hexdigest()
    with open(stamp_path(dest, name), "w") as f:
        json.dump({"inputs": key, "sha256": sha}, f)


def function_names(root):
    base = os.path.join(root, "functions")
    return sorted(
        d for d in os.listdir(base) if d != "common" and os.path.isfile(os.path.join(base, d, "handler.py"))
    )


def function_entries(root, name):
    base = os.path.join(root, "functions")
    return function_files(os.path.join(base, name), name + "/") + function_files(os.path.join(base, "common"), "common/")


def script_hash(root):
    return digest(os.path.join(root, "build.sh")).hexdigest()


# Where Lambda extracts the layer's python/ folder: the file names compiled into its bytecode
# (co_filename), so the bytes do not depend on the folder the build ran in. (At import, Python
# renames the code after the source's real path anyway, so tracebacks are right wherever it lives.)
LAYER_SITE = "/opt/python"


class Bytecode:
    """The layer's bytecode: its cache tag (cpython-313) and the interpreter that compiles it, or
    none (no interpreter of the target's version was found)."""

    def __init__(self, compiler, version):
        self.compiler = compiler
        self.tag = "cpython-" + "".join(version.split(".")[:2]) if compiler else None
        # Part of the layer's input key: other bytecode (or none) is another layer. The patch
        # release is in it too, as compilers of one minor version may emit different bytes.
        self.setting = f"bytecode {self.tag} CPython {version}" if compiler else "bytecode none"

    def compile(self, tree, prefix):
        """A .pyc beside every .py under tree (laid out as it is extracted under prefix).
        Unchecked hash-based pycs (PEP 552) hold no mtime and are used without reading the source;
        -I -S: the compiler's state (hence the bytes, e.g. which strings marshal shares) depends on
        nothing in the environment; one process, files in sorted order, for the same reason."""
        import subprocess

        command = [self.compiler, "-I", "-S", "-m", "compileall", "-q", "-f", "--invalidation-mode"]
        command += ["unchecked-hash", "-d", prefix, tree]
        result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if result.returncode != 0:
            # Third-party files that do not compile (say, a py2 example) fail on Lambda too if
            # imported; like pip, ship them as source and go on.
            print(f"build.sh: warning: some files of the layer do not compile, shipped as source only:\n"
                  f"{result.stdout}", file=sys.stderr)

    def with_bytecode(self, entries):
        """entries plus the bytecode compile() wrote for each .py among them: only caches of this
        build, each in the __pycache__ beside its source, for the target version only."""
        found = list(entries)
        for arcname, path in entries if self.tag else ():
            if arcname.endswith(".py"):
                folder, name = os.path.split(path)
                cached = os.path.join(folder, "__pycache__", f"{name[:-3]}.{self.tag}.pyc")
                if os.path.isfile(cached):
                    arcfolder, _, arcfile = arcname.rpartition("/")
                    prefix = arcfolder + "/" if arcfolder else ""
                    found.append((f"{prefix}__pycache__/{arcfile[:-3]}.{self.tag}.pyc", cached))
        return found


def build_functions(root, dest, force):
    """Zip every function whose inputs changed, source only; print one line per function."""
    for name in function_names(root):
        entries = function_entries(root, name)
        key = inputs_key(entries, script_hash(root))
        if not force and is_fresh(dest, name, key):
            print(f"  {name}.zip: up to date")
            continue
        write_zip(os.path.join(dest, name + ".zip"), entries)
        save_stamp(dest, name, key)
        print(f"  {name}.zip: built ({os.path.getsize(os.path.join(dest, name + '.zip'))} bytes)")


LAYER_STALE = 3


def layer_key_file(work):
    return os.path.join(work, "layer.key")


def cmd_build(root, dest, force, runtime, arch, platforms, work, compiler, compiler_version):
    """Functions, then the layer's freshness: up to date -> manifest, exit 0; else the layer's
    inputs key goes to the work folder and the exit status is LAYER_STALE (build.sh installs it)."""
    bytecode = Bytecode(compiler, compiler_version)
    build_functions(root, dest, force == "1")
    req = os.path.join(root, "layer", "requirements.txt")
    key = inputs_key([("requirements.txt", req)], script_hash(root), runtime, arch, platforms, bytecode.setting)
    if force == "1" or not is_fresh(dest, "layer", key):
        with open(layer_key_file(work), "w") as f:
            f.write(key)
        sys.exit(LAYER_STALE)
    print("  layer.zip: up to date")
    write_manifest(root, dest, runtime, arch, bytecode)


def cmd_layer(root, dest, runtime, arch, work, compiler, compiler_version):
    """The layer installed in <work>/python: pruned, compiled, zipped under python/, stamped; then
    the manifest."""
    bytecode = Bytecode(compiler, compiler_version)
    site = os.path.join(work, "python")
    prune_layer(site)
    if bytecode.tag:
        bytecode.compile(site, LAYER_SITE)
    with open(layer_key_file(work)) as f:
        key = f.read()
    entries = [("python/" + arcname, path) for arcname, path in tree_files(site)]
    write_zip(os.path.join(dest, "layer.zip"), bytecode.with_bytecode(entries))
    save_stamp(dest, "layer", key)
    print(f"  layer.zip: built ({os.path.getsize(os.path.join(dest, 'layer.zip'))} bytes)")
    write_manifest(root, dest, runtime, arch, bytecode)


def write_manifest(root, dest, runtime, arch, bytecode):
    """Write manifest.json only if its content changes; drop artifacts of removed functions. Each
    artifact names the cache tag of the bytecode it ships: the layer's, none for function zips."""
    names = function_names(root) + ["layer"]
    for leftover in os.listdir(os.path.join(dest, ".stamps")):
        name = leftover.removesuffix(".json")
        if name not in names:
            for path in (os.path.join(dest, name + ".zip"), stamp_path(dest, name)):
                if os.path.exists(path):
                    os.remove(path)
            print(f"  {name}.zip: removed (no such function any more)")
    artifacts = {}
    for name in names:
        path = os.path.join(dest, name + ".zip")
        sha = digest(path).digest()
        artifacts[name] = {
            "path": name + ".zip",
            "sha256": sha.hex(),
            "base64sha256": base64.b64encode(sha).decode(),
            "size": os.path.getsize(path),
            "bytecode": bytecode.tag if name == "layer" else None,
        }
    manifest = {"runtime": runtime, "architecture": arch, "artifacts": artifacts}
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    target = os.path.join(dest, "manifest.json")
    try:
        with open(target) as f:
            if f.read() == text:
                print("  manifest.json: up to date")
                return
    except OSError:
        pass
    with open(target + ".tmp", "w") as f:
        f.write(text)
    os.replace(target + ".tmp", target)
    print("  manifest.json: written")


def prune_layer(site):
    """Drop what cannot run on Lambda: bytecode caches not made by this build (the layer is compiled
    after), and console scripts (bin/), whose shebang names this machine's interpreter. RECORD files keep only the entries that still ship."""
    import csv, shutil

    for top, dirs, files in os.walk(site):
        for d in [d for d in dirs if d == "__pycache__"]:
            shutil.rmtree(os.path.join(top, d))
            dirs.remove(d)
        for name in files:
            if name.endswith(SKIP_SUFFIXES):
                os.remove(os.path.join(top, name))
    shutil.rmtree(os.path.join(site, "bin"), ignore_errors=True)
    for entry in os.listdir(site):
        record = os.path.join(site, entry, "RECORD")
        if entry.endswith(".dist-info") and os.path.isfile(record):
            with open(record, newline="") as f:
                rows = list(csv.reader(f))
            kept = [row for row in rows if not row[0].startswith("../") and os.path.exists(os.path.join(site, row[0]))]
            if len(kept) == len(rows):
                continue
            with open(record, "w", newline="") as f:
                csv.writer(f, lineterminator="\n").writerows(kept)


{"build": cmd_build, "layer": cmd_layer}[sys.argv[1]](*sys.argv[2:])
PY
}

# Installs the layer's wheels for the target into $1; on failure says which package and platform.
install_layer() {
  local site=$1 log="$work/pip.log"
  "$python" -m pip --version >/dev/null 2>&1 ||
    die "pip is not available for $python (the layer is installed with pip; try '$python -m ensurepip')"
  local platform_args=()
  for platform in "${platforms[@]}"; do
    platform_args+=(--platform "$platform")
  done
  if ! "$python" -m pip install --quiet --disable-pip-version-check --no-input --no-compile \
    --only-binary=:all: --no-deps --implementation cp --python-version "$py_version" --abi "$abi" \
    "${platform_args[@]}" --target "$site" -r "$root/layer/requirements.txt" >"$log" 2>&1; then
    cat "$log" >&2
    local missing
    missing=$(sed -n 's/.*No matching distribution found for \([^ ]*\).*/\1/p' "$log" | head -n 1)
    if [ -n "$missing" ]; then
      die "no wheel of '$missing' for $runtime on $arch ($abi, linux $machine, manylinux glibc <= 2.$glibc_minor)." \
        "The layer takes binary wheels only, built for the target: pin a version that publishes one," \
        "or check the network/index if the package should be there."
    fi
    die "pip could not install layer/requirements.txt for $runtime on $arch (see pip's output above)"
  fi
}

echo "==> build.sh: $runtime $arch -> $dest"
# One interpreter start when nothing changed: functions, the layer's freshness, the manifest.
status=0
helper build "$root" "$dest" "$force" "$runtime" "$arch" "${platforms[*]}" "$work" \
  "$compiler" "$compiler_version" || status=$?
case "$status" in
  0) ;;
  3)
    install_layer "$work/python"
    helper layer "$root" "$dest" "$runtime" "$arch" "$work" "$compiler" "$compiler_version"
    ;;
  *) die "internal error in build.sh's Python helper (exit status $status, see above)" ;;
esac
