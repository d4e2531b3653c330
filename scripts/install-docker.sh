#!/usr/bin/env bash
# docker.io 20.10 (Debian) for the Docker runtime tests, extracted into .runtimes/docker/ of this
# checkout: `apt-get download` + `dpkg-deb -x`, never `apt-get install`, so no docker service is
# registered, enabled or started and nothing (docker0, iptables rules) appears in the machine's own
# netns. The tests start their own dockerd privately (test/runtimes/docker.ts).
# What dockerd needs at run time is installed the ordinary way (no service of its own): containerd
# and runc (install-runtimes.sh), iptables, libdevmapper; tini gives docker-init (only for --init).
# Idempotent; run as root. Prints nothing when all is in place.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=.runtimes/docker
if [ -x "$dest/usr/sbin/dockerd" ] && [ -x "$dest/usr/bin/docker" ] && [ -x "$dest/usr/bin/docker-init" ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "install-docker: $dest is missing; run as root so docker.io can be fetched" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
need=()
dpkg-query -W -f='${Status}' libdevmapper1.02.1 2>/dev/null | grep -q "ok installed" || need+=(libdevmapper1.02.1)
command -v iptables >/dev/null || need+=(iptables)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 0777 "$work" # apt's _apt user downloads into it
(cd "$work" && apt-get download -qq docker.io tini >/dev/null 2>&1) || {
  apt-get update -qq
  (cd "$work" && apt-get download -qq docker.io tini >/dev/null)
}
rm -rf "$dest.tmp"
mkdir -p "$dest.tmp"
for deb in "$work"/docker.io_*.deb "$work"/tini_*.deb; do dpkg-deb -x "$deb" "$dest.tmp"; done
# tini's static build is what docker.io links as docker-init.
[ -x "$dest.tmp/usr/bin/docker-init" ] || ln -sf tini-static "$dest.tmp/usr/bin/docker-init"
rm -rf "$dest"
mv "$dest.tmp" "$dest"
"$dest/usr/sbin/dockerd" --version
