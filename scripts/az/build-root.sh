#!/usr/bin/env bash
# Builds (once) a Debian 13 root holding the real Azure CLI (2.74) and Debian's python3-azure,
# for the az and Python compatibility suites. Debian 12's az 2.45 cannot load `vm`/`role`.
# Idempotent: a finished root is marked with .mie-ready and reused by later runs on the machine.
# The root lives outside the checkout (default /var/cache/mie-az-root; knob MIE_AZ_ROOT).
# Needs root (debootstrap, chroot). Takes ~8 minutes and ~2.2 GB the first time.
set -euo pipefail

ROOT="${MIE_AZ_ROOT:-/var/cache/mie-az-root}"
MARK="$ROOT/.mie-ready"
if [[ -f "$MARK" ]]; then
  echo "az root: reusing $ROOT ($(cat "$MARK"))"
  exit 0
fi
if [[ "$(id -u)" != 0 ]]; then
  echo "az root: building $ROOT needs root (debootstrap, chroot)" >&2
  exit 1
fi

# The mirror this machine's apt already uses (deb822 or one-line sources), else Debian's.
MIRROR="$(grep -hoE '^(URIs:|deb) +https?://[^ ]+' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
  | grep -v security | head -n1 | awk '{print $2}' || true)"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"

if ! command -v debootstrap >/dev/null; then
  echo "az root: installing debootstrap"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi

# A half-built root from a killed run is started over.
rm -rf "$ROOT"
mkdir -p "$(dirname "$ROOT")"
echo "az root: debootstrap trixie from $MIRROR into $ROOT (about 8 minutes)"
# python3-ply: without it debootstrap fails resolving python3-pycparser's virtual dependencies.
debootstrap --variant=minbase \
  --include=azure-cli,python3-azure,ca-certificates,python3-ply \
  trixie "$ROOT" "$MIRROR" >"$ROOT.log" 2>&1 || { tail -n 30 "$ROOT.log" >&2; exit 1; }

# Host names the suites use (vaults and storage accounts by name) are added to the root's
# /etc/hosts by the suites themselves; az and python run with the host's loopback.
chroot "$ROOT" az version --output none 2>/dev/null || chroot "$ROOT" az --version | head -n1
date -u +%FT%TZ >"$MARK"
echo "az root: ready at $ROOT"
