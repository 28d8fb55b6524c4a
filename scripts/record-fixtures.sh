#!/usr/bin/env bash
# record-fixtures.sh — regenerate test/fixtures/notary/** and test/fixtures/docker/** from scratch
# with the REAL tools: Debian's notary 0.7.0 (client, notary-server, notary-signer) and the Docker
# CLI (20.10 from Debian, 28.2 from /usr/local/bin), driven through the shared peers harness
# (../shared/peers) on loopback only, each set in a fresh PEERS_DIR on free ports.
#
#   scripts/record-fixtures.sh                      # every set
#   scripts/record-fixtures.sh ecdsa-remote docker-28.2.2   # only these sets
#
# Sets: ecdsa-remote ed25519-remote ed25519-local encoding  (-> test/fixtures/notary/<set>)
#       docker-28.2.2 docker-20.10.24                                   (-> test/fixtures/docker/<set>)
#
# Every key recorded here is a throw-away test key made during the run, protected by the fixed
# passphrases below; nothing real is signed with them. Each set gets a NOTES.md (generated here)
# that says which command produced which file, the tool versions and the passphrases, and a
# transcript.txt with every command and its output, in order. test/fixtures/notary/README.md (hand-written)
# lists the sets and the behaviour of the real tools they show.
#
# Environment: VOUCH_PEERS_HOME (harness dir), DOCKER_NEW (/usr/local/bin/docker),
# DOCKER_OLD (/usr/bin/docker).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PEERS=$(cd "${VOUCH_PEERS_HOME:-$ROOT/../shared/peers}" && pwd)
FIX=$ROOT/test/fixtures
DOCKER_NEW=${DOCKER_NEW:-/usr/local/bin/docker}
DOCKER_OLD=${DOCKER_OLD:-/usr/bin/docker}
# Registry part of every GUN. No registry is contacted by any recorded command (images are built
# with make-image.sh IMAGE_PUSH=0; docker trust commands only talk to the notary server), so the
# GUNs are stable across runs while every daemon runs on a free port.
REG=127.0.0.1:5000

# Fixed passphrases (one per notary role class, so a mix-up shows).
export NOTARY_ROOT_PASSPHRASE=vouch-root-passphrase
export NOTARY_TARGETS_PASSPHRASE=vouch-targets-passphrase
export NOTARY_SNAPSHOT_PASSPHRASE=vouch-snapshot-passphrase
export NOTARY_DELEGATION_PASSPHRASE=vouch-delegation-passphrase
export DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE=vouch-root-passphrase
export DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE=vouch-repository-passphrase
unset NOTARY_AUTH NOTARY_URL NOTARY_CA NOTARY_TRUST_DIR DOCKER_CONFIG DOCKER_BIN DOCKER_HOST || true

"$PEERS/install.sh"
PEERS_INSTALL_DOCKER=1 "$PEERS/install.sh"
for b in notary notary-server notary-signer openssl jq curl node "$DOCKER_NEW" "$DOCKER_OLD"; do
  command -v "$b" >/dev/null || { echo "record-fixtures: '$b' is missing" >&2; exit 1; }
done

# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------
PEERS_DIR=""
cleanup() { if [[ -n "$PEERS_DIR" && -d "$PEERS_DIR" ]]; then "$PEERS/stop.sh" --purge >/dev/null 2>&1 || true; fi; }
trap cleanup EXIT

free_ports() { # free_ports N — N distinct free loopback ports (bind port 0)
  node -e 'const net=require("net");const n=+process.argv[1];const ss=[];let k=0;
    for(let i=0;i<n;i++){const s=net.createServer();ss.push(s);s.listen(0,"127.0.0.1",()=>{
      if(++k===n){console.log(ss.map((x)=>x.address().port).join(" "));ss.forEach((x)=>x.close());}});}' "$1"
}

sanitize() {
  sed -e "s#$PEERS_DIR#\$PEERS_DIR#g" -e "s#$PEERS/#peers/#g" -e "s#$FIX/#test/fixtures/#g"
}
# run CMD... — log "$ CMD" and its combined output to the set's transcript; fail if it fails.
run() {
  local rc=0 out
  printf '$ %s\n' "$*" | sanitize >>"$T"
  out=$("$@" 2>&1) || rc=$?
  [[ -z "$out" ]] || printf '%s\n' "$out" | sanitize >>"$T"
  [[ $rc == 0 ]] || echo "[exit $rc]" >>"$T"
  echo >>"$T"
  if [[ $rc != 0 ]]; then echo "record-fixtures: FAILED ($rc): $*" >&2; printf '%s\n' "$out" >&2; return $rc; fi
}
run_may_fail() { run "$@" || true; }
# golden FILE CMD... — stdout byte-exact into FILE; stderr into FILE.stderr and a non-zero exit
# code into FILE.exit (only when there are any). Logged in the transcript. Never fails.
golden() {
  local f=$1 rc=0; shift
  mkdir -p "$(dirname "$f")"
  "$@" >"$f" 2>"$f.stderr" || rc=$?
  # stderr: the run's temp dir replaced by $PEERS_DIR (stdout stays byte-exact)
  if [[ -s "$f.stderr" ]]; then sed -i "s#$PEERS_DIR#\$PEERS_DIR#g" "$f.stderr"; else rm -f "$f.stderr"; fi
  if [[ $rc != 0 ]]; then echo "$rc" >"$f.exit"; else rm -f "$f.exit"; fi
  { printf '$ %s   > %s\n' "$*" "${f#"$SET/"}"; cat "$f"; [[ ! -f "$f.stderr" ]] || cat "$f.stderr"
    [[ $rc == 0 ]] || echo "[exit $rc]"; echo; } | sanitize >>"$T"
}
note() { printf '\n# %s\n\n' "$*" >>"$T"; }

nc() { run "$PEERS/notary-client.sh" "$@"; }          # notary CLI (trust dir $NOTARY_TRUST_DIR)
nc_may_fail() { run_may_fail "$PEERS/notary-client.sh" "$@"; }
dk() { run "$PEERS/docker-trust.sh" "$@"; }           # docker CLI ($DOCKER_BIN, $DOCKER_CONFIG)

# lastmsg GOLDEN — the "* fatal: …" line of a golden (notary prints it on stdout), else its last line
lastmsg() { { grep -h 'fatal' "$1" "$1.stderr" 2>/dev/null || grep -v '^[[:space:]]*$' "$1"; } | tail -n 1 | sed 's/^\* fatal: //'; }
hex_of_b64() { base64 -d | od -An -v -tx1 | tr -d ' \n'; }

