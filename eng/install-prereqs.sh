#!/usr/bin/env bash
# Installs the native prerequisites of TorchSharp 0.107 (libtorch 2.10) and of USearch on this machine, idempotently.
#
# libtorch's native library needs libstdc++ from GCC 13 or newer (symbol GLIBCXX_3.4.32), as shipped
# by Debian 13 / Ubuntu 24.04. On Debian 12, where it is missing, this script adds the Debian 13
# ("trixie") suite with a low pin priority (so nothing else is upgraded from it) and installs only
# libstdc++6 from it. On any machine that already has the symbol it does nothing.
# The mirror is taken from the machine's own apt configuration; no address is written here.
set -euo pipefail

say() { printf 'install-prereqs: %s\n' "$*"; }

find_libstdcxx() {
  local candidates=(/usr/lib/x86_64-linux-gnu/libstdc++.so.6 /usr/lib/aarch64-linux-gnu/libstdc++.so.6 /usr/lib64/libstdc++.so.6 /usr/lib/libstdc++.so.6)
  local c
  for c in "${candidates[@]}"; do
    [ -e "$c" ] && { printf '%s\n' "$c"; return 0; }
  done
  ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 /{print $NF; exit}'
}

has_symbol() {
  local lib
  lib=$(find_libstdcxx)
  [ -n "$lib" ] || return 1
  grep -qa 'GLIBCXX_3\.4\.32' "$lib"
}

# USearch's native library (Re4.Recommenders.USearch) links OpenMP's runtime, libgomp.so.1 (Debian's libgomp1).
if [ "$(uname -s)" = "Linux" ] && ! ldconfig -p 2>/dev/null | grep -q 'libgomp\.so\.1 '; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    say "installing libgomp1 (OpenMP runtime of USearch's native library)."
    apt-get install -y -q libgomp1 >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q libgomp1 >/dev/null; }
  else
    say "libgomp.so.1 is missing: install libgomp1 (the USearch tests need it)."
  fi
fi

if has_symbol; then
  say "libstdc++ provides GLIBCXX_3.4.32: nothing to do."
  exit 0
fi

if [ "$(uname -s)" != "Linux" ]; then
  say "not Linux: nothing to do."
  exit 0
fi

. /etc/os-release 2>/dev/null || true
if [ "${ID:-}" != "debian" ] || [ "${VERSION_ID:-}" != "12" ]; then
  say "libstdc++ lacks GLIBCXX_3.4.32 and this is not Debian 12 (${PRETTY_NAME:-unknown})."
  say "Install libstdc++ from GCC 13 or newer (Ubuntu 24.04 / Debian 13 or newer has it), then retry."
  exit 1
fi

if [ "$(id -u)" != "0" ]; then
  SUDO=sudo
  command -v sudo >/dev/null || { say "need root (or sudo) to install libstdc++6 from Debian 13."; exit 1; }
else
  SUDO=
fi

# Reuse the mirror the machine already uses for Debian 12.
mirror=""
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
  mirror=$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
fi
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  mirror=$(awk '$1=="deb" && $0 !~ /security/ {for(i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' /etc/apt/sources.list)
fi
if [ -z "$mirror" ]; then
  say "could not find the Debian mirror in /etc/apt; add a 'trixie' source by hand and run: apt-get install -t trixie libstdc++6"
  exit 1
fi

list=/etc/apt/sources.list.d/re4-trixie.list
pin=/etc/apt/preferences.d/re4-trixie-low
if [ ! -f "$list" ]; then
  say "adding the Debian 13 (trixie) suite from $mirror to $list"
  echo "deb $mirror trixie main" | $SUDO tee "$list" >/dev/null
fi
if [ ! -f "$pin" ]; then
  say "pinning trixie low in $pin so nothing else is upgraded from it"
  printf 'Package: *\nPin: release n=trixie\nPin-Priority: 100\n' | $SUDO tee "$pin" >/dev/null
fi

say "apt-get update"
$SUDO apt-get update -qq
say "apt-get install -t trixie libstdc++6"
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq -t trixie libstdc++6 >/dev/null

if has_symbol; then
  say "done: libstdc++ now provides GLIBCXX_3.4.32."
else
  say "libstdc++6 from trixie was installed but GLIBCXX_3.4.32 is still missing."
  exit 1
fi
