#!/usr/bin/env bash
# MQTT Playground against Mosquitto on this computer: every row of BENCHMARKS.md's comparison table.
#
# Three brokers, each started fresh for every repetition, in an order that rotates so none always runs
# first: Mosquitto (a minimal config: anonymous, max_connections -1, open-files limit raised),
# `mqtt-playground serve` (headless) and the window (a private Xvfb, Messages tab, so its own
# subscriber on `#` receives everything). The load is `mqtt-playground bench` (rumqttc clients in a
# separate process, loopback, 64 B payloads) with --pid, so the broker process's CPU and memory are read
# from /proc. Each figure is the median over the repetitions.
#
# Usage: scripts/bench-vs-mosquitto.sh [--quick] [--bin PATH] [--out DIR] [--brokers LIST] [--no-tabs]
#   --quick          1 repetition, 5 s runs, the tutorial's CPU on 2 tabs only (about 6 minutes)
#                    (default: 3 repetitions, 10 s runs, every tab: about 20 minutes)
#   --bin PATH       the binary to measure and to load with [target/release/mqtt-playground]
#   --out DIR        where results go [bench-results/YYYYMMDD-HHMMSS]
#   --brokers LIST   a comma-separated subset of mosquitto,serve,window
#   --no-tabs        skip the tutorial-scenario CPU per tab (scripts/window-cpu.sh)
# Writes DIR/table.md (the tables, with the load average of the machine during the runs) and DIR/raw/
# (every bench --json summary, one file per run, and the window's logs). Needs jq, python3, Xvfb for the
# window; installs Mosquitto with apt-get if it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/brokers.sh
source scripts/lib/brokers.sh

quick=0 bin=target/release/mqtt-playground out="" brokers="mosquitto,serve,window" tabs_wanted=1
while (($#)); do
  case $1 in
    --quick) quick=1 ;;
    --bin) bin=$2; shift ;;
    --out) out=$2; shift ;;
    --brokers) brokers=$2; shift ;;
    --no-tabs) tabs_wanted=0 ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if ((quick)); then
  reps=1 secs=5 idle_secs=5 tabs=(clients messages) tab_warmup=60 tab_span=10
else
  reps=3 secs=10 idle_secs=10 tabs=(clients devices messages topics plots publish trace map) tab_warmup=60 tab_span=15
fi
out=${out:-bench-results/$(date -u +%Y%m%d-%H%M%S)}
raw=$out/raw
mkdir -p "$raw"

# --- what the script needs
[[ -x $bin ]] || { echo "no binary at $bin: run \`cargo build --release\` first (or pass --bin)" >&2; exit 2; }
for tool in jq python3; do
  command -v "$tool" >/dev/null || { echo "$tool is needed (apt-get install $tool)" >&2; exit 2; }
done
[[ $brokers == *mosquitto* ]] && ensure_mosquitto
if [[ $brokers == *window* ]] && ! command -v Xvfb >/dev/null; then
  echo "Xvfb is needed for the window (apt-get install xvfb), or pass --brokers mosquitto,serve" >&2; exit 2
fi
raise_open_files

