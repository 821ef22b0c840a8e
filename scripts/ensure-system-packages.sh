#!/bin/sh
# Installs the system libraries the station needs (libzbar0 for pyzbar) when they are
# missing and this user may install packages; otherwise says what to install.
set -u
if ldconfig -p 2>/dev/null | grep -q 'libzbar\.so\.0'; then
    exit 0
fi
if [ "$(id -u)" = 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
else
    echo "note: libzbar0 is missing; install it with: sudo apt-get install libzbar0" >&2
    exit 0
fi
if command -v apt-get >/dev/null 2>&1; then
    echo "installing libzbar0 (pyzbar's native library)..." >&2
    $SUDO apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libzbar0 >/dev/null \
        || echo "note: could not install libzbar0; camera decoding with pyzbar will be unavailable" >&2
else
    echo "note: libzbar0 is missing and apt-get is not available; install zbar by hand" >&2
fi
exit 0
