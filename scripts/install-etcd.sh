#!/usr/bin/env bash
# Puts Debian's etcd (server + etcdctl) under .cache/etcd/ for the fabric tests, WITHOUT installing the
# package: `apt-get install etcd-server` would add an enabled etcd.service listening on the machine's own
# 127.0.0.1:2379 (multihost.md P10). The .deb files are only downloaded and unpacked with dpkg-deb, so no
# service, no user and no maintainer script ever runs. Idempotent; the tests look for .cache/etcd/usr/bin/etcd.
set -euo pipefail
cd "$(dirname "$0")/.."

dest=.cache/etcd
if [ -x "$dest/usr/bin/etcd" ] && [ -x "$dest/usr/bin/etcdctl" ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "install-etcd: $dest/usr/bin/etcd is missing; run as root so it can be downloaded" >&2
  exit 1
fi
echo "install-etcd: downloading etcd-server and etcd-client into $dest (unpacked, not installed)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# apt-get download writes into the current directory and needs the lists (apt-get update) once.
if ! (cd "$tmp" && apt-get download -qq etcd-server etcd-client >/dev/null 2>&1); then
  apt-get update -qq
  (cd "$tmp" && apt-get download -qq etcd-server etcd-client >/dev/null)
fi
# apt runs the download as the _apt user when it can; the files still land in $tmp.
mkdir -p "$dest"
for deb in "$tmp"/etcd-server_*.deb "$tmp"/etcd-client_*.deb; do
  dpkg-deb -x "$deb" "$dest"
done
# sed reads all of it: `head -1` could end etcd with SIGPIPE, which pipefail turns into a failure.
"$dest/usr/bin/etcd" --version | sed -n 1p