# begin_set KIND NAME [VAR=VALUE...] — fresh output dir + fresh PEERS_DIR, start notary-server
# (+ signer) with the given start-notary.sh settings.
begin_set() {
  local kind=$1 name=$2; shift 2
  SET=$FIX/$kind/$name
  rm -rf "$SET"; mkdir -p "$SET/inputs"
  T=$SET/transcript.txt; : >"$T"
  PEERS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/vouch-fixtures.XXXXXX")
  export PEERS_DIR
  SERVER_SETTINGS="$*"
  echo "record-fixtures: $kind/$name (PEERS_DIR=$PEERS_DIR)" >&2
  note "set $kind/$name — start notary-server${*:+ with $*}"
  # a free port can be taken by someone else before the daemon binds it: retry with new ports
  local ports attempt
  for attempt in 1 2 3 4; do
    read -r -a ports < <(free_ports 3)
    export REGISTRY_PORT=${ports[0]} NOTARY_SERVER_PORT=${ports[1]} NOTARY_SIGNER_PORT=${ports[2]}
    if run env "$@" "$PEERS/start-notary.sh"; then break; fi
    "$PEERS/stop.sh" >/dev/null 2>&1 || true
    [[ $attempt -lt 4 ]] || { echo "record-fixtures: notary did not start" >&2; exit 1; }
    echo "record-fixtures: start-notary.sh failed (attempt $attempt), retrying on other ports" >&2
  done
  # shellcheck disable=SC1091
  . "$PEERS_DIR/notary.env"
  export NOTARY_URL NOTARY_CA NOTARY_TRUST_DIR=$PEERS_DIR/notary-client/trust
  run curl -sS --cacert "$NOTARY_CA" "$NOTARY_URL/_notary_server/health"
}
end_set() {
  cp "$PEERS_DIR/notary/server-config.json" "$SET/inputs/notary-server-config.json"
  [[ ! -f "$PEERS_DIR/notary/signer-config.json" ]] || cp "$PEERS_DIR/notary/signer-config.json" "$SET/inputs/notary-signer-config.json"
  sed -i "s#$PEERS_DIR#\$PEERS_DIR#g" "$SET"/inputs/notary-*-config.json
  "$PEERS/stop.sh" --purge >/dev/null 2>&1
  PEERS_DIR=""
}

# image REPO TAG — deterministic OCI image layout (not pushed); sets IMG_SIZE IMG_SHA256 IMG_MANIFEST,
# copies the manifest to inputs/.
image() {
  run env IMAGE_PUSH=0 "$PEERS/make-image.sh" "$1" "$2"
  local dir="$PEERS_DIR/images/${1//\//_}-$2"
  # shellcheck disable=SC1091
  . "$dir/image.env"
  IMG_SIZE=$MANIFEST_SIZE IMG_SHA256=$MANIFEST_SHA256
  IMG_MANIFEST="$SET/inputs/manifest-${1//\//_}-$2.json"
  cp "$dir/blobs/sha256/$MANIFEST_SHA256" "$IMG_MANIFEST"
}

# keypair NAME ecdsa|rsa — unencrypted PKCS#8 private key + PEM public key in inputs/ (openssl)
keypair() {
  local k=$SET/inputs/$1
  case $2 in
    ecdsa) run openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$k-key.pem" ;;
    rsa) run openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$k-key.pem" ;;
  esac
  run openssl pkey -in "$k-key.pem" -pubout -out "$k.pub"
}

