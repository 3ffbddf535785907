# Sourced by the other scripts: the project's Python tools (requirements-dev.txt) in a virtual
# environment of its own, .venv, put first on PATH. It is created when missing and installed into only
# when requirements-dev.txt has changed since the last install, so that a system Python that is
# externally managed (Debian, Ubuntu) is never touched and a warm run costs no pip call.
venv_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.venv"
if [ ! -x "$venv_dir/bin/python3" ]; then
  python3 -m venv "$venv_dir" || {
    echo "cannot create $venv_dir: install Python 3.10 or later with its venv module (Debian, Ubuntu: apt install python3-venv)" >&2
    exit 1
  }
fi
requirements="$(dirname "$venv_dir")/requirements-dev.txt"
if ! cmp -s "$requirements" "$venv_dir/.installed-requirements"; then
  "$venv_dir/bin/python3" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$venv_dir/.installed-requirements"
fi
export PATH="$venv_dir/bin:$PATH"
export VIRTUAL_ENV="$venv_dir"
