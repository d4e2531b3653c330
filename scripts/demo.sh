#!/usr/bin/env bash
# The main job, as a new user would run it (as root): builds what is missing, then networks two
# containers through bin/quantum exactly as a container runtime does (CNI_* env + config on stdin).
# Everything lives in private network namespaces created here and removed at the end, so the
# machine's own links, routes, sysctls and ruleset are never touched.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null

id=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
host="qdemo-$id-host"
c1="qdemo-$id-c1"
c2="qdemo-$id-c2"
data=$(mktemp -d /tmp/quantum-demo.XXXXXX)
daemon_pid=""
cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
  for ns in "$c1" "$c2" "$host"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$data"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "private namespaces: host stand-in $host, containers $c1 and $c2"
for ns in "$host" "$c1" "$c2"; do ip netns add "$ns"; done

conf=$(cat <<JSON
{
  "cniVersion": "1.0.0",
  "name": "my-network",
  "type": "quantum",
  "driver": "bridge",
  "subnet": "172.17.0.0/16",
  "gateway": "172.17.0.1",
  "routes": [{ "dst": "0.0.0.0/0", "gw": "172.17.0.1" }],
  "dns": { "nameservers": ["8.8.8.8", "8.8.4.4"], "search": ["quantum.local"] },
  "bridge": "qdemo0",
  "dataDir": "$data"
}
JSON
)
echo "$conf"

# A runtime execs the plugin in the host netns with CNI_* set and the config on stdin. bin/quantum is
# a small C shim: it forwards to quantumd when its socket answers, else runs the plugin in-process
# (and would start quantumd for the next calls: the demo starts its own below, so autostart is off).
export QUANTUM_SOCKET="$data/quantum.sock"
export QUANTUM_AUTOSTART=0
# The host-wide network registry of the demo's networks: in the demo's temp dir, not the machine's.
export QUANTUM_REGISTRY_DIR="$data/registry"
cni() {
  local cmd=$1 ctr=$2 ns=$3
  nsenter --net="/run/netns/$host" env CNI_COMMAND="$cmd" CNI_CONTAINERID="$ctr" CNI_NETNS="/run/netns/$ns" \
    CNI_IFNAME=eth0 CNI_PATH="$PWD/bin:/usr/lib/cni" ./bin/quantum <<<"$conf"
}

step "VERSION"
CNI_COMMAND=VERSION ./bin/quantum <<<'{"cniVersion":"1.0.0"}'
echo

step "ADD $c1 (no daemon running: the shim runs the plugin in-process)"
cni ADD demo-c1 "$c1" | tee "$data/c1.json"

step "start quantumd in the host netns (private socket), ADD $c2 through shim -> daemon"
nsenter --net="/run/netns/$host" ./bin/quantumd --socket "$QUANTUM_SOCKET" --data-dir "$data" --log-level warn &
daemon_pid=$!
for _ in $(seq 100); do [ -S "$QUANTUM_SOCKET" ] && break; sleep 0.1; done
cni ADD demo-c2 "$c2" | tee "$data/c2.json"

ip1=$(ip -n "$c1" -j addr show eth0 | node -e 'const a=JSON.parse(require("fs").readFileSync(0));console.log(a[0].addr_info.find(x=>x.family==="inet").local)')
ip2=$(ip -n "$c2" -j addr show eth0 | node -e 'const a=JSON.parse(require("fs").readFileSync(0));console.log(a[0].addr_info.find(x=>x.family==="inet").local)')

step "inside $c1"
ip -n "$c1" -br addr
ip -n "$c1" route
step "host side (bridge and ports)"
ip -n "$host" -br link show master qdemo0
ip -n "$host" -br addr show qdemo0

step "ping $c1 ($ip1) -> $c2 ($ip2) and -> gateway"
ip netns exec "$c1" ping -c 2 -W 1 "$ip2"
ip netns exec "$c1" ping -c 1 -W 1 172.17.0.1

step "CHECK $c1"
conf=$(node -e 'const c=JSON.parse(process.argv[1]);c.prevResult=JSON.parse(require("fs").readFileSync(process.argv[2]));console.log(JSON.stringify(c))' "$conf" "$data/c1.json")
cni CHECK demo-c1 "$c1" && echo "CHECK ok"

step "DEL both"
cni DEL demo-c1 "$c1" && echo "DEL demo-c1 ok"
cni DEL demo-c2 "$c2" && echo "DEL demo-c2 ok"
kill "$daemon_pid" && wait "$daemon_pid" 2>/dev/null
daemon_pid=""
echo "quantumd stopped"
echo "links left in $c1: $(ip -n "$c1" -br link | grep -vc '^lo ' || true) (only lo remains)"

step "cleaning up: namespaces removed"
