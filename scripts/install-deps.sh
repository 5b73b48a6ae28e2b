#!/usr/bin/env bash
# Installs, with apt-get, every Debian 12 package Cairn needs to build, test and run.
# Idempotent and quick when everything is present: it asks dpkg first and only touches apt
# when something is missing. Run as root (or with sudo available).
set -euo pipefail

packages=(
  # Toolchain.
  cmake ninja-build ccache g++ clang clang-14 libclang-rt-14-dev git pkg-config
  # Libraries (ARCHITECTURE.md). Not msgpack-cxx: it pulls Boost 1.74, which conflicts
  # with Boost 1.81; libgossip has its own msgpack codec.
  libabsl-dev libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libssl-dev libleveldb-dev libsnappy-dev libfmt-dev libspdlog-dev catch2
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  # RE2: the ?filter= language's regexes, as Consul's (Go's regexp is RE2).
  libre2-dev
  # zlib: the gzip layer of snapshot archives (`cairn snapshot save|restore|inspect`).
  zlib1g-dev
  # Used by tests: openssl makes fixture certificates; serf is the real gossip peer of the
  # interop test; dig queries the DNS interface; python3-consul is a real Consul client.
  openssl serf bind9-dnsutils python3-consul
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists; an old list may name versions the mirror has dropped.
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
