#!/usr/bin/env bash
# The nightly backoffice run, for cron, a systemd timer or a CI scheduler.
#
#   scripts/nightly.sh REGISTER [extra chas-sheets nightly options]
#
# - runs `chas-sheets nightly REGISTER --apply` from the project's virtual environment
#   (CHAS_VENV, default: .venv next to this folder);
# - writes a dated log: $CHAS_LOG_DIR/nightly-YYYY-MM-DD.log (default: logs/ next to this
#   folder), appended to when run twice a day; the JSON figures go to nightly-YYYY-MM-DD.json;
# - holds a lock (flock on $CHAS_LOG_DIR/nightly.lock) so two runs never overlap: a second
#   run exits at once with status 75 (EX_TEMPFAIL) and says so in the log;
# - exits non-zero on failure: 1 when a CRM could not be read or written (error rows in
#   Dashboard) or the run itself failed, 75 when another run holds the lock.
# Google credentials: GOOGLE_APPLICATION_CREDENTIALS (a service-account key file).
set -euo pipefail

if [[ $# -lt 1 ]]; then
    echo "usage: $0 REGISTER [chas-sheets nightly options]" >&2
    exit 2
fi
register=$1
shift

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${CHAS_VENV:-$here/.venv}
log_dir=${CHAS_LOG_DIR:-$here/logs}
today=$(date +%F)
mkdir -p "$log_dir"
log="$log_dir/nightly-$today.log"
figures="$log_dir/nightly-$today.json"

exec 9>"$log_dir/nightly.lock"
if ! flock -n 9; then
    echo "$(date '+%F %T') another nightly run holds $log_dir/nightly.lock; not started" | tee -a "$log" >&2
    exit 75
fi

if [[ ! -x "$venv/bin/chas-sheets" ]]; then
    echo "$(date '+%F %T') no chas-sheets in $venv (set CHAS_VENV)" | tee -a "$log" >&2
    exit 1
fi

{
    echo "$(date '+%F %T') nightly $register start"
    status=0
    "$venv/bin/chas-sheets" nightly "$register" --apply --json "$@" >"$figures" || status=$?
    echo "$(date '+%F %T') nightly $register end, exit status $status"
} 2>>"$log" >>"$log"
# The summary line is the last chas-sheets line before the end stamp: show it to cron's mail.
tail -n 2 "$log" | head -n 1
exit "$status"
