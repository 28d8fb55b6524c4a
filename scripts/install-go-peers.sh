#!/usr/bin/env bash
# Builds the Go peers the interop tests drive (the real `notation` and `oras` CLIs, cosign v2 and v3, crane and regctl) with `go install` from the
# Go module proxy, at pinned versions, into a cache outside the repository; once: a cached binary
# is reused. Prints the path of each binary, one a line, in the order asked.
#   scripts/install-go-peers.sh            # every peer
#   scripts/install-go-peers.sh notation   # just these
# Cache: $VOUCH_GO_PEERS_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/vouch/go-peers/<module>@<version>/bin.
set -euo pipefail

# name -> module package path and pinned version (the release tag on the module proxy).
declare -A package=(
  [notation]=github.com/notaryproject/notation/cmd/notation
  [cosign]=github.com/sigstore/cosign/v2/cmd/cosign
  [cosign3]=github.com/sigstore/cosign/v3/cmd/cosign
  [oras]=oras.land/oras/cmd/oras
  [crane]=github.com/google/go-containerregistry/cmd/crane
  [regctl]=github.com/regclient/regclient/cmd/regctl
)
declare -A version=(
  [notation]=v1.3.2
  [cosign]=v2.6.5
  [cosign3]=v3.1.3
  [oras]=v1.3.6
  [crane]=v0.22.1
  [regctl]=v0.11.7
)
declare -A module=(
  [notation]=github.com/notaryproject/notation
  [cosign]=github.com/sigstore/cosign/v2
  [cosign3]=github.com/sigstore/cosign/v3
  [oras]=oras.land/oras
  [crane]=github.com/google/go-containerregistry
  [regctl]=github.com/regclient/regclient
)
# what go install names the binary, where that is not the peer's name (both cosigns build `cosign`)
declare -A binary=(
  [cosign3]=cosign
)

cache=${VOUCH_GO_PEERS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vouch/go-peers}
names=("$@")
[[ ${#names[@]} -gt 0 ]] || names=("${!package[@]}")

for name in "${names[@]}"; do
  if [[ -z ${package[$name]:-} ]]; then
    echo "install-go-peers: unknown peer '$name' (known: ${!package[*]})" >&2
    exit 2
  fi
  dir="$cache/${module[$name]}@${version[$name]}"
  bin="$dir/bin/$name"
  if [[ ! -x $bin ]]; then
    command -v go >/dev/null || { echo "install-go-peers: 'go' is not on PATH; install Go to build $name" >&2; exit 1; }
    mkdir -p "$dir"
    # One build at a time per peer: a second caller waits, then finds the binary.
    exec 9>"$dir/.lock"
    flock 9
    if [[ ! -x $bin ]]; then
      echo "install-go-peers: building $name ${version[$name]} with go install (once)" >&2
      staging=$(mktemp -d "$dir/.build.XXXXXX")
      # Not `go install pkg@version`: that form also looks up the module's deprecation notice in
      # its version list (@v/list), which this machine's module proxy refuses with
      # "403 Forbidden: This module version is not available". A one-line module that requires the
      # pinned release builds the same package from the same proxy, checked against the checksum
      # database as usual; -mod=mod lets go record the dependencies' sums in it.
      printf 'module vouch.local/go-peers/%s\n\ngo 1.23\n\nrequire %s %s\n' "$name" "${module[$name]}" "${version[$name]}" >"$staging/go.mod"
      if ! (cd "$staging" && GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=mod" GOBIN="$staging/bin" go install "${package[$name]}") >&2; then
        rm -rf "$staging"
        echo "install-go-peers: go install ${package[$name]} (${version[$name]}) failed (GOPROXY=$(go env GOPROXY))" >&2
        exit 1
      fi
      mkdir -p "$dir/bin"
      mv "$staging/bin/${binary[$name]:-$name}" "$bin"
      rm -rf "$staging"
    fi
    exec 9>&-
  fi
  echo "$bin"
done
