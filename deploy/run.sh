#!/bin/sh
# run: `make run` entry point; runs the suite from BUILD (default build/release)
# in the foreground under supervisord until Ctrl-C.
set -eu
BUILD=${1:-build/release}
PMM_BIN_DIR=$BUILD/bin
export PMM_BIN_DIR
exec sh "$(dirname "$0")/suite.sh" foreground
