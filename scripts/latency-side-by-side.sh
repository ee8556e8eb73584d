#!/usr/bin/env bash
# Latency of `mqtt-playground serve` and Mosquitto (or a second build) measured at the same moment.
#
# On a shared virtual machine the hypervisor takes the CPU away now and then (steal), and a p99 moves
# 2-5x with it: two brokers measured one after the other get different weather, and medians of a few
# alternated runs still swing by more than the difference being looked for. Here both brokers run side
# by side, each with its own `bench latency` load started at the same moment, so both see the same
# steal. Each round starts both fresh. The brokers share the machine with each other and with both
# loads (so figures are a little higher than a run alone): that sharing is the same for both.
#
# Usage: scripts/latency-side-by-side.sh [--bin PATH] [--against mosquitto|PATH] [--rounds N]
#          [--seconds S] [--publishers P] [--rate R] [--out DIR]
#   --bin PATH         the build measured (its `serve`) and the load tool [target/release/mqtt-playground]
#   --against X        `mosquitto` (default; installed with apt-get if missing) or another build's binary,
#                      whose `serve` runs beside (to compare two builds of the app)
#   --rounds N         rounds, each with both brokers started fresh [10]
#   --seconds S        how long each load runs [10]
#   --publishers P     publishers, each at --rate messages a second, to one subscriber [1000]
#   --rate R           [1]
#   --out DIR          where results go [bench-results/side-by-side-YYYYMMDD-HHMMSS]
# Prints a line per round and the medians; writes DIR/rounds.jsonl (one line per round, both summaries)
# and DIR/summary.md. Needs jq and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/brokers.sh
source scripts/lib/brokers.sh

bin=target/release/mqtt-playground against=mosquitto rounds=10 secs=10 publishers=1000 rate=1 out=""
while (($#)); do
  case $1 in
    --bin) bin=$2; shift ;;
    --against) against=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --seconds) secs=$2; shift ;;
    --publishers) publishers=$2; shift ;;
    --rate) rate=$2; shift ;;
    --out) out=$2; shift ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ -x $bin ]] || { echo "no binary at $bin: run \`cargo build --release\` first (or pass --bin)" >&2; exit 2; }
for tool in jq python3; do
  command -v "$tool" >/dev/null || { echo "$tool is needed (apt-get install $tool)" >&2; exit 2; }
done
if [[ $against == mosquitto ]]; then
  ensure_mosquitto
  other_name=Mosquitto
else
  [[ -x $against ]] || { echo "--against takes mosquitto or a binary; $against is neither" >&2; exit 2; }
  other_name=$against
fi
raise_open_files
out=${out:-bench-results/side-by-side-$(date -u +%Y%m%d-%H%M%S)}
mkdir -p "$out"

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

steal_ticks() { awk '/^cpu / {print $9}' /proc/stat; }

# Starts broker $1 (ours|other) on port $2 under $work/$1 and adds its pid to pids (no subshell: the
# script waits for its own children).
start() {
  local who=$1 port=$2 program=$bin
  mkdir -p "$work/$who"
  if [[ $who == other && $against == mosquitto ]]; then
    write_mosquitto_conf "$port" "$work/$who/mosquitto.conf"
    "$mosquitto_bin" -c "$work/$who/mosquitto.conf" >"$work/$who/log" 2>&1 &
  else
    [[ $who == other ]] && program=$against
    XDG_DATA_HOME="$work/$who/xdg" "$program" serve --port "$port" --no-websocket >"$work/$who/log" 2>&1 &
  fi
  pids+=($!)
}

