#!/usr/bin/env bash
# make bench: the go test benchmarks, then callhook and the floor side by
# side in one run, each as its own process, and the ratios (BENCHMARKS.md
# explains them).
#
# Both daemons are driven by loadgen's replaying FreeSWITCH (the real menu
# trace's frames, 17 events per call) and answered by loadgen's web app:
# callhook with a config that loadgen generates, the floor
# (loadgen -serve-baseline -http, cmd/loadgen/floor, no callhook code) with
# the same two requests per call. In order, alternating floor then callhook:
#   1. saturation: -concurrency N, as fast as possible, BENCH_REPEAT times;
#   2. a fixed rate, half the floor's median saturated rate, BENCH_REPEAT
#      times (step latency and CPU per call when nothing queues);
#   3. held calls: both daemons restarted, BENCH_HELD calls held each.
# Daemon CPU is read from /proc/<pid>/stat, RSS from /proc/<pid>/status.
# Knobs (environment):
#   BENCH_DURATION     each load run (default 10s)
#   BENCH_REPEAT       runs per daemon of 1 and 2 (default 2)
#   BENCH_CONCURRENCY  calls in flight at saturation (default 50)
#   BENCH_RATE         the fixed rate (default: half the floor's saturated rate)
#   BENCH_HELD         calls held in 3 (default 10000; 0 skips it). 10,000
#                      takes about a minute per daemon on 2 cores
#   BENCH_SETTLE       how long the held calls sit idle before RSS is read (default 20s)
#   BENCH_GO           0 skips the go test benchmarks
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
duration=${BENCH_DURATION:-10s}
repeat=${BENCH_REPEAT:-2}
conc=${BENCH_CONCURRENCY:-50}
held=${BENCH_HELD:-10000}
settle=${BENCH_SETTLE:-20s}

# loadgen and each daemon hold one socket per call; 10,000 held calls.
ulimit -n 30000 2>/dev/null || ulimit -n "$(ulimit -Hn)"

load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(go env GOVERSION 2>/dev/null); load $(load)"

status=0
if [[ ${BENCH_GO:-1} != 0 ]]; then
	echo "== go test -run=^\$ -bench=. -benchmem ./..."
	# A failing benchmark package is reported, and the load runs still go.
	"$GO" test -run='^$' -bench=. -benchmem ./... || status=$?
fi

mkdir -p bin
"$GO" build -o bin/callhook ./cmd/callhook
"$GO" build -o bin/loadgen ./cmd/loadgen

work=$(mktemp -d)
callhook_pid= floor_pid=
stop_daemons() {
	for p in $callhook_pid $floor_pid; do
		if kill -0 "$p" 2>/dev/null; then
			kill -TERM "$p" 2>/dev/null || true
			wait "$p" 2>/dev/null || true
		fi
	done
	callhook_pid= floor_pid=
}
cleanup() {
	stop_daemons
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

mapfile -t ports < <(bin/loadgen -free-ports 4)
esl=127.0.0.1:${ports[0]} admin=127.0.0.1:${ports[1]} web=127.0.0.1:${ports[2]} floor=127.0.0.1:${ports[3]}
bin/loadgen -print-config -addr "$esl" -admin "$admin" -webapp "$web" >"$work/callhook.yaml"
summary=$work/summary.jsonl

# wait_log PID FILE TEXT: until FILE says TEXT, or the process is gone.
wait_log() {
	for _ in $(seq 100); do
		grep -q "$3" "$2" && return 0
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	cat "$2"
	echo "bench: $2: the daemon did not start" >&2
	exit 1
}

start_daemons() {
	bin/callhook serve -config "$work/callhook.yaml" 2>>"$work/callhook.log" &
	callhook_pid=$!
	wait_log "$callhook_pid" "$work/callhook.log" 'callhook serving'
	: >"$work/floor.log"
	bin/loadgen -serve-baseline "$floor" -http -webapp "$web" 2>"$work/floor.log" &
	floor_pid=$!
	wait_log "$floor_pid" "$work/floor.log" 'baseline serving'
}

# run LABEL LOADGEN-FLAGS...: one loadgen run against callhook or the floor.
run() {
	local label=$1
	shift
	local addr=$esl pid=$callhook_pid extra=(-admin "$admin")
	if [[ $label == floor ]]; then
		addr=$floor pid=$floor_pid extra=()
	fi
	echo "== $label: loadgen $* (load $(load))"
	bin/loadgen -addr "$addr" -webapp "$web" -pid "$pid" "${extra[@]}" \
		-summary "$summary" -label "$label" "$@" || status=$?
}

# median_rate LABEL: the median saturated calls/s of LABEL's runs so far.
median_rate() {
	grep "\"label\":\"$1\"" "$summary" | grep '"rate":0,' | grep -v '"scenario":"held"' |
		sed 's/.*"calls_per_s":\([0-9.]*\).*/\1/' | sort -n |
		awk '{v[NR]=$1} END {if (NR) print v[int((NR+1)/2)]; else print 0}'
}

start_daemons
for _ in $(seq "$repeat"); do
	for who in floor callhook; do
		run "$who" -scenario throughput -concurrency "$conc" -duration "$duration"
	done
done
rate=${BENCH_RATE:-$(median_rate floor | awk '{r=int($1/2/50)*50; if (r<50) r=50; print r}')}
for _ in $(seq "$repeat"); do
	for who in floor callhook; do
		run "$who" -scenario latency -rate "$rate" -duration "$duration"
	done
done
if [[ $held != 0 ]]; then
	# Fresh processes, so the idle RSS is not the heap left by the load runs.
	stop_daemons
	start_daemons
	for who in floor callhook; do
		run "$who" -scenario held -calls "$held" -settle "$settle"
	done
fi
stop_daemons

echo "== callhook against the floor (load $(load)); the runs: bin/bench-summary.jsonl"
cp "$summary" bin/bench-summary.jsonl
bin/loadgen -compare "$summary" || status=1
warnings=$(grep -c 'level=\(warning\|error\)' "$work/callhook.log" || true)
echo "== callhook log: $(wc -l <"$work/callhook.log") lines, $warnings warnings or errors; floor: $(cat "$work/floor.log" | tr '\n' ' ')"
if [[ $warnings != 0 ]]; then
	grep 'level=\(warning\|error\)' "$work/callhook.log" | head -5
fi
exit "$status"
