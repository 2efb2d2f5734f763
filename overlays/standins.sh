#!/usr/bin/env bash
# Stand-in images for machines that cannot pull from an image registry: a Debian root
# filesystem made with debootstrap, then Postgres, Redis, a MongoDB wire server (SecantusDB),
# nginx, Python 3.11 and Node 22 on it from Debian, PyPI and npm packages. The compose file
# takes them through its FIUFIT_*_IMAGE variables; the Firebase Auth emulator and anvil are
# built by compose itself (overlays/emulators/Dockerfile) on the Node stand-in.
#
#   overlays/standins.sh          build what is missing or changed, write $FIUFIT_DATA/standins.env
#   overlays/standins.sh --env    only print the variables (the images must exist)
#
# Stand-ins trust this machine's CA bundle (the registries are reached through a TLS proxy), so
# they and the images built on them stay on this machine: never push them to a registry.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DATA=${FIUFIT_DATA:-$ROOT/.local}
STANDINS="$ROOT/overlays/standins"
MIRROR=${FIUFIT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
HOST_CA=${FIUFIT_STANDIN_CA:-/etc/ssl/certs/ca-certificates.crt}
BASE=fiufit-standin/debian:bookworm
ENV_FILE="$DATA/standins.env"

# variable → stand-in image (folder under overlays/standins, tag)
declare -A IMAGES=(
  [FIUFIT_PYTHON_IMAGE]=python:3.11
  [FIUFIT_NODE_IMAGE]=node:22
  [FIUFIT_POSTGRES_IMAGE]=postgres:15
  [FIUFIT_REDIS_IMAGE]=redis:7.0
  [FIUFIT_MONGO_IMAGE]=mongo:secantusdb-0.7
  [FIUFIT_NGINX_IMAGE]=nginx:1.22
  [FIUFIT_GCS_IMAGE]=fake-gcs:0.1.1
  [FIUFIT_CURL_IMAGE]=curl:7.88
)
# The Python stand-in first: the MongoDB and fake-gcs stand-ins are built on it.
ORDER=(FIUFIT_PYTHON_IMAGE FIUFIT_NODE_IMAGE FIUFIT_POSTGRES_IMAGE FIUFIT_REDIS_IMAGE
  FIUFIT_MONGO_IMAGE FIUFIT_NGINX_IMAGE FIUFIT_GCS_IMAGE FIUFIT_CURL_IMAGE)

log() { printf '[standins] %s\n' "$*" >&2; }

write_env() {
  local var
  {
    echo "# Written by overlays/standins.sh: the stand-in images for overlays/docker-compose.yml."
    for var in "${ORDER[@]}"; do echo "$var=fiufit-standin/${IMAGES[$var]}"; done
  } >"$ENV_FILE"
}

base_image() {
  # The label holds a hash of this recipe and of the CA bundle: a change to either makes a new base.
  local ca_sum rootfs
  ca_sum=$( (declare -f base_image; cat "$HOST_CA") | sha256sum | cut -c1-16)
  if [ "$(docker image inspect -f '{{index .Config.Labels "fiufit.ca"}}' "$BASE" 2>/dev/null)" = "$ca_sum" ]; then
    return
  fi
  rootfs="$DATA/standins/rootfs"
  log "Debian bookworm root filesystem (debootstrap, about 35 s)"
  rm -rf "$rootfs" && mkdir -p "$rootfs"
  debootstrap --variant=minbase bookworm "$rootfs" "$MIRROR" >"$DATA/standins/debootstrap.log" 2>&1 || {
    tail -n 20 "$DATA/standins/debootstrap.log" >&2
    exit 1
  }
  # As slim as the official images: no package cache, lists, documentation or locales.
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/*
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/slim" <<'CFG'
path-exclude /usr/share/doc/*
path-exclude /usr/share/man/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/info/*
CFG
  echo 'APT::Install-Recommends "false";' >"$rootfs/etc/apt/apt.conf.d/90no-recommends"
  # As in Debian's official images: apt keeps no package caches in the layers.
  printf '%s\n' 'Dir::Cache::pkgcache "";' 'Dir::Cache::srcpkgcache "";' \
    >"$rootfs/etc/apt/apt.conf.d/docker-clean"
  rm -f "$rootfs"/var/cache/apt/*.bin
  install -D -m 0644 "$HOST_CA" "$rootfs/etc/ssl/fiufit-standin-ca.crt"
  local ca=/etc/ssl/fiufit-standin-ca.crt
  tar -C "$rootfs" -c . | docker import \
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change "ENV SSL_CERT_FILE=$ca PIP_CERT=$ca REQUESTS_CA_BUNDLE=$ca NODE_EXTRA_CA_CERTS=$ca UV_NATIVE_TLS=1" \
    --change "ENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8" \
    --change "LABEL fiufit.ca=$ca_sum" \
    --change 'CMD ["bash"]' - "$BASE" >/dev/null
  rm -rf "$rootfs"
  log "$BASE imported"
}

build_standins() {
  local var image folder
  for var in "${ORDER[@]}"; do
    image="fiufit-standin/${IMAGES[$var]}"
    folder="$STANDINS/${IMAGES[$var]%%:*}"
    log "$image"
    # The classic builder: there is no buildx here, and its layer cache makes a rebuild cheap.
    local build_log="$DATA/standins/${IMAGES[$var]%%:*}.log"
    DOCKER_BUILDKIT=0 docker build -t "$image" --build-arg "PYTHON_IMAGE=fiufit-standin/${IMAGES[FIUFIT_PYTHON_IMAGE]}" \
      "$folder" >"$build_log" 2>&1 || { log "building $image failed; $build_log ends:"; tail -n 30 "$build_log" >&2; exit 1; }
  done
}

main() {
  mkdir -p "$DATA/standins"
  if [ "${1:-}" = --env ]; then write_env; cat "$ENV_FILE"; return; fi
  docker info >/dev/null 2>&1 || { log "no Docker engine answers (overlays/docker.sh start)"; exit 1; }
  base_image
  build_standins
  write_env
  log "variables for compose: $ENV_FILE"
}

main "$@"
