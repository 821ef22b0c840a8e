#!/bin/sh
# Installs the system packages the project needs when they are missing and this user may
# install packages; otherwise says what to install:
#   libzbar0  pyzbar's native library (camera decoding);
#   chromium  Debian's browser, driven by Playwright in the web page tests (Playwright never
#             downloads a browser of its own here).
#   fonts-dejavu-core  DejaVu Sans, embedded in the portal's PDF statements (it draws the
#             minus sign and the narrow no-break space of French amounts).
set -u
missing=""
ldconfig -p 2>/dev/null | grep -q 'libzbar\.so\.0' || missing="$missing libzbar0"
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing="$missing fonts-dejavu-core"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
else
    echo "note: missing system packages; install them with: sudo apt-get install$missing" >&2
    exit 0
fi
if command -v apt-get >/dev/null 2>&1; then
    echo "installing$missing..." >&2
    $SUDO apt-get update -qq >/dev/null 2>&1 || true
    # shellcheck disable=SC2086 # one word per package
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null \
        || echo "note: could not install$missing (camera decoding or browser tests will fail)" >&2
else
    echo "note: apt-get is not available; install by hand:$missing" >&2
fi
exit 0