work=$(mktemp -d)
pid="" xvfb="" port=""
cleanup() {
  [[ -n $pid ]] && kill "$pid" 2>/dev/null || true
  [[ -n $xvfb ]] && kill "$xvfb" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

now_ms() { date +%s%3N; }
load1() { cut -d' ' -f1 /proc/loadavg; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo null; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

# Starts broker $1 on a free port; sets pid, port, launch_ms (launch until the port accepts) and, for the
# window, first_frame_ms (from its own log).
start_broker() {
  local kind=$1 started
  port=$(free_port) first_frame_ms=null
  started=$(now_ms)
  case $kind in
    mosquitto)
      write_mosquitto_conf "$port" "$work/mosquitto.conf"
      "$mosquitto_bin" -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 &
      pid=$! ;;
    serve)
      XDG_DATA_HOME="$work/xdg" "$bin" serve --port "$port" --no-websocket >"$work/serve.log" 2>&1 &
      pid=$! ;;
    window)
      exec 4>"$work/display"
      Xvfb -displayfd 4 -screen 0 1400x900x24 -nolisten tcp >/dev/null 2>&1 &
      xvfb=$!
      for _ in $(seq 100); do [[ -s $work/display ]] && break; sleep 0.1; done
      started=$(now_ms)
      DISPLAY=:$(head -n1 "$work/display") RUST_LOG=mqtt_playground=info XDG_DATA_HOME="$work/xdg" \
        "$bin" --tab messages --port "$port" --no-websocket >"$work/window.out" 2>"$work/window.log" &
      pid=$! ;;
  esac
  for _ in $(seq 3000); do port_open "$port" && break; sleep 0.01; done
  port_open "$port" || { echo "$kind did not open port $port" >&2; return 1; }
  launch_ms=$(($(now_ms) - started))
  if [[ $kind == window ]]; then
    for _ in $(seq 300); do grep -q 'first frame' "$work/window.log" && break; sleep 0.1; done
    first_frame_ms=$(grep -oE 'first frame [0-9]+ ms' "$work/window.log" | head -n1 | grep -oE '[0-9]+' || echo null)
  fi
}

stop_broker() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=""
  if [[ -n $xvfb ]]; then kill "$xvfb" 2>/dev/null || true; wait "$xvfb" 2>/dev/null || true; xvfb=""; fi
  exec 4>&- 2>/dev/null || true
  rm -f "$work/display"
  sleep 1
}

# The rows of the table: name and `bench` arguments (all loopback, 64 B payloads).
rows=(flat1 flat10 qos1x100 x1000 conn2000)
row_args() {
  case $1 in
    flat1) echo "latency --publishers 1 --subscribers 1 --rate 0 --seconds $secs --drain 30" ;;
    flat10) echo "latency --publishers 10 --subscribers 1 --rate 0 --seconds $secs --drain 30" ;;
    qos1x100) echo "latency --publishers 100 --subscribers 1 --rate 10 --qos 1 --seconds $secs" ;;
    x1000) echo "latency --publishers 1000 --subscribers 1 --rate 1 --seconds $secs" ;;
    conn2000) echo "conn -c 2000 --hold 3" ;;
  esac
}

run_row() {
  local kind=$1 row=$2 rep=$3 file lines_before
  file=$raw/$kind-$row-$rep.json
  lines_before=$({ wc -l <"$work/window.log"; } 2>/dev/null || echo 0)
  echo "   $row: bench $(row_args "$row")"
  # shellcheck disable=SC2046
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "   ($kind is no longer running: $row skipped)" >&2
  elif "$bin" bench $(row_args "$row") --port "$port" --pid "$pid" --client-prefix "b$rep-$row" --json \
      >"$work/summary.json" 2>"$raw/$kind-$row-$rep.live.txt" && jq -e . "$work/summary.json" >/dev/null; then
    jq --arg b "$kind" --arg r "$row" --argjson n "$rep" '{broker: $b, row: $r, rep: $n, summary: .}' \
      "$work/summary.json" >"$file"
  else
    echo "   ($row failed on $kind: see $raw/$kind-$row-$rep.live.txt)" >&2
  fi
  if [[ ! -s $file ]]; then
    jq -n --arg b "$kind" --arg r "$row" --argjson n "$rep" '{broker: $b, row: $r, rep: $n, summary: null}' >"$file"
  fi
  if [[ $kind == window ]]; then
    # The window's own frame times while the load ran (it logs them every 10 s).
    tail -n +"$((lines_before + 1))" "$work/window.log" | grep 'frames/s' >"$raw/window-frames-$row-$rep.txt" || true
  fi
  sleep 2
}

