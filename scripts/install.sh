#!/usr/bin/env bash
# Installs what qrobust needs and a fresh Debian/Ubuntu machine lacks:
# Z3's C library and headers (libz3-dev), CSDP's (libsdp-dev), GLPK's
# (libglpk-dev), and Z3's
# command-line solver (z3, for re-checking dumped proofs in the tests). Runs apt-get only when something is
# missing; uses sudo when not run as root. Swift 6 itself must be on PATH
# (https://www.swift.org/install/); Debian's own "swiftlang" package is tried
# when it is not.
set -euo pipefail

if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
  echo "install.sh: run as root or install sudo" >&2; exit 1
fi

missing=()
dpkg -s libz3-dev >/dev/null 2>&1 || missing+=(libz3-dev)
dpkg -s libsdp-dev >/dev/null 2>&1 || missing+=(libsdp-dev)
dpkg -s libglpk-dev >/dev/null 2>&1 || missing+=(libglpk-dev)
# Z3's command-line solver: the tests re-check the SMT-LIB files of --dump-smt with it.
command -v z3 >/dev/null 2>&1 || missing+=(z3)
command -v git >/dev/null 2>&1 || missing+=(git)
export DEBIAN_FRONTEND=noninteractive
if [ ${#missing[@]} -gt 0 ]; then
  echo "install.sh: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

if ! command -v swift >/dev/null 2>&1; then
  # Debian 13 and Ubuntu 25.04 package Swift as "swiftlang"; older releases do not.
  $SUDO apt-get install -y -qq --no-install-recommends swiftlang >&2 2>/dev/null || true
fi
if ! command -v swift >/dev/null 2>&1; then
  echo "install.sh: no Swift toolchain on PATH; install Swift 6 from https://www.swift.org/install/" >&2
  exit 1
fi