# record_trust_dir LABEL DIR — copy DIR/private/*.key and a listing of DIR (modes, paths) into
# trust/LABEL/.
record_trust_dir() {
  local out=$SET/trust/$1 dir=$2
  mkdir -p "$out/private"
  (cd "$dir" && find . -mindepth 1 -printf '%M %P\n' | sort -k2) >"$out/listing.txt"
  cp "$dir"/private/*.key "$out/private/"
}

# record_repo NAME GUN — every metadata file of GUN exactly as notary-server serves it:
#   repos/NAME/tuf/<URL tail>   for <role>.json (current), <N>.<role>.json (every version 1..current)
#                               and <role>.<sha256 hex>.json / <role>.<sha512 hex>.json (checksums
#                               taken from the snapshot, and from the timestamp for the snapshot)
#   repos/NAME/tuf/{timestamp,snapshot}.key   GET of the server key endpoints
#   repos/NAME/changefeed.json, headers/*.http, errors/*, index.json (every file with its URL)
record_repo() {
  local name=$1 gun=$2 d role v cur hex
  d=$SET/repos/$name
  rm -rf "$d/tuf" "$d/headers" "$d/errors"; mkdir -p "$d/tuf" "$d/headers" "$d/errors"
  local base="$NOTARY_URL/v2/$gun/_trust/tuf"
  : >"$d/index.tsv"
  note "record repo $name ($gun): curl --cacert \$NOTARY_CA $base/<tail> > repos/$name/tuf/<tail>"
  get() { # get TAIL KIND ROLE VERSION
    local tail=$1 out code
    out="$d/tuf/$tail"
    mkdir -p "$(dirname "$out")"
    code=$(curl -sS --cacert "$NOTARY_CA" -o "$out.tmp" -w '%{http_code}' "$base/$tail")
    if [[ $code == 200 ]]; then
      mv "$out.tmp" "$out"
      printf '%s|%s|%s|%s|%s\n' "$tail" "$2" "$3" "$4" 200 >>"$d/index.tsv"
    else
      mv "$out.tmp" "$d/errors/$(tr / _ <<<"$tail").$code"
      printf '%s|%s|%s|%s|%s\n' "$tail" "$2" "$3" "$4" "$code" >>"$d/index.tsv"
      echo "GET $tail -> $code" >>"$T"
    fi
  }
  get timestamp.json current timestamp ""
  hex=$(jq -r '.signed.meta.snapshot.hashes.sha256' "$d/tuf/timestamp.json" | hex_of_b64)
  get "snapshot.$hex.json" checksum-sha256 snapshot ""
  hex=$(jq -r '.signed.meta.snapshot.hashes.sha512' "$d/tuf/timestamp.json" | hex_of_b64)
  get "snapshot.$hex.json" checksum-sha512 snapshot ""
  get snapshot.json current snapshot ""
  mapfile -t roles < <(jq -r '.signed.meta | keys[]' "$d/tuf/snapshot.json")
  for role in "${roles[@]}"; do
    get "$role.json" current "$role" ""
    hex=$(jq -r --arg r "$role" '.signed.meta[$r].hashes.sha256' "$d/tuf/snapshot.json" | hex_of_b64)
    get "$role.$hex.json" checksum-sha256 "$role" ""
    hex=$(jq -r --arg r "$role" '.signed.meta[$r].hashes.sha512' "$d/tuf/snapshot.json" | hex_of_b64)
    get "$role.$hex.json" checksum-sha512 "$role" ""
  done
  for role in "${roles[@]}" snapshot timestamp; do
    cur=$(jq -r '.signed.version' "$d/tuf/$role.json")
    for ((v = 1; v <= cur; v++)); do get "$v.$role.json" version "$role" "$v"; done
  done
  get targets/does-not-exist.json missing targets/does-not-exist ""
  get 999.root.json missing root 999
  # headers of each kind of URL
  curl -sS --cacert "$NOTARY_CA" -D "$d/headers/root.json.http" -o /dev/null "$base/root.json"
  curl -sS --cacert "$NOTARY_CA" -D "$d/headers/timestamp.json.http" -o /dev/null "$base/timestamp.json"
  curl -sS --cacert "$NOTARY_CA" -D "$d/headers/1.root.json.http" -o /dev/null "$base/1.root.json"
  hex=$(jq -r '.signed.meta.root.hashes.sha256' "$d/tuf/snapshot.json" | hex_of_b64)
  curl -sS --cacert "$NOTARY_CA" -D "$d/headers/root.sha256.json.http" -o /dev/null "$base/root.$hex.json"
  curl -sS --cacert "$NOTARY_CA" -D "$d/headers/404.http" -o /dev/null "$base/targets/does-not-exist.json"
  # server key endpoints (GET snapshot.key of a repo with a client-held snapshot makes the server
  # create a key it never uses; done last for that reason)
  get timestamp.key key timestamp ""
  get snapshot.key key snapshot ""
  curl -sS --cacert "$NOTARY_CA" -o "$d/changefeed.json" "$NOTARY_URL/v2/$gun/_trust/changefeed?change_id=0&records=1000"
  # index.json
  (cd "$d/tuf" && while IFS='|' read -r tail kind role v code; do
    if [[ $code == 200 ]]; then
      jq -nc --arg p "tuf/$tail" --arg u "/v2/$gun/_trust/tuf/$tail" --arg k "$kind" --arg r "$role" --arg v "$v" \
        --arg s "$(sha256sum <"$tail" | cut -d' ' -f1)" --argjson l "$(stat -c %s "$tail")" \
        '{path:$p,url:$u,kind:$k,role:$r,status:200,sha256:$s,length:$l} + (if $v == "" then {} else {version:($v|tonumber)} end)'
    else
      jq -nc --arg p "errors/$(tr / _ <<<"$tail").$code" --arg u "/v2/$gun/_trust/tuf/$tail" --arg k "$kind" --arg r "$role" \
        --arg v "$v" --argjson c "$code" \
        '{path:$p,url:$u,kind:$k,role:$r,status:$c} + (if $v == "" then {} else {version:($v|tonumber)} end)'
    fi
  done <"$d/index.tsv") | jq -s --arg gun "$gun" --arg name "$name" \
    '{name:$name,gun:$gun,files:.}' >"$d/index.json"
  rm -f "$d/index.tsv"
  rmdir "$d/errors" 2>/dev/null || true
}

# docker_inspect DIR GUN [TAG...] — docker trust inspect JSON and --pretty goldens, for both CLIs
docker_inspect() {
  local dir=$1 gun=$2 bin v; shift 2
  for bin in "$DOCKER_NEW" "$DOCKER_OLD"; do
    v=$("$bin" --version | awk '{print $3}' | cut -d+ -f1 | tr -d ,)
    golden "$dir/docker-$v/inspect.json" env DOCKER_BIN="$bin" DOCKER_CONFIG="$PEERS_DIR/docker-inspect-$v" "$PEERS/docker-trust.sh" trust inspect "$gun"
    golden "$dir/docker-$v/inspect-pretty.txt" env DOCKER_BIN="$bin" DOCKER_CONFIG="$PEERS_DIR/docker-inspect-$v" "$PEERS/docker-trust.sh" trust inspect --pretty "$gun"
    local t
    for t in "$@"; do
      golden "$dir/docker-$v/inspect-$t.json" env DOCKER_BIN="$bin" DOCKER_CONFIG="$PEERS_DIR/docker-inspect-$v" "$PEERS/docker-trust.sh" trust inspect "$gun:$t"
      golden "$dir/docker-$v/inspect-pretty-$t.txt" env DOCKER_BIN="$bin" DOCKER_CONFIG="$PEERS_DIR/docker-inspect-$v" "$PEERS/docker-trust.sh" trust inspect --pretty "$gun:$t"
    done
  done
}

tool_versions() {
  {
    echo '```'
    dpkg-query -W -f='${Package} ${Version}\n' notary docker-registry docker.io skopeo openssl jq curl 2>/dev/null
    echo "notary version: $(notary version 2>&1 | tr -s ' \n' ' ')"
    echo "docker (new): $DOCKER_NEW: $("$DOCKER_NEW" --version)"
    echo "docker (old): $DOCKER_OLD: $("$DOCKER_OLD" --version)"
    echo "openssl: $(openssl version)"
    echo "node: $(node --version)"
    echo "recorded: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(. /etc/os-release && echo "$PRETTY_NAME")"
    echo '```'
  }
}

# notes TITLE — write NOTES.md: TITLE + the set description on stdin + the common sections
notes() {
  local title=$1 body
  body=$(cat)
  {
    echo "# $title"
    echo
    echo "Recorded by \`scripts/record-fixtures.sh $(basename "$SET")\` from the real tools (regenerate with that command;"
    echo "keys, signatures and expiry times change on every run). The server ran as \`start-notary.sh\` with"
    echo "\`${SERVER_SETTINGS:-default settings (remote signer, ecdsa, memory storage)}\`; its config is in \`inputs/\`."
    echo
    printf '%s\n' "$body"
    echo
    echo "## Passphrases"
    echo
    echo "All keys are throw-away test keys created during the recording run."
    echo
    echo "| variable | value |"
    echo "| --- | --- |"
    echo "| NOTARY_ROOT_PASSPHRASE / DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE | \`$NOTARY_ROOT_PASSPHRASE\` |"
    echo "| NOTARY_TARGETS_PASSPHRASE | \`$NOTARY_TARGETS_PASSPHRASE\` |"
    echo "| NOTARY_SNAPSHOT_PASSPHRASE | \`$NOTARY_SNAPSHOT_PASSPHRASE\` |"
    echo "| NOTARY_DELEGATION_PASSPHRASE | \`$NOTARY_DELEGATION_PASSPHRASE\` |"
    echo "| DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE | \`$DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE\` (docker: targets, snapshot, delegation keys) |"
    echo
    echo "Keys under \`inputs/*-key.pem\` are the unencrypted PKCS#8 keys made with openssl before \`notary key import\`."
    echo "Keys under \`trust/<dir>/private/*.key\` are the files the tools wrote (ENCRYPTED PRIVATE KEY, PBES2)."
    echo
    echo "## Files and the commands that produced them"
    echo
    echo "- \`transcript.txt\`: every command of the run, in order, with its output (\`\$PEERS_DIR\` = the run's temp dir,"
    echo "  \`peers/\` = the peers harness directory, \`\$VOUCH_PEERS_HOME\`). Golden files are marked \`> path\` there."
    echo "- \`repos/<name>/tuf/<tail>\`: \`curl --cacert \$NOTARY_CA \$NOTARY_URL/v2/<gun>/_trust/tuf/<tail>\`, bytes exactly as served."
    echo "  \`<role>.json\` = current, \`<N>.<role>.json\` = by version (every N from 1 to the current version; a 404 is"
    echo "  listed in \`index.json\` and its body kept under \`errors/\`), \`<role>.<hex>.json\` = by sha256 or sha512 checksum"
    echo "  (taken from \`snapshot.json\`'s meta, and from \`timestamp.json\` for the snapshot). Delegations keep their"
    echo "  slash: \`tuf/targets/releases.json\`, \`tuf/3.targets/releases.json\`."
    echo "  \`timestamp.key\` / \`snapshot.key\`: GET of the server key endpoints (fetched last)."
    echo "- \`repos/<name>/index.json\`: gun, and for every fetched URL: path, url, kind (current, version, checksum-sha256,"
    echo "  checksum-sha512, key, missing), role, version, status, sha256 and length of the saved bytes."
    echo "- \`repos/<name>/headers/*.http\`: response headers (\`curl -D\`) for current, version, checksum and 404 URLs."
    echo "- \`repos/<name>/changefeed.json\`: \`GET /v2/<gun>/_trust/changefeed?change_id=0&records=1000\`."
    echo "- \`repos/<name>/cli/*\`, \`docker-*/*\`: golden outputs; stdout byte-exact, \`.stderr\` and \`.exit\` next to it when"
    echo "  non-empty / non-zero."
    echo "- \`trust/<dir>/listing.txt\`: \`find . -printf '%M %P'\` of the client trust dir at the end of the run;"
    echo "  \`trust/<dir>/private/*.key\`: the private key files in it."
    echo "- \`inputs/\`: openssl keys and certificates, custom-data files, manifests of the deterministic images"
    echo "  (\`make-image.sh\` with \`IMAGE_PUSH=0\`), server and signer config."
    echo
    echo "GUNs use the registry name \`$REG\`, but no registry was running or contacted: images were built locally and"
    echo "the notary and docker trust commands only talk to notary-server."
    echo
    echo "## Tool versions"
    echo
    tool_versions
  } >"$SET/NOTES.md"
}

# --------------------------------------------------------------------------------------------
# scenarios
# --------------------------------------------------------------------------------------------

# scenario_full GUN — a notary-made repo with every role kind, client-held snapshot.
scenario_full() {
  local gun=$1
  note "init + docker-style targets, notary add (sha256+sha512), sha512-only, custom data"
  nc init -p "$gun"
  image fixtures/full 1.0
  nc addhash "$gun" 1.0 "$IMG_SIZE" --sha256 "$IMG_SHA256"
  nc add "$gun" 1.0-add "$IMG_MANIFEST"
  nc addhash "$gun" sha512-only "$IMG_SIZE" --sha512 "$(sha512sum <"$IMG_MANIFEST" | cut -d' ' -f1)"
  # custom data: keys already sorted, compact, only characters the canonical form writes raw
  printf '{"a":[1,"two",true,null],"build":{"id":12345,"ok":false},"note":"café"}' >"$SET/inputs/custom.json"
  nc addhash "$gun" 1.0-custom "$IMG_SIZE" --sha256 "$IMG_SHA256" --custom "$SET/inputs/custom.json"
  nc publish "$gun"

  note "delegation keys (openssl), imported into the notary trust dir"
  keypair releases ecdsa
  keypair alice ecdsa
  keypair a ecdsa
  keypair a-b ecdsa
  keypair x509 ecdsa
  run openssl req -x509 -new -key "$SET/inputs/x509-key.pem" -sha256 -days 3650 -subj /CN=x509-delegate -out "$SET/inputs/x509.crt"
  keypair rsa rsa
  nc key import "$SET/inputs/releases-key.pem" --role targets/releases
  nc key import "$SET/inputs/alice-key.pem" --role targets/alice
  nc key import "$SET/inputs/a-key.pem" --role targets/a
  nc key import "$SET/inputs/a-b-key.pem" --role targets/a/b
  nc key import "$SET/inputs/x509-key.pem" --role targets/x509
  nc key import "$SET/inputs/rsa-key.pem" --role targets/rsa

  note "delegations: releases, alice (all paths), a (paths a/), x509 (certificate key), rsa; then nested a/b"
  nc delegation add "$gun" targets/releases "$SET/inputs/releases.pub" --all-paths
  nc delegation add "$gun" targets/alice "$SET/inputs/alice.pub" --all-paths
  nc delegation add "$gun" targets/a "$SET/inputs/a.pub" --paths a/
  nc delegation add "$gun" targets/x509 "$SET/inputs/x509.crt" --all-paths
  nc delegation add "$gun" targets/rsa "$SET/inputs/rsa.pub" --all-paths
  nc publish "$gun"
  nc delegation add -p "$gun" targets/a/b "$SET/inputs/a-b.pub" --paths a/b/

  note "targets signed through each delegation"
  image fixtures/full 1.1
  nc addhash -p "$gun" 1.1 "$IMG_SIZE" --sha256 "$IMG_SHA256" -r targets/releases
  image fixtures/full 1.2
  nc addhash -p "$gun" 1.2 "$IMG_SIZE" --sha256 "$IMG_SHA256" -r targets/alice
  nc addhash -p "$gun" a/one "$IMG_SIZE" --sha256 "$IMG_SHA256" -r targets/a
  nc addhash -p "$gun" a/b/two "$IMG_SIZE" --sha256 "$IMG_SHA256" -r targets/a/b
  nc addhash -p "$gun" x509-signed "$IMG_SIZE" --sha256 "$IMG_SHA256" -r targets/x509
  nc addhash -p "$gun" rsa-signed "$IMG_SIZE" --sha256 "$IMG_SHA256" -r targets/rsa

  note "root rotated twice, then targets and (client-held) snapshot keys rotated"
  nc key list
  # root rotation asks "Are you sure…? (yes/no)" on stdin (without an answer it prints "Aborting action." and exits 0)
  printf 'yes\n' | nc key rotate "$gun" root
  printf 'yes\n' | nc key rotate "$gun" root
  nc key rotate "$gun" targets
  nc key rotate "$gun" snapshot
  nc key list

  note "publish after the rotations, and a removal"
  image fixtures/full 2.0
  nc addhash "$gun" 2.0 "$IMG_SIZE" --sha256 "$IMG_SHA256"
  nc remove "$gun" sha512-only
  nc publish "$gun"

  local c=$SET/repos/full/cli
  golden "$c/list.txt" "$PEERS/notary-client.sh" list "$gun"
  golden "$c/list-releases.txt" "$PEERS/notary-client.sh" list "$gun" -r targets/releases
  golden "$c/lookup-1.0.txt" "$PEERS/notary-client.sh" lookup "$gun" 1.0
  golden "$c/delegation-list.txt" "$PEERS/notary-client.sh" delegation list "$gun"
  golden "$c/list-fresh-client.txt" env NOTARY_TRUST_DIR="$PEERS_DIR/fresh" "$PEERS/notary-client.sh" list "$gun"
}

# scenario_server_snapshot GUN — snapshot key moved to the server (key rotate snapshot -r).
scenario_server_snapshot() {
  local gun=$1 name=$2
  nc init -p "$gun"
  image "fixtures/$name" 1.0
  nc addhash -p "$gun" 1.0 "$IMG_SIZE" --sha256 "$IMG_SHA256"
  nc key rotate "$gun" snapshot -r
  image "fixtures/$name" 1.1
  nc addhash -p "$gun" 1.1 "$IMG_SIZE" --sha256 "$IMG_SHA256"
  [[ -f "$SET/inputs/releases-key.pem" ]] || { keypair releases ecdsa; nc key import "$SET/inputs/releases-key.pem" --role targets/releases; }
  nc delegation add -p "$gun" targets/releases "$SET/inputs/releases.pub" --all-paths
  nc addhash -p "$gun" 1.2 "$IMG_SIZE" --sha256 "$IMG_SHA256" -r targets/releases
  golden "$SET/repos/$name/cli/list.txt" "$PEERS/notary-client.sh" list "$gun"
  golden "$SET/repos/$name/cli/list-fresh-client.txt" env NOTARY_TRUST_DIR="$PEERS_DIR/fresh-$name" "$PEERS/notary-client.sh" list "$gun"
}

server_set() { # server_set NAME TITLE VAR=VALUE...
  local name=$1 title=$2; shift 2
  begin_set notary "$name" "$@"
  scenario_full "$REG/fixtures/full"
  record_repo full "$REG/fixtures/full"
  scenario_server_snapshot "$REG/fixtures/server-snapshot" server-snapshot
  record_repo server-snapshot "$REG/fixtures/server-snapshot"
  [[ "$name" != ecdsa-remote ]] || docker_inspect "$SET/repos/full" "$REG/fixtures/full" 1.0 1.1 1.2 2.0
  golden "$SET/repos/full/cli/key-list.txt" "$PEERS/notary-client.sh" key list
  record_trust_dir notary-client "$NOTARY_TRUST_DIR"
  local tskey
  tskey=$(jq -r '.keytype' "$SET/repos/full/tuf/timestamp.key")
  local extra=""
  [[ "$name" != ecdsa-remote ]] || extra='Not recordable: RSA server keys. With `NOTARY_KEY_ALGORITHM=rsa` notary-signer 0.7.0 logs
`CreateKey: unsupported algorithm: rsa`, `GET …/timestamp.key` answers 500 and `notary init -p` fails with
`unable to reach trust server at this time: 500`. RSA appears here only as an imported delegation key (`targets/rsa`).
'
  notes "$title" <<EOF
Two repositories on one notary-server: the timestamp key (and, in \`server-snapshot\`, the snapshot key)
is made and held by the server; this run's server timestamp key type is \`$tskey\`.

## repos/full — GUN \`$REG/fixtures/full\` (client-held snapshot)

1. \`notary init -p\`; targets \`1.0\` (\`addhash\`, docker style: sha256 + length of the manifest in
   \`inputs/manifest-fixtures_full-1.0.json\`), \`1.0-add\` (\`notary add\` of that file: sha256 **and** sha512),
   \`sha512-only\` (\`addhash --sha512\`, removed again in step 6), \`1.0-custom\` (\`addhash --custom inputs/custom.json\`).
2. Delegation keys made with openssl (\`inputs/<name>-key.pem\`, \`<name>.pub\`) and \`notary key import … --role\`:
   \`targets/releases\`, \`targets/alice\` (all paths), \`targets/a\` (paths \`a/\`), \`targets/x509\` (the key given to
   \`delegation add\` is the self-signed certificate \`inputs/x509.crt\` → keytype \`ecdsa-x509\`), \`targets/rsa\` (RSA 2048,
   imported PKCS#8 → keytype \`rsa\`, signatures \`rsapss\`), then the nested \`targets/a/b\` (paths \`a/b/\`, listed in
   \`targets/a.json\`).
3. One target signed through each delegation: \`1.1\` (releases), \`1.2\` (alice), \`a/one\` (a), \`a/b/two\` (a/b),
   \`x509-signed\`, \`rsa-signed\`.
4. \`notary key rotate <gun> root\` **twice** (so \`1.root.json\`, \`2.root.json\`, \`3.root.json\` …), then
   \`key rotate <gun> targets\` and \`key rotate <gun> snapshot\` (a new client-held snapshot key; each rotation
   also re-signs root).
5. Target \`2.0\` added and \`sha512-only\` removed in one publish.
6. Goldens in \`repos/full/cli/\` (\`notary list\`, \`list -r targets/releases\`, \`lookup\`, \`delegation list\`,
   \`key list\`, a fresh client's \`list\` = TOFU bootstrap)$( [[ "$name" == ecdsa-remote ]] && echo ", and \`docker trust inspect\` (JSON and
   \`--pretty\`, whole repo and per tag) by Docker CLI 28.2.2 and 20.10.24 in \`repos/full/docker-<version>/\`" ).

$extra
## repos/server-snapshot — GUN \`$REG/fixtures/server-snapshot\`

\`init -p\`, \`addhash -p 1.0\`, \`notary key rotate <gun> snapshot -r\` (the server now signs snapshots; root gets a
new version with the server's snapshot key), \`addhash -p 1.1\`, delegation \`targets/releases\` + \`1.2\` signed by it.

## Private keys

\`trust/notary-client/\` is the notary CLI's trust dir: root keys (every root key of every rotation is kept),
targets/snapshot keys of each GUN (\`gun:\` header), and the imported delegation keys (\`role: targets/…\`, no gun).
EOF
  end_set
}

# --------------------------------------------------------------------------------------------
set_ecdsa_remote() { server_set ecdsa-remote "notary-server with the remote signer, ECDSA server keys" NOTARY_TRUST_SERVICE=remote NOTARY_KEY_ALGORITHM=ecdsa; }
set_ed25519_remote() { server_set ed25519-remote "notary-server with the remote signer, Ed25519 server keys" NOTARY_TRUST_SERVICE=remote NOTARY_KEY_ALGORITHM=ed25519; }
set_ed25519_local() { server_set ed25519-local "notary-server with the local trust service (server-held Ed25519 keys, no signer)" NOTARY_TRUST_SERVICE=local; }
# (No rsa-remote set: with NOTARY_KEY_ALGORITHM=rsa notary-signer 0.7.0 logs "CreateKey: unsupported algorithm: rsa",
# GET …/timestamp.key answers 500 and `notary init -p` fails with "unable to reach trust server at this time: 500".)

# encoding edge cases: big target lengths, custom data the canonical form re-encodes
set_encoding() {
  begin_set notary encoding NOTARY_TRUST_SERVICE=remote NOTARY_KEY_ALGORITHM=ecdsa
  local h n gun results="" c
  h=$(printf 'x' | sha256sum | cut -d' ' -f1)
  note "target lengths: addhash <n> --sha256 sha256('x'), one GUN per value"
  for n in 100000000 9007199254740992 9007199254740993 9223372036854775807; do
    gun="$REG/fixtures/length-$n"
    nc init -p "$gun"
    golden "$SET/repos/length-$n/cli/addhash.txt" "$PEERS/notary-client.sh" addhash -p "$gun" t "$n" --sha256 "$h"
    golden "$SET/repos/length-$n/cli/status-after.txt" "$PEERS/notary-client.sh" status "$gun"
    nc_may_fail reset "$gun" --all
    if [[ $n == 100000000 ]]; then
      run truncate -s 100000000 "$PEERS_DIR/zeros-100000000"
      golden "$SET/repos/length-$n/cli/add-file.txt" "$PEERS/notary-client.sh" add -p "$gun" file-of-100000000-zero-bytes "$PEERS_DIR/zeros-100000000"
    fi
    golden "$SET/repos/length-$n/cli/list-fresh-client.txt" env NOTARY_TRUST_DIR="$PEERS_DIR/fresh-$n" "$PEERS/notary-client.sh" list "$gun"
    record_repo "length-$n" "$gun"
    local served
    served=$(grep -o '"t":{[^}]*}[^}]*}' "$SET/repos/length-$n/tuf/targets.json" || true)
    results+="| $n | \`$(cat "$SET/repos/length-$n/cli/addhash.txt.exit" 2>/dev/null || echo 0)\` | \`$(lastmsg "$SET/repos/length-$n/cli/addhash.txt")\` | \`${served:-(not in targets.json)}\` |"$'\n'
  done
  grep -E 'invalid update|"http.request.method":"POST"' "$PEERS_DIR/logs/notary-server.log" | grep -E 'length-9' |
    grep -E 'invalid update|"http.response.status"' >"$SET/server-log-rejected-publishes.jsonl" || true

  note "crafted publishes: targets with a big length in the bytes, the signature over another spelling (inputs/craft-targets.mjs)"
  cat >"$SET/inputs/craft-targets.mjs" <<'CRAFT'
// craft.mjs GUN LENGTH SIGNED_LENGTH — publish (as the repo owner, with the owner's targets and snapshot
// keys from the notary trust dir) a targets.json whose target "t" has "length":LENGTH in the bytes sent,
// while the ECDSA signature covers the canonical form with SIGNED_LENGTH in its place. Prints the HTTP status
// and body of the POST. Env: NOTARY_URL, NOTARY_CA, NOTARY_TRUST_DIR, NOTARY_TARGETS_PASSPHRASE,
// NOTARY_SNAPSHOT_PASSPHRASE.
import { createHash, createPrivateKey, sign } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import https from 'node:https';

const [gun, length, signedLength] = process.argv.slice(2);
const { NOTARY_URL, NOTARY_CA, NOTARY_TRUST_DIR } = process.env;
const ca = readFileSync(NOTARY_CA);
const base = `${NOTARY_URL}/v2/${gun}/_trust/tuf`;

function get(url) {
  return new Promise((res, rej) => https.get(url, { ca }, (r) => {
    const c = []; r.on('data', (d) => c.push(d)); r.on('end', () => res({ status: r.statusCode, body: Buffer.concat(c) }));
  }).on('error', rej));
}
function key(role, passphrase, keyid) {
  const dir = join(NOTARY_TRUST_DIR, 'private');
  // ecdsa targets/snapshot keys: the file is named by the key ID that root.json lists
  for (const f of [`${keyid}.key`, ...readdirSync(dir)]) {
    if (!existsSync(join(dir, f))) continue;
    const pem = readFileSync(join(dir, f), 'utf8');
    if (!pem.includes(`\nrole: ${role}\n`) || !pem.includes(`\ngun: ${gun}\n`)) continue;
    // OpenSSL refuses PEM headers other than Proc-Type ("not proc type"): drop notary's gun/role headers
    const stripped = pem.split('\n').filter((l) => !/^(gun|role): /.test(l)).join('\n').replace(/-----\n\n/, '-----\n');
    return createPrivateKey({ key: stripped, format: 'pem', passphrase });
  }
  throw new Error(`no ${role} key for ${gun}`);
}
const b64 = (alg, b) => createHash(alg).update(b).digest('base64');
const meta = (b) => `{"hashes":{"sha256":"${b64('sha256', b)}","sha512":"${b64('sha512', b)}"},"length":${b.length}}`;
const envelope = (signedSent, signedForSig, keyid, k) => {
  const sig = sign('sha256', Buffer.from(signedForSig), { key: k, dsaEncoding: 'ieee-p1363' }).toString('base64');
  return Buffer.from(`{"signed":${signedSent},"signatures":[{"keyid":"${keyid}","method":"ecdsa","sig":"${sig}"}]}`);
};

const root = (await get(`${base}/root.json`)).body;
const rootDoc = JSON.parse(root.toString());
const oldTargets = JSON.parse((await get(`${base}/targets.json`)).body.toString());
const oldSnap = JSON.parse((await get(`${base}/snapshot.json`)).body.toString());
const h = createHash('sha256').update('x').digest('base64');
const tv = oldTargets.signed.version + 1;
const tSigned = (n) => `{"_type":"Targets","delegations":{"keys":{},"roles":[]},"expires":"${oldTargets.signed.expires}","targets":{"t":{"hashes":{"sha256":"${h}"},"length":${n}}},"version":${tv}}`;
const tk = rootDoc.signed.roles.targets.keyids[0];
const targets = envelope(tSigned(length), tSigned(signedLength), tk, key('targets', process.env.NOTARY_TARGETS_PASSPHRASE, tk));
const sv = oldSnap.signed.version + 1;
const sSigned = `{"_type":"Snapshot","expires":"${oldSnap.signed.expires}","meta":{"root":${meta(root)},"targets":${meta(targets)}},"version":${sv}}`;
const sk = rootDoc.signed.roles.snapshot.keyids[0];
const snapshot = envelope(sSigned, sSigned, sk, key('snapshot', process.env.NOTARY_SNAPSHOT_PASSPHRASE, sk));

const boundary = 'vouchfixtureboundary';
const part = (name, body) => Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`), body, Buffer.from('\r\n')]);
const body = Buffer.concat([part('targets', targets), part('snapshot', snapshot), Buffer.from(`--${boundary}--\r\n`)]);
const status = await new Promise((res, rej) => {
  const req = https.request(`${base}/`, { method: 'POST', ca, headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': body.length } }, (r) => {
    const c = []; r.on('data', (d) => c.push(d)); r.on('end', () => res(`${r.statusCode} ${Buffer.concat(c).toString()}`));
  });
  req.on('error', rej); req.end(body);
});
console.log(`POST targets (length ${length} in the bytes, signature over length ${signedLength}) + snapshot: ${status}`);
CRAFT
  local crafted="" pair sent signedas
  for pair in 9007199254740993:9007199254740993 9007199254740993:9007199254740992 9223372036854775000:9223372036854774784 \
      9223372036854775807:9223372036854775807 9223372036854775807:9223372036854775808 9223372036854775807:-9223372036854775808; do
    sent=${pair%%:*} signedas=${pair#*:}
    gun="$REG/fixtures/crafted-$sent-signed-as-${signedas/-/minus}"
    nc init -p "$gun"
    golden "$SET/repos/crafted-$sent-signed-as-${signedas/-/minus}/cli/post.txt" node "$SET/inputs/craft-targets.mjs" "$gun" "$sent" "$signedas"
    golden "$SET/repos/crafted-$sent-signed-as-${signedas/-/minus}/cli/list-fresh-client.txt" env NOTARY_TRUST_DIR="$PEERS_DIR/fresh-c-$sent-$signedas" "$PEERS/notary-client.sh" list "$gun"
    record_repo "crafted-$sent-signed-as-${signedas/-/minus}" "$gun"
    crafted+="| \`$sent\` | \`$signedas\` | \`$(sed 's/^POST .* snapshot: //' "$SET/repos/crafted-$sent-signed-as-${signedas/-/minus}/cli/post.txt")\` | \`$(grep -o '"length":[-0-9]*' "$SET/repos/crafted-$sent-signed-as-${signedas/-/minus}/tuf/targets.json" || echo '(no target)')\` | \`$(grep '^t ' "$SET/repos/crafted-$sent-signed-as-${signedas/-/minus}/cli/list-fresh-client.txt" | tr -s ' ' || echo '(no target)')\` |"$'\n'
  done

  note "custom data: each case is one addhash --custom; rejected ones are reset"
  gun="$REG/fixtures/custom"
  nc init -p "$gun"
  local cases=(
    'sorted-object|{"a":1,"b":{"c":[1,2],"d":null}}'
    'whitespace|{ "a": 1,\n  "b": 2 }\n'
    'array|[1,"x",true]'
    'string|"plain"'
    'non-ascii-raw|{"s":"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac"}'
    'unsorted-keys|{"note":"x","n":1}'
    'nested-unsorted-keys|{"a":{"z":1,"b":2}}'
    'html-chars|{"s":"<&>"}'
    'escaped-unicode|{"s":"caf\\u00e9"}'
    'escaped-newline|{"s":"a\\nb"}'
    'exponent|{"n":1e3}'
    'fraction|{"n":1.5}'
    'big-int|{"n":9007199254740993}'
    'safe-int|{"n":9007199254740991}'
  )
  local cres=""
  for c in "${cases[@]}"; do
    local cname=${c%%|*} body=${c#*|}
    # shellcheck disable=SC2059
    printf "$body" >"$SET/inputs/custom-$cname.json"
    golden "$SET/repos/custom/cli/addhash-$cname.txt" "$PEERS/notary-client.sh" addhash -p "$gun" "$cname" 1 --sha256 "$h" --custom "$SET/inputs/custom-$cname.json"
    if [[ -f "$SET/repos/custom/cli/addhash-$cname.txt.exit" ]]; then
      nc reset "$gun" --all
      cres+="| \`$cname\` | \`$(tr -d '\n' <"$SET/inputs/custom-$cname.json")\` | rejected: \`$(lastmsg "$SET/repos/custom/cli/addhash-$cname.txt")\` |"$'\n'
    else
      cres+="| \`$cname\` | \`$(tr -d '\n' <"$SET/inputs/custom-$cname.json")\` | published as \`$(jq -c --arg n "$cname" '.signed.targets[$n].custom' <(curl -sS --cacert "$NOTARY_CA" "$NOTARY_URL/v2/$gun/_trust/tuf/targets.json"))\` |"$'\n'
    fi
  done
  golden "$SET/repos/custom/cli/list.txt" "$PEERS/notary-client.sh" list "$gun"
  record_repo custom "$gun"
  record_trust_dir notary-client "$NOTARY_TRUST_DIR"
  notes "Encoding edge cases: big target lengths and custom data (notary 0.7.0 client + server)" <<EOF
Server: remote signer, ECDSA. One GUN per case (a rejected publish stays staged in the client's
changelist, so each case is reset with \`notary reset <gun> --all\` afterwards).

## Target lengths

For each n: \`notary init -p $REG/fixtures/length-<n>\`, then
\`notary addhash -p <gun> t <n> --sha256 $h\` (sha256 of the single byte \`x\`), then a fresh client's
\`notary list\`. Goldens in \`repos/length-<n>/cli/\`, the served metadata in \`repos/length-<n>/tuf/\`.
For 100000000 also \`notary add -p <gun> file-of-100000000-zero-bytes <sparse file of 100000000 zero bytes>\`.

| n | addhash exit | last line of output | served entry in targets.json |
| --- | --- | --- | --- |
$results
Findings:

- The notary client writes \`length\` as a plain JSON integer (Go \`int64\`): \`"length":100000000\` and
  \`"length":9007199254740992\` are published, served and listed back exactly like that; no exponent, no quotes.
- Values above 2^53 that are not exactly representable as float64 (9007199254740993, 2^63-1) are **rejected by
  notary-server** with HTTP 400 and \`The targets metadata is invalid: valid signatures did not meet threshold for
  targets\` (server log lines in \`server-log-rejected-publishes.jsonl\`). The client signed the canonical bytes with the
  exact integer; the server verifies by decoding \`signed\` into generic values (numbers → float64) and
  re-canonicalizing, which turns 9007199254740993 into 9007199254740992, so the signature no longer matches.
  The repo keeps its previous state (the target is not served) and the change stays staged.
- So on the wire, lengths up to 2^53 (and any integer exactly representable as a float64) round-trip; a
  compatible server must reject a document whose canonical re-encoding (via float64) differs from what was signed.

## Crafted publishes (what the server accepts and serves)

\`inputs/craft-targets.mjs GUN SENT SIGNED_AS\` (Node, recorded here) plays the repository owner after \`notary init -p\`: it
decrypts the owner's targets and snapshot keys from the notary trust dir, builds \`targets.json\` v3 with the target
\`t\` whose bytes say \`"length":SENT\`, but signs (ECDSA P-256, raw r||s) the canonical form with \`SIGNED_AS\` in that
place, builds and signs a matching \`snapshot.json\`, and POSTs both as multipart (\`files\`, filename = role) to
\`/v2/<gun>/_trust/tuf/\`. Goldens: \`repos/crafted-*/cli/post.txt\` (status and body), a fresh client's \`notary list\`.

| length in the bytes | signature over | POST answer | served | fresh \`notary list\` |
| --- | --- | --- | --- | --- |
$crafted
So notary-server (and the client, same code) checks signatures over the canonical re-encoding of the JSON after
numbers went through float64 (written back as the integer value of that float), **stores and serves the raw bytes**,
and the client then reads \`length\` as an exact int64: a document saying \`"length":9007199254740993\` whose signature
covers \`9007199254740992\` is accepted, served byte-exact and listed as 9007199254740993. For 2^63-1 the float64 is 2^63, out of int64 range; the
signature had to cover \`-9223372036854775808\` to be accepted (apparently what the out-of-range float64 → int64
conversion yields on amd64).

## Custom data — GUN \`$REG/fixtures/custom\`

Each case: \`notary addhash -p <gun> <case> 1 --sha256 … --custom inputs/custom-<case>.json\`.

| case | file content | result |
| --- | --- | --- |
$cres
The client embeds the custom JSON as a raw message: it removes whitespace but keeps key order, string escapes and
number spellings as written, and signs those bytes (\`<&>\` is rejected too: Go's encoder writes raw JSON with
\`<\`, \`>\`, \`&\` HTML-escaped as \`\\u003c\` …, which the canonical form does not do — inferred from the result). notary-server re-canonicalizes before verifying (keys sorted, strings with only \`"\` and \`\\\\\` escaped and
everything else raw, numbers via float64), so every input whose canonical form differs from its compacted form
is rejected with "valid signatures did not meet threshold" (notaryproject/notary#1411 for the unsorted case), and
\`1.5\` is rejected while decoding ("json: unsupported value: 1.5").
EOF
  end_set
}

# docker_set BIN — the Docker CLI's own writes (no daemon)
docker_set() {
  local bin=$1 v gun=$REG/fixtures/docker g
  v=$("$bin" --version | awk '{print $3}' | cut -d+ -f1 | tr -d ,)
  begin_set docker "docker-$v" NOTARY_TRUST_SERVICE=remote NOTARY_KEY_ALGORITHM=ecdsa
  export DOCKER_BIN=$bin DOCKER_CONFIG=$PEERS_DIR/docker
  g=$SET/repos/docker/docker-$v
  # notary writes to docker's repo with docker's trust dir and docker's passphrases
  dn() { run env NOTARY_TRUST_DIR="$DOCKER_CONFIG/trust" NOTARY_TARGETS_PASSPHRASE="$DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE" \
    NOTARY_SNAPSHOT_PASSPHRASE="$DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE" NOTARY_DELEGATION_PASSPHRASE="$DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE" \
    "$PEERS/notary-client.sh" "$@"; }

  note "keys: alice generated by docker, bob made with openssl and loaded"
  golden "$g/inspect-before-init.json" "$PEERS/docker-trust.sh" trust inspect "$gun"
  golden "$g/key-generate-alice.txt" "$PEERS/docker-trust.sh" trust key generate alice --dir "$SET/inputs"
  keypair bob ecdsa
  golden "$g/key-load-bob.txt" "$PEERS/docker-trust.sh" trust key load --name bob "$SET/inputs/bob-key.pem"

  note "signer add on a new GUN (initialises the repo), notary signs 1.0 into targets, docker trust sign 1.0"
  golden "$g/signer-add-alice.txt" "$PEERS/docker-trust.sh" trust signer add --key "$SET/inputs/alice.pub" alice "$gun"
  image fixtures/docker 1.0
  dn addhash -p "$gun" 1.0 "$IMG_SIZE" --sha256 "$IMG_SHA256"
  golden "$g/sign-1.0.txt" "$PEERS/docker-trust.sh" trust sign "$gun:1.0"
  golden "$g/after-sign/inspect.json" "$PEERS/docker-trust.sh" trust inspect "$gun"
  golden "$g/after-sign/inspect-pretty.txt" "$PEERS/docker-trust.sh" trust inspect --pretty "$gun"
  golden "$g/after-sign/inspect-1.0.json" "$PEERS/docker-trust.sh" trust inspect "$gun:1.0"
  golden "$g/after-sign/inspect-pretty-1.0.txt" "$PEERS/docker-trust.sh" trust inspect --pretty "$gun:1.0"

  note "second signer bob; 2.0 signed by notary into targets, then by docker (alice and bob keys present)"
  golden "$g/signer-add-bob.txt" "$PEERS/docker-trust.sh" trust signer add --key "$SET/inputs/bob.pub" bob "$gun"
  image fixtures/docker 2.0
  dn addhash -p "$gun" 2.0 "$IMG_SIZE" --sha256 "$IMG_SHA256"
  golden "$g/sign-2.0.txt" "$PEERS/docker-trust.sh" trust sign "$gun:2.0"
  golden "$g/after-bob/inspect.json" "$PEERS/docker-trust.sh" trust inspect "$gun"
  golden "$g/after-bob/inspect-pretty.txt" "$PEERS/docker-trust.sh" trust inspect --pretty "$gun"
  golden "$g/after-bob/inspect-1.0-2.0.json" "$PEERS/docker-trust.sh" trust inspect "$gun:1.0" "$gun:2.0"
  golden "$g/pull-1.0.txt" env DOCKER_CONTENT_TRUST=1 "$PEERS/docker-trust.sh" pull "$gun:1.0"
  golden "$g/sign-3.0-no-daemon.txt" "$PEERS/docker-trust.sh" trust sign "$gun:3.0"

  note "revoke 1.0, remove signer bob"
  golden "$g/revoke-1.0.txt" "$PEERS/docker-trust.sh" trust revoke -y "$gun:1.0"
  golden "$g/after-revoke/inspect.json" "$PEERS/docker-trust.sh" trust inspect "$gun"
  golden "$g/after-revoke/inspect-pretty.txt" "$PEERS/docker-trust.sh" trust inspect --pretty "$gun"
  golden "$g/after-revoke/inspect-pretty-1.0.txt" "$PEERS/docker-trust.sh" trust inspect --pretty "$gun:1.0"
  golden "$g/pull-1.0-after-revoke.txt" env DOCKER_CONTENT_TRUST=1 "$PEERS/docker-trust.sh" pull "$gun:1.0"
  golden "$g/signer-remove-bob.txt" "$PEERS/docker-trust.sh" trust signer remove -f bob "$gun"
  golden "$g/after-signer-remove/inspect.json" "$PEERS/docker-trust.sh" trust inspect "$gun"
  golden "$g/after-signer-remove/inspect-pretty.txt" "$PEERS/docker-trust.sh" trust inspect --pretty "$gun"
  golden "$g/inspect-nonexistent.json" "$PEERS/docker-trust.sh" trust inspect "$REG/fixtures/nothing"
  golden "$g/inspect-pretty-nonexistent.txt" "$PEERS/docker-trust.sh" trust inspect --pretty "$REG/fixtures/nothing"
  golden "$SET/repos/docker/cli/notary-list.txt" env NOTARY_TRUST_DIR="$PEERS_DIR/fresh" "$PEERS/notary-client.sh" list "$gun"
  golden "$SET/repos/docker/cli/notary-delegation-list.txt" env NOTARY_TRUST_DIR="$PEERS_DIR/fresh" "$PEERS/notary-client.sh" delegation list "$gun"
  golden "$SET/repos/docker/cli/notary-key-list-docker-trust-dir.txt" env NOTARY_TRUST_DIR="$DOCKER_CONFIG/trust" "$PEERS/notary-client.sh" key list
  record_repo docker "$gun"
  record_trust_dir docker "$DOCKER_CONFIG/trust"
  unset DOCKER_BIN DOCKER_CONFIG
  notes "Docker CLI $v: docker trust writes (no daemon), a repository docker and notary both wrote to" <<EOF
Docker CLI: \`$bin\` (\`$("$bin" --version)\`), run through \`peers/docker-trust.sh\` with
\`DOCKER_CONFIG=\$PEERS_DIR/docker\` (trust dir \`\$PEERS_DIR/docker/trust\`, recorded in \`trust/docker/\`) and a
\`DOCKER_HOST\` socket that does not exist (no daemon). GUN \`$gun\`. Goldens are in \`repos/docker/docker-$v/\`.

1. \`docker trust inspect <gun>\` before anything exists → \`inspect-before-init.json\` (+ \`.stderr\`, \`.exit\`).
2. \`docker trust key generate alice --dir inputs\` → \`inputs/alice.pub\` (PUBLIC KEY with a \`role: alice\` header) and the
   private key in docker's trust dir; \`bob\` made with openssl (\`inputs/bob-key.pem\`) and
   \`docker trust key load --name bob\`.
3. \`docker trust signer add --key inputs/alice.pub alice <gun>\`: initialises the repository (root, targets, snapshot
   keys in docker's trust dir) and adds alice's key to \`targets/alice\` **and** \`targets/releases\`.
4. The **notary CLI** signs tag 1.0 into \`targets\` with docker's trust dir and passphrases
   (\`NOTARY_TRUST_DIR=\$DOCKER_CONFIG/trust notary addhash -p <gun> 1.0 <size> --sha256 <manifest digest>\`; manifest in
   \`inputs/\`), so this is a repository both tools wrote to.
5. \`docker trust sign <gun>:1.0\` (the tag is already signed in targets, so no daemon is needed) re-signs it into the
   signer's delegations → \`after-sign/\` inspect goldens (JSON and \`--pretty\`, repo and tag).
6. \`docker trust signer add … bob\`, notary signs 2.0 into targets, \`docker trust sign <gun>:2.0\` → \`after-bob/\`;
   \`DOCKER_CONTENT_TRUST=1 docker pull <gun>:1.0\` → \`pull-1.0.txt\` (Docker's own tag → digest resolution, then the
   daemon error); \`docker trust sign <gun>:3.0\` (unsigned tag: needs the daemon) → \`sign-3.0-no-daemon.txt\`.
7. \`docker trust revoke -y <gun>:1.0\` → \`after-revoke/\`, \`pull-1.0-after-revoke.txt\`;
   \`docker trust signer remove -f bob <gun>\` → \`after-signer-remove/\` (Docker 28.x: a silent no-op with \`-f\`,
   an upstream bug; 20.10 removes the signer).
8. \`docker trust inspect\` of a GUN that does not exist → \`inspect-nonexistent.json\`, \`inspect-pretty-nonexistent.txt\`.
9. \`repos/docker/cli/\`: a fresh notary client's \`list\` and \`delegation list\` of the repo, and \`notary key list\` over
   docker's trust dir.

The repo's full history is in \`repos/docker/tuf/<N>.<role>.json\`.
EOF
  end_set
}

# --------------------------------------------------------------------------------------------
all=(ecdsa-remote ed25519-remote ed25519-local encoding docker-28.2.2 docker-20.10.24)
sets=("$@")
[[ ${#sets[@]} -gt 0 ]] || sets=("${all[@]}")
for s in "${sets[@]}"; do
  case $s in
    ecdsa-remote) set_ecdsa_remote ;;
    ed25519-remote) set_ed25519_remote ;;
    ed25519-local) set_ed25519_local ;;
    encoding) set_encoding ;;
    docker-28*) docker_set "$DOCKER_NEW" ;;
    docker-20*) docker_set "$DOCKER_OLD" ;;
    *) echo "record-fixtures: unknown set '$s' (known: ${all[*]})" >&2; exit 2 ;;
  esac
done
echo "record-fixtures: done: ${sets[*]}" >&2