run_broker() {
  local kind=$1 rep=$2 rest idle_before idle_after hz
  echo "== $kind (repetition $rep of $reps, load average $(load1))"
  if ! start_broker "$kind"; then
    echo "   $kind did not start: its column stays empty this time" >&2
    [[ $kind == window ]] && cp "$work/window.log" "$raw/window-failed-$rep.log" 2>/dev/null
    stop_broker
    return 0
  fi
  # Memory at rest: started, nothing connected but the window's own subscriber, after a settle.
  sleep 5
  rest=$(rss_kib "$pid")
  for row in "${rows[@]}"; do run_row "$kind" "$row" "$rep"; done
  # Idle CPU after the load (so past the window's first minute), nothing connected.
  sleep 3
  hz=$(getconf CLK_TCK)
  idle_before=$(cpu_ticks "$pid"); sleep "$idle_secs"; idle_after=$(cpu_ticks "$pid")
  jq -n --arg b "$kind" --argjson n "$rep" --argjson launch "$launch_ms" --argjson frame "$first_frame_ms" \
    --argjson rest "${rest:-null}" --argjson idle "$(awk -v d=$((idle_after - idle_before)) -v s="$idle_secs" -v hz="$hz" 'BEGIN {printf "%.2f", 100 * d / (s * hz)}')" \
    --argjson load "$(load1)" \
    '{broker: $b, row: "base", rep: $n, launch_ms: $launch, first_frame_ms: $frame, rest_rss_kib: $rest, idle_cpu_percent: $idle, load: $load}' \
    >"$raw/$kind-base-$rep.json"
  [[ $kind == window ]] && cp "$work/window.log" "$raw/window-$rep.log"
  stop_broker
}

IFS=, read -r -a order <<<"$brokers"
echo "results in $out; $reps repetition(s), ${secs} s runs; brokers: ${order[*]}; binary $bin"
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for rep in $(seq "$reps"); do
  for kind in "${order[@]}"; do run_broker "$kind" "$rep"; done
  order=("${order[@]:1}" "${order[0]}") # rotate: a different broker goes first next time
done

# The tutorial scenario's CPU per tab (the window only), after its first minute.
if ((tabs_wanted)) && [[ $brokers == *window* ]]; then
  echo "== the window's CPU with the tutorial scenario, per tab (${tab_warmup} s warm-up, ${tab_span} s measured)"
  : >"$raw/tabs.txt"
  for tab in "${tabs[@]}"; do
    scripts/window-cpu.sh "$bin" "$tab" assets/scenarios/tutorial.toml "$tab_warmup" "$tab_span" | tee -a "$raw/tabs.txt"
  done
fi

