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

# The zip writer, hashing and manifest are Python (buildtools/, stdlib only) so that zips are
# byte-for-byte reproducible, which the zip(1) tool does not guarantee.
helper() {
  # -I -S: the standard library only, nothing from the environment or site-packages.
  "$python" -I -S "$root/buildtools/__main__.py" "$@"
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
