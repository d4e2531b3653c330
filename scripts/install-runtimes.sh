#!/usr/bin/env bash
# Installs the container runtimes the runtime tests (test/runtimes) drive: podman (CNI backend, runc),
# containerd, a static busybox for the image, and the reference CNI plugins. Idempotent and quiet; run as root.
# Nothing is configured here: the tests keep every runtime on private config, storage and namespaces.
# With --bench, also what only `npm run bench` needs (bench/runtimes.mjs calls it so): netavark,
# podman's default network backend (Debian's 1.4, matching podman 4.3; no service, no DNS daemon).
set -euo pipefail

need=()
if [ "${1:-}" = "--bench" ]; then
  [ -x /usr/lib/podman/netavark ] || need+=(netavark)
fi
command -v podman >/dev/null || need+=(podman)
command -v runc >/dev/null || need+=(runc)
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q "ok installed" || need+=(busybox-static)
# containerd's package carries its CRI plugin and containerd-shim-runc-v2 (the CRI suite, kubelet's path).
command -v containerd >/dev/null && command -v ctr >/dev/null && command -v containerd-shim-runc-v2 >/dev/null ||
  need+=(containerd)
# The CRI suite builds its pause image as a docker-archive tar.
command -v tar >/dev/null || need+=(tar)
[ -x /usr/lib/cni/portmap ] && [ -x /usr/lib/cni/host-local ] || need+=(containernetworking-plugins)
command -v iptables >/dev/null || need+=(iptables)
command -v nsenter >/dev/null && command -v unshare >/dev/null || need+=(util-linux)
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "install-runtimes: missing packages (${need[*]}); run as root so they can be installed" >&2
  exit 1
fi
echo "install-runtimes: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
# A daemon the package would start (containerd.service) must not run: the tests start their own, privately.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 0755 "$policy"
  made_policy=1
fi
cleanup() { if [ "$made_policy" = 1 ]; then rm -f "$policy"; fi; }
trap cleanup EXIT
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