# --- the table
jq -s -r --arg reps "$reps" --arg secs "$secs" -f /dev/stdin "$raw"/*-*-[0-9]*.json >"$out/table.md" <<'JQ'
def median: map(select(. != null)) | sort | if length == 0 then null
  elif length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
def k: if . == null then "–" elif . >= 1000 then "\(. / 1000 * 10 | round / 10)k" else "\(. | round)" end;
def f1: if . == null then "–" else "\(. * 10 | round / 10)" end;
def f2: if . == null then "–" else "\(. * 100 | round / 100)" end;
def pct: if . == null then "–" else "\(. | round)%" end;
def mb: if . == null then "–" else "\(. / 1024 | round) MiB" end;
. as $all
| def runs($b; $r): [$all[] | select(.broker == $b and .row == $r)];
  def m($b; $r; f): [runs($b; $r)[] | f] | median;
  def s($b; $r; f): [runs($b; $r)[] | .summary | select(. != null) | f] | median;
  def brokers: ["mosquitto", "serve", "window"] | map(select(. as $b | $all | any(.broker == $b)));
  def ratio($b; $r): (s($b; $r; .receive.received_per_second)) as $x
    | (s("mosquitto"; $r; .receive.received_per_second)) as $base
    | if $b == "mosquitto" or $x == null or $base == null or $base == 0 then "" else " (\($x / $base * 100 | round / 100)×)" end;
  def cell($b; $r):
    if $r == "flat1" or $r == "flat10" then
      "\(s($b; $r; .receive.received_per_second) | k) msg/s\(ratio($b; $r)), \(s($b; $r; .receive.lost_percent) | f2)% lost"
    elif $r == "qos1x100" or $r == "x1000" then
      "\(s($b; $r; .receive.latency.p50_ms) | f2)/\(s($b; $r; .receive.latency.p99_ms) | f2) ms, broker at \(s($b; $r; .broker_process.cpu_percent) | round)% of a core"
    elif $r == "conn2000" then
      "\(s($b; $r; .connections.accepted_per_second) | k)/s, \(s($b; $r; .connections.broker_kib_per_connection) | f1) KiB each (\(s($b; $r; .connections.connected) | round) connected)"
    elif $r == "tool" then
      "\(s($b; "flat1"; .tool_cpu_percent) | pct) / \(s($b; "flat10"; .tool_cpu_percent) | pct) of a core"
    elif $r == "flood" then
      ([runs($b; "flat1")[], runs($b; "flat10")[] | .summary.broker_process.rss_kib_peak // empty] | max | mb)
    elif $r == "launch" then
      "\(m($b; "base"; .launch_ms)) ms to the port\(if $b == "window" then ", first frame \(m($b; "base"; .first_frame_ms)) ms" else "" end)"
    elif $r == "rest" then m($b; "base"; .rest_rss_kib) | mb
    elif $r == "idle" then "\(m($b; "base"; .idle_cpu_percent) | f2)% of a core"
    else "?" end;
  def rowlabel: {
    flat1: "1 publisher flat out → 1 subscriber: delivered, lost",
    flat10: "10 publishers flat out → 1 subscriber: delivered, lost",
    qos1x100: "100 publishers × 10/s QoS 1: latency p50/p99, broker CPU",
    x1000: "1,000 publishers × 1/s QoS 0: latency p50/p99, broker CPU",
    conn2000: "2,000 connections: accepted per second, broker memory each",
    tool: "the load tool's own CPU in the two flat-out rows (2 cores = 200%)",
    flood: "memory under the flat-out floods (peak RSS)",
    launch: "launch until the port accepts",
    rest: "memory at rest (5 s after launch)",
    idle: "idle CPU (after the load, nothing connected)"
  };
  def names: {mosquitto: "Mosquitto", serve: "`serve`", window: "the window (Messages tab, subscriber on `#`)"};
  ([$all[] | .summary.load_average[0]?, .load? | select(. != null)] | [min, max]) as $load
| "Medians of \($reps) run(s) of \($secs) s each, loopback, 64 B payloads; load average \($load[0])–\($load[1]) during the runs.\n",
  "| load | \(brokers | map(names[.]) | join(" | ")) |",
  "|---|\(brokers | map("---") | join("|"))|",
  (["flat1", "flat10", "qos1x100", "x1000", "conn2000", "flood", "launch", "rest", "idle", "tool"][] as $r
    | "| \(rowlabel[$r]) | \(brokers | map(. as $b | cell($b; $r)) | join(" | ")) |")
JQ
if [[ -s $raw/tabs.txt ]]; then
  {
    echo
    echo "The window with the tutorial scenario (2 devices, under 1 msg/s), per tab, after its first minute:"
    echo
    echo "| tab | CPU (% of a core) | frames/s | load average |"
    echo "|---|---|---|---|"
    awk '{sub("frames/s=", "", $3); sub("load=", "", $4); printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4}' "$raw/tabs.txt"
  } >>"$out/table.md"
fi
# Only the number after "p99" (a plain [0-9.]+ would also pick the 99 of "p99" itself).
frames=$(cat "$raw"/window-frames-flat*.txt 2>/dev/null | grep -oE 'p99 [0-9.]+ ms' | sed -E 's/p99 ([0-9.]+) ms/\1/' | sort -g | tail -n1 || true)
if [[ -n $frames ]]; then
  printf '\nThe window kept drawing during the flat-out floods: worst p99 frame time in its 10 s log lines %s ms.\n' "$frames" >>"$out/table.md"
fi
echo
cat "$out/table.md"
