#!/usr/bin/env bash
# Installs what Sextant needs on a fresh Debian machine (run as root) and builds it.
# Idempotent: apt only runs for missing commands, npm ci only when the lockfile changed.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
want() { command -v "$1" >/dev/null 2>&1 || need_pkgs+=("$2"); }
want ip iproute2
want iptables iptables
want iptables-restore iptables
want conntrack conntrack
want dig dnsutils
want getent libc-bin
want etcd etcd-server
want dnsperf dnsperf
want iperf3 iperf3
want dnsmasq dnsmasq-base
want nsenter util-linux
want pgrep procps
want nc netcat-openbsd
want ping iputils-ping
[ -x /usr/lib/cni/bridge ] || need_pkgs+=(containernetworking-plugins)
want kubectl kubernetes-client
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "bootstrap: installing Debian packages: ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

stamp=.bootstrap-stamp
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -d node_modules ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_sum" ]; then
  echo "bootstrap: npm ci (builds better-sqlite3 from source, about 90 s)"
  npm ci --no-audit --no-fund --foreground-scripts=false
  echo "$lock_sum" > "$stamp"
fi
# npm may skip dependency install scripts; make sure the native modules really load.
if ! node -e "new (require('better-sqlite3'))(':memory:').close()" 2>/dev/null; then
  echo "bootstrap: building better-sqlite3"
  npm rebuild better-sqlite3 --foreground-scripts
  node -e "new (require('better-sqlite3'))(':memory:').close()"
fi
node -e "require('netlink')" 2>/dev/null || npm rebuild netlink

node tools/build.mjs
