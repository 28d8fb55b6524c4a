#!/usr/bin/env bash
# Installs the system packages the test suites need: the real peers we interoperate with
# (Debian's notary 0.7, docker-registry, skopeo, the docker CLI), PostgreSQL, and Chromium for the
# dashboard's browser tests (driven by playwright-core, which downloads no browser of its own).
# A no-op when all are present. Needs root (or sudo) and Debian's package mirror.
set -euo pipefail

pkgs=(notary docker-registry skopeo openssl jq curl apache2-utils postgresql docker.io chromium)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then exit 0; fi

SUDO=()
[[ $(id -u) == 0 ]] || SUDO=(sudo)
export DEBIAN_FRONTEND=noninteractive
echo "install-deps: installing ${missing[*]}" >&2
# docker.io's post-install would try to start dockerd; nothing may start services here.
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee /usr/sbin/policy-rc.d >/dev/null
  "${SUDO[@]}" chmod +x /usr/sbin/policy-rc.d
  trap '"${SUDO[@]}" rm -f /usr/sbin/policy-rc.d' EXIT
fi
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done" >&2
