#!/usr/bin/env bash
# The one command that runs everything CI runs, on a fresh Debian/Ubuntu machine:
# installs missing system packages (as root, with apt) and npm dependencies, then
# type-checks, lints and runs every test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
command -v git >/dev/null 2>&1 || need_pkgs+=(git)
command -v go >/dev/null 2>&1 || need_pkgs+=(golang-go)
command -v chromium >/dev/null 2>&1 || need_pkgs+=(chromium)        # dashboard test (playwright-core)
command -v promtool >/dev/null 2>&1 || need_pkgs+=(prometheus)      # promtool check metrics
command -v redis-server >/dev/null 2>&1 || need_pkgs+=(redis-server) # cross-replica coalescing tests
if [ "${#need_pkgs[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing system packages: ${need_pkgs[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
  else
    echo "missing system packages: ${need_pkgs[*]} (install them, or run as root with apt)" >&2
    exit 1
  fi
fi

if [ -n "${CI:-}" ] || [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

echo "== typecheck"; npm run -s typecheck
echo "== lint"; npm run -s lint
echo "== format"; npm run -s format:check
echo "== tests"; bash test/run-tests.sh
