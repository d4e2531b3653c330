#!/usr/bin/env bash
# Installs what Quantum CNI needs on a fresh Debian machine and builds it. Idempotent; run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v ip >/dev/null || need+=(iproute2)
command -v nft >/dev/null || need+=(nftables)
# libnftables's header, for build/nftables.node (nft in-process; without it the firewall execs nft).
[ -f /usr/include/nftables/libnftables.h ] || need+=(libnftables-dev)
command -v ping >/dev/null || need+=(iputils-ping)
command -v nsenter >/dev/null || need+=(util-linux)
command -v cc >/dev/null || need+=(gcc libc6-dev)
command -v make >/dev/null || need+=(make)
command -v python3 >/dev/null || need+=(python3)
[ -x /usr/lib/cni/host-local ] || need+=(containernetworking-plugins)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: missing packages (${need[*]}); run as root so they can be installed" >&2
    exit 1
  fi
  echo "setup: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# The container runtimes the runtime tests drive (podman, runc, containerd, busybox-static).
bash scripts/install-runtimes.sh
# docker.io 20.10 extracted into .runtimes/docker (no service installed or started).
bash scripts/install-docker.sh
# systemd-socket-activate for the socket activation test (the binary only, no systemd units).
bash scripts/install-socket-activate.sh

# etcd for the fabric tests: the binaries unpacked under .cache/etcd/, never installed as a service.
bash scripts/install-etcd.sh

# npm ci when node_modules is missing or older than the lockfile.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund
fi
npm run --silent build
