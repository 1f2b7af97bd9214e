#!/bin/sh
# install-deps: make sure the Debian packages the suite builds and runs with are present.
# Idempotent and quick when everything is installed (one dpkg-query call);
# installs only what is missing, and only as root.
set -eu

PACKAGES="build-essential pkg-config protobuf-c-compiler libprotobuf-c-dev
protobuf-compiler libprotobuf-dev libgrpc-dev libpq-dev libzmq3-dev libmsgpack-dev
libcurl4-openssl-dev libjansson-dev check libsubunit-dev libmicrohttpd-dev
libsodium-dev libcrypt-dev libzip-dev postgresql-15 postgresql-contrib supervisor python3-grpcio
python3-protobuf python3-zmq curl wrk victoria-metrics nginx openssl prometheus-node-exporter prometheus-alertmanager libyaml-dev
libexpat1-dev clang libclang-rt-14-dev"

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
