#!/usr/bin/env bash
# CPU time an app spends in its first seconds, by thread name and by child process (ms), read from
# /proc: where a start-up's work goes (e.g. the kiosk's async runtime against WebKit's processes).
# Needs a display (DISPLAY=...), as the app opens its window.
#
# Usage: bench/thread_cpu.sh [--after SECONDS] COMMAND [ARGS...]
#   bench/thread_cpu.sh target/release/reclaim-kiosk --no-phone-window
#   bench/thread_cpu.sh target/release/bare-window
set -uo pipefail
AFTER=3
if [ "${1:-}" = --after ]; then AFTER=$2; shift 2; fi
[ $# -gt 0 ] || { echo "usage: $0 [--after SECONDS] COMMAND [ARGS...]" >&2; exit 2; }

"$@" >/dev/null 2>&1 &
PID=$!
sleep "$AFTER"
TCK=$(getconf CLK_TCK)
# utime + stime are fields 14 and 15 of /proc/.../stat; the name is field 2, in parentheses.
cpu_ms() { local rest; rest=$(sed 's/^.*) //' "$1") || return; set -- $rest; echo $(( (${12} + ${13}) * 1000 / TCK )); }
echo "after ${AFTER}s, CPU ms by thread of $(basename "$1") (PID $PID):"
for task in /proc/$PID/task/*; do
  echo "$(cpu_ms "$task/stat") $(cat "$task/comm")"
done | awk '{ n = $1; $1 = ""; ms[substr($0, 2)] += n } END { for (n in ms) if (ms[n] > 0) printf "  %6d  %s\n", ms[n], n }' | sort -rn
echo "child processes:"
for child in $(pgrep -P "$PID"); do
  printf "  %6d  %s\n" "$(cpu_ms "/proc/$child/stat")" "$(cat "/proc/$child/comm")"
done
kill "$PID" 2>/dev/null
wait "$PID" 2>/dev/null
exit 0
