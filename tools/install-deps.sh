#!/usr/bin/env bash
# install-deps.sh [build|test|shots] - install the Debian packages glance-emc needs, if missing.
#   build: compiler, CMake and the libraries (ncurses, libpq, MariaDB Connector/C, SQLite,
#          inih, json-c, cmocka)
#   test:  build + PostgreSQL and MariaDB servers, the reference python3-glance with its
#          drivers, tmux, valgrind, strace
#   shots: test + xterm, Xvfb and ImageMagick for screenshots/
set -euo pipefail
what=${1:-build}
pkgs=(build-essential cmake pkg-config libncurses-dev libpq-dev default-libmysqlclient-dev
      libsqlite3-dev sqlite3 libinih-dev libjson-c-dev libcmocka-dev)
if [ "$what" = test ] || [ "$what" = shots ]; then
    pkgs+=(postgresql postgresql-client mariadb-server mariadb-client python3-glance
           python3-psycopg2 python3-pymysql tmux valgrind procps strace)
fi
if [ "$what" = shots ]; then
    pkgs+=(xvfb xterm imagemagick x11-apps fonts-dejavu-core)
fi
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "installing: ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
