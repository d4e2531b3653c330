#!/usr/bin/env bash
# systemd-socket-activate, for test/server/socket-activation.test.ts, without installing systemd
# itself (its package enables units; nothing here may leave a service installed and enabled):
# libsystemd-shared (a plain library) from apt, and the one binary extracted with dpkg-deb from the
# systemd package of the same version into $DEST (default /usr/local/bin). Skips when the command
# exists (e.g. systemd is installed). Never starts anything.
set -euo pipefail
DEST=${DEST:-/usr/local/bin}
if [ "${FORCE:-0}" != 1 ] && command -v systemd-socket-activate >/dev/null; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "install-socket-activate: systemd-socket-activate is missing; run as root so it can be installed" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if ! dpkg-query -W -f='${Status}' libsystemd-shared 2>/dev/null | grep -q "install ok installed"; then
  echo "install-socket-activate: installing libsystemd-shared"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends libsystemd-shared >/dev/null
fi
# The binary links against libsystemd-shared-<major>.so with exact symbol versions: same version.
version=$(dpkg-query -W -f='${Version}' libsystemd-shared)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chown _apt "$tmp" 2>/dev/null || true # apt downloads as _apt when it can
(cd "$tmp" && apt-get download -qq "systemd=$version" >/dev/null)
dpkg-deb -x "$tmp"/systemd_*.deb "$tmp/root"
mkdir -p "$DEST"
install -m 0755 "$tmp/root/usr/bin/systemd-socket-activate" "$DEST/systemd-socket-activate"
"$DEST/systemd-socket-activate" --version >/dev/null
echo "install-socket-activate: $DEST/systemd-socket-activate ($version)"
