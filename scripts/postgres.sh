#!/usr/bin/env bash
# Start a throw-away PostgreSQL for the tests and print how to reach it:
#
#     eval "$(scripts/postgres.sh)"    # sets NATOBOT_TEST_PG_URL
#
# Idempotent: installs the Debian packages if no server binaries are found, creates
# a cluster in $NATOBOT_PGDATA (default /tmp/natobot-pg-$PGPORT) on first use, starts
# it if it is not running, and creates the database natobot_test. The server listens
# on 127.0.0.1 only, port $PGPORT (default 54329), with a random password kept in the
# cluster directory. Run as root (CI) the server runs as the postgres user, since
# PostgreSQL refuses to run as root; run as anyone else it runs as that user.
# The cluster lives under /tmp rather than the checkout because the postgres user
# must be able to reach it, and CI checkouts often sit under /root.
# Only the export line goes to stdout; progress and errors go to stderr.
set -euo pipefail

PGPORT="${PGPORT:-54329}"
BASE="$(realpath -m "${NATOBOT_PGDATA:-/tmp/natobot-pg-$PGPORT}")"
DATA="$BASE/data"
SOCKETS="$BASE/run"
DB=natobot_test

say() { echo "postgres.sh: $*" >&2; }
die() { say "$*"; exit 1; }

find_bindir() {
    # The newest installed major version's server binaries, if any.
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [[ -n "$dir" && -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
        echo "$dir"
    fi
}

BINDIR="$(find_bindir)"
if [[ -z "$BINDIR" ]]; then
    say "installing PostgreSQL from the Debian packages"
    SUDO=()
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null || die "PostgreSQL is not installed and this is not root: apt-get install postgresql"
        SUDO=(sudo)
    fi
    ${SUDO[@]+"${SUDO[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    ${SUDO[@]+"${SUDO[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >&2
    BINDIR="$(find_bindir)"
    [[ -n "$BINDIR" ]] || die "apt-get installed postgresql but no /usr/lib/postgresql/*/bin/initdb was found"
fi

# The server user may not be allowed into the caller's directory (a checkout under /root).
cd /

# Who runs the server, and how to run a command as them.
IS_ROOT=false
[[ $(id -u) -eq 0 ]] && IS_ROOT=true
if $IS_ROOT; then
    RUN_USER=postgres
    getent passwd postgres >/dev/null || die "no postgres user (the Debian package creates it)"
    if command -v runuser >/dev/null; then
        as_owner() { runuser -u postgres -- "$@"; }
    else
        as_owner() { su -s /bin/sh postgres -c "$(printf '%q ' "$@")"; }
    fi
else
    RUN_USER="$(id -un)"
    as_owner() { "$@"; }
fi

mkdir -p "$BASE"
chmod 700 "$BASE"
if $IS_ROOT; then chown "$RUN_USER" "$BASE"; fi

# A cluster left by another major version cannot be started by these binaries; it is throw-away.
VERSION="$("$BINDIR/postgres" --version | sed -E 's/.* ([0-9]+)(\.[0-9]+)*.*/\1/')"
# So can one whose password file went missing.
if [[ -f "$DATA/PG_VERSION" && ( "$(cat "$DATA/PG_VERSION")" != "$VERSION" || ! -s "$BASE/password" ) ]]; then
    say "replacing the cluster in $DATA (PostgreSQL $(cat "$DATA/PG_VERSION"), or its password is gone)"
    as_owner "$BINDIR/pg_ctl" -D "$DATA" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$DATA"
fi

if [[ ! -f "$DATA/PG_VERSION" ]]; then
    say "creating a PostgreSQL $VERSION cluster in $DATA"
    rm -rf "$DATA"
    # Letters and digits only, so the password needs no escaping in a URL.
    # (cut reads all its input, so no stage dies of SIGPIPE under pipefail.)
    PASSWORD="$(head -c 512 /dev/urandom | tr -dc 'A-Za-z0-9' | cut -c 1-24)"
    PWFILE="$BASE/password"
    (umask 077; printf '%s\n' "$PASSWORD" >"$PWFILE")
    if $IS_ROOT; then chown "$RUN_USER" "$PWFILE"; fi
    # TCP needs the password; the Unix socket (in the 0700 cluster directory) is trusted.
    as_owner "$BINDIR/initdb" -D "$DATA" -U postgres --pwfile="$PWFILE" -E UTF8 --no-locale \
        --auth-local=trust --auth-host=scram-sha-256 >"$BASE/initdb.log" 2>&1 \
        || { cat "$BASE/initdb.log" >&2; die "initdb failed"; }
fi
PASSWORD="$(head -n 1 "$BASE/password")"

mkdir -p "$SOCKETS"
if $IS_ROOT; then chown "$RUN_USER" "$SOCKETS"; fi

if as_owner "$BINDIR/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    say "already running on 127.0.0.1:$PGPORT"
else
    # A pid file left by a killed server whose pid now belongs to something else would block the start.
    rm -f "$DATA/postmaster.pid"
    say "starting on 127.0.0.1:$PGPORT"
    # Durability is pointless for a test database: fsync off makes the tests fast.
    if ! as_owner "$BINDIR/pg_ctl" -D "$DATA" -l "$BASE/server.log" -w -t 60 start >&2 -o \
        "-c listen_addresses=127.0.0.1 -c port=$PGPORT -c unix_socket_directories=$SOCKETS \
         -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"; then
        tail -n 30 "$BASE/server.log" >&2 || true
        die "the server did not start (is port $PGPORT taken? set PGPORT)"
    fi
fi

psql_owner() { as_owner "$BINDIR/psql" -X -q -h "$SOCKETS" -p "$PGPORT" -U postgres -d postgres -v ON_ERROR_STOP=1 "$@"; }
if [[ "$(psql_owner -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != 1 ]]; then
    say "creating database $DB"
    psql_owner -c "CREATE DATABASE $DB" >&2
fi

URL="postgresql://postgres:$PASSWORD@127.0.0.1:$PGPORT/$DB"
# Prove the URL works the way the tests will use it: over TCP with the password.
PGPASSWORD="$PASSWORD" "$BINDIR/psql" -X -q -h 127.0.0.1 -p "$PGPORT" -U postgres -d "$DB" -tAc "SELECT 1" >/dev/null \
    || die "the server is up but $URL does not accept connections"
echo "export NATOBOT_TEST_PG_URL=$URL"
