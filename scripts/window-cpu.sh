#!/usr/bin/env bash
# The window's CPU cost on one tab: opens it under a private Xvfb (software rendering, as llvmpipe),
# waits WARMUP seconds, then reads utime+stime from /proc over SPAN seconds. Prints one line:
#   <tab> <cpu % of one core> <frames/s from the window's own log over the span>
# Usage: scripts/window-cpu.sh BINARY TAB SCENARIO [WARMUP=60] [SPAN=30]
set -euo pipefail
bin=$1 tab=$2 scenario=$3 warmup=${4:-60} span=${5:-30}
command -v Xvfb >/dev/null || { echo "Xvfb is needed (apt-get install xvfb)" >&2; exit 2; }
work=$(mktemp -d)
exec 3>"$work/display"
Xvfb -displayfd 3 -screen 0 1400x900x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
app=""
# Both processes end with the script, whatever happens (a window that failed to open included).
trap 'kill $app 2>/dev/null || true; kill $xvfb 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do [ -s "$work/display" ] && break; sleep 0.1; done
display=:$(head -n1 "$work/display")
# The CLI takes no port 0: borrow one the OS picks.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
DISPLAY=$display RUST_LOG=mqtt_playground=info XDG_DATA_HOME="$work" "$bin" --scenario "$scenario" \
  --tab "$tab" --port "$port" --no-websocket >"$work/out" 2>"$work/log" &
app=$!
sleep "$warmup"
if ! kill -0 "$app" 2>/dev/null; then
  echo "the window exited before it could be measured:" >&2; cat "$work/log" >&2; exit 1
fi
ticks() { awk '{print $14 + $15}' "/proc/$app/stat"; }
hz=$(getconf CLK_TCK)
before=$(ticks); lines_before=$(wc -l <"$work/log")
sleep "$span"
after=$(ticks)
# The window logs "frames/s: F" every 10 s (older builds: "frames in the last 10 s: N").
frames=$(tail -n +"$((lines_before + 1))" "$work/log" \
  | { grep -oE 'frames/s: [0-9.]+|frames in the last 10 s: [0-9]+' || true; } \
  | awk '/frames\/s/ {s+=$NF} /last 10 s/ {s+=$NF/10} {n++} END {if (n) printf "%.1f", s/n; else print "?"}')
cpu=$(awk -v d=$((after - before)) -v s="$span" -v hz="$hz" 'BEGIN {printf "%.1f", 100 * d / (s * hz)}')
echo "$tab $cpu% frames/s=$frames load=$(cut -d' ' -f1 /proc/loadavg)"
