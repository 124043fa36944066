#!/usr/bin/env bash
# Runs the test suite. The DOT renderer is checked by Graphviz itself, so `dot` must be
# installed; on Debian-like machines this installs it when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v dot >/dev/null 2>&1; then
  echo "installing graphviz (needed by the DOT acceptance test)"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq graphviz >/dev/null
fi
cargo test --locked "$@"