load="latency --publishers $publishers --subscribers 1 --rate $rate --seconds $secs"
echo "results in $out; $rounds rounds of ${secs} s, bench $load; ours: $bin; beside: $other_name"
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$out/rounds.jsonl"
for round in $(seq "$rounds"); do
  ours_port=$(free_port) other_port=$(free_port)
  # Who starts first alternates, though both loads start together.
  pids=()
  if ((round % 2)); then
    start ours "$ours_port"; start other "$other_port"
    ours_pid=${pids[0]} other_pid=${pids[1]}
  else
    start other "$other_port"; start ours "$ours_port"
    other_pid=${pids[0]} ours_pid=${pids[1]}
  fi
  for port in "$ours_port" "$other_port"; do
    for _ in $(seq 3000); do port_open "$port" && break; sleep 0.01; done
    port_open "$port" || { echo "a broker did not open port $port (see $work/*/log)" >&2; exit 1; }
  done
  sleep 1
  steal_before=$(steal_ticks)
  # shellcheck disable=SC2086
  "$bin" bench $load --port "$ours_port" --pid "$ours_pid" --json >"$work/ours.json" 2>"$work/ours.live" &
  ours_bench=$!
  # shellcheck disable=SC2086
  "$bin" bench $load --port "$other_port" --pid "$other_pid" --json >"$work/other.json" 2>"$work/other.live" &
  other_bench=$!
  for load_pid in "$ours_bench" "$other_bench"; do
    wait "$load_pid" || { echo "a load failed: $(tail -n 3 "$work"/*.live)" >&2; exit 1; }
  done
  steal=$(($(steal_ticks) - steal_before))
  kill "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  pids=()
  jq -c -n --argjson round "$round" --argjson steal "$steal" --slurpfile ours "$work/ours.json" \
    --slurpfile other "$work/other.json" '{round: $round, steal_ticks: $steal, ours: $ours[0], other: $other[0]}' \
    >>"$out/rounds.jsonl"
  tail -n 1 "$out/rounds.jsonl" | jq -r '
    def l: .receive.latency | "p50 \(.p50_ms) p90 \(.p90_ms) p99 \(.p99_ms) ms";
    def c: "cpu \(.broker_process.cpu_percent * 10 | round / 10)%, lost \(.receive.lost_percent)%";
    "round \(.round): steal \(.steal_ticks) ticks | ours \(.ours | l), \(.ours | c) | beside \(.other | l), \(.other | c)"'
  sleep 2
done

jq -s -r --arg other "$other_name" --arg load "$load" --arg bin "$bin" '
  def median: sort | if length == 0 then null elif length % 2 == 1 then .[length / 2 | floor]
    else (.[length / 2 - 1] + .[length / 2]) / 2 end;
  def med(f): map(f) | median;
  def r3: . * 1000 | round / 1000;
  . as $rounds |
  ["p50_ms", "p90_ms", "p99_ms"] as $ks |
  "## Side by side: `\($load)`, \($rounds | length) rounds\n",
  "Ours: `\($bin) serve`; beside it: \($other). Medians over the rounds; ratio = ours / beside.\n",
  "| | ours | beside | ratio |", "|---|---|---|---|",
  ($ks[] as $k | ($rounds | med(.ours.receive.latency[$k])) as $a | ($rounds | med(.other.receive.latency[$k])) as $b |
    "| \($k) | \($a | r3) | \($b | r3) | \(($a / $b) | . * 100 | round / 100) |"),
  (($rounds | med(.ours.broker_process.cpu_percent)) as $a | ($rounds | med(.other.broker_process.cpu_percent)) as $b |
    "| broker CPU % | \($a * 10 | round / 10) | \($b * 10 | round / 10) | \(($a / $b) | . * 100 | round / 100) |"),
  "",
  "Rounds where ours had the lower or equal p99: \($rounds | map(select(.ours.receive.latency.p99_ms <= .other.receive.latency.p99_ms)) | length) of \($rounds | length); steal per round (ticks, both cores): \($rounds | map(.steal_ticks) | map(tostring) | join(", ")).",
  "Lost: ours \($rounds | map(.ours.receive.lost_percent) | max)% at most, beside \($rounds | map(.other.receive.lost_percent) | max)% at most."
' "$out/rounds.jsonl" | tee "$out/summary.md"
