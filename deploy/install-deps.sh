#!/bin/sh
# install-deps: make sure the Debian packages the suite builds and runs with are present.
# Idempotent and quick when everything is installed (one dpkg-query call);
# installs only what is missing, and only as root.
set -eu

# clang and libclang-rt-14-dev (libFuzzer's runtime) build the fuzz targets.
PACKAGES="build-essential pkg-config protobuf-c-compiler libprotobuf-c-dev
protobuf-compiler libprotobuf-dev libgrpc-dev libpq-dev libzmq3-dev libmsgpack-dev
libcurl4-openssl-dev libjansson-dev check libsubunit-dev libmicrohttpd-dev
libsodium-dev libcrypt-dev libzip-dev postgresql-15 postgresql-contrib supervisor python3-grpcio
python3-protobuf python3-zmq curl wrk victoria-metrics nginx openssl prometheus-node-exporter prometheus-alertmanager libyaml-dev
libexpat1-dev clang libclang-rt-14-dev python3-boto3 nodejs libarchive-dev openssh-server
libraft-dev libuv1-dev"

# The e2e tests' S3 server (s3rver, from npm with Debian's nodejs), kept
# outside the work tree; tests/e2e/run.sh finds it there.
S3RVER_PREFIX=${PMM_S3RVER_PREFIX:-/usr/local/lib/pmm-core-s3rver}
S3RVER_VERSION=3.7.1

install_s3rver() {
    [ -x "$S3RVER_PREFIX/node_modules/.bin/s3rver" ] && return 0
    if [ "$(id -u)" -ne 0 ] && [ ! -w "$(dirname "$S3RVER_PREFIX")" ]; then
        echo "install-deps: s3rver missing in $S3RVER_PREFIX; run as root" >&2
        return 1
    fi
    if ! command -v npm >/dev/null 2>&1; then
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends npm
    fi
    echo "install-deps: installing s3rver $S3RVER_VERSION into $S3RVER_PREFIX"
    mkdir -p "$S3RVER_PREFIX"
    npm install --prefix "$S3RVER_PREFIX" --no-audit --no-fund --loglevel=error "s3rver@$S3RVER_VERSION"
}

# Lists the packages dpkg does not report as fully installed.
missing_packages() {
    installed=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' $PACKAGES 2>/dev/null |
                awk '$2 == "ii" { print $1 }') || true
    installed=$(echo $installed) # one line, single spaces
    for p in $PACKAGES; do
        case " $installed " in
            *" $p "*) ;;
            *) printf '%s ' "$p" ;;
        esac
    done
}

# Waits for another apt run's lock instead of failing at once.
apt_install() {
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "$@"
}

missing=$(missing_packages)
if [ -z "$missing" ]; then
    install_s3rver
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing Debian packages: $missing" >&2
    echo "install-deps: run as root, or: sudo apt-get install -y $missing" >&2
    exit 1
fi

echo "install-deps: installing $missing"
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086 # word splitting of the package list is intended
if ! { apt-get update && apt_install $missing; }; then
    echo "install-deps: apt failed, retrying once" >&2
    sleep 5
    apt-get update
    apt_install $missing
fi

still=$(missing_packages)
if [ -n "$still" ]; then
    echo "install-deps: still missing after apt-get: $still" >&2
    exit 1
fi
install_s3rver
