# Sourced by the other scripts: the Rust toolchain that rust-toolchain.toml pins (rustup installs it,
# with rustfmt and clippy, when it is missing), and the project's Python tools in a virtual environment
# of its own, .venv, put first on PATH. It is created when missing and installed into only when requirements-dev.txt has
# changed since the last install, so that a system Python that is externally managed (Debian, Ubuntu)
# is never touched and a warm run costs no pip call. Every package is pinned with its hashes
# (requirements-dev.txt is compiled from requirements-dev.in), and pip refuses anything else.
project_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# tool_venv DIR REQUIREMENTS: creates DIR if needed and installs REQUIREMENTS there when they changed.
tool_venv() {
  local dir=$1 requirements=$2
  if [ ! -x "$dir/bin/python3" ]; then
    # The pinned tools need Python 3.11 or later (joserfc, which moto brings, for one).
    if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "python3 is $(python3 --version 2>&1 || echo missing): the project's Python tools need Python 3.11 or later; put one first on PATH" >&2
      return 1
    fi
    python3 -m venv "$dir" || {
      echo "cannot create $dir: install Python 3.11 or later with its venv module (Debian, Ubuntu: apt install python3-venv)" >&2
      return 1
    }
  fi
  if ! cmp -s "$requirements" "$dir/.installed-requirements"; then
    echo "installing the Python tools of $(basename "$requirements") into $(basename "$dir") (pinned, with hashes; about a minute the first time)…" >&2
    # pip itself first (hashed too): the pip that venv brings may refuse hashed requirements with extras.
    "$dir/bin/python3" -m pip install --quiet --disable-pip-version-check --require-hashes \
      -r "$project_dir/requirements-pip.txt" || return 1
    "$dir/bin/python3" -m pip install --quiet --disable-pip-version-check --require-hashes -r "$requirements" || return 1
    cp "$requirements" "$dir/.installed-requirements"
  fi
}

# tools_setup: the checks and installs below; each failed check says what to do and fails.
tools_setup() {
  # AWS-LC, the SDK's TLS crypto, is built from C: without a C compiler the first build fails deep
  # in aws-lc-sys's build script.
  command -v cc >/dev/null || {
    echo "no C compiler (cc): AWS-LC, the AWS SDK's TLS crypto, is built from C: install one (Debian, Ubuntu: apt install build-essential)" >&2
    return 1
  }
  # rustup installs the toolchain that rust-toolchain.toml names only when asked; a no-op once installed.
  (cd "$project_dir" && rustup --quiet toolchain install) || {
    echo "cannot install the Rust toolchain that rust-toolchain.toml names: install rustup (https://rustup.rs)" >&2
    return 1
  }
  tool_venv "$project_dir/.venv" "$project_dir/requirements-dev.txt" || return 1
  export PATH="$project_dir/.venv/bin:$PATH"
  export VIRTUAL_ENV="$project_dir/.venv"
}

# Sourced (". scripts/tools.sh" in a shell, or by the other scripts), a failed check returns
# non-zero and never ends the caller's shell; the scripts that source it run under `set -e` and stop
# there. Run as a command, it exits.
if (return 0 2>/dev/null); then
  tools_setup || return 1
else
  tools_setup || exit 1
fi
