#!/usr/bin/env bash
# make bench: the go test benchmarks, then a short loadgen scenario against
# a real callhook process, printing the figures (BENCHMARKS.md explains
# them).
#
# callhook and loadgen run as separate processes on free loopback ports:
# callhook with a config that loadgen generates (its apps point at
# loadgen's own fast web app), loadgen dialling it and watching its
# /proc/<pid> and /metrics. Knobs (environment):
#   BENCH_SCENARIO  throughput (default), latency, held or slowapp
#   BENCH_DURATION  how long loadgen places calls (default 10s)
#   BENCH_ARGS      more loadgen flags, e.g. "-rate 1000" or "-calls 10000"
#   BENCH_GO        0 skips the go test benchmarks
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
scenario=${BENCH_SCENARIO:-throughput}
duration=${BENCH_DURATION:-10s}

# loadgen and callhook each hold one socket per call; the held scenario
# holds 10,000 calls.
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load:$(uptime | sed 's/.*load average://')"

status=0
if [[ ${BENCH_GO:-1} != 0 ]]; then
	echo "== go test -run=^\$ -bench=. -benchmem ./..."
	# A failing benchmark package is reported, and the load run still goes.
	"$GO" test -run='^$' -bench=. -benchmem ./... || status=$?
fi

mkdir -p bin
[[ -x bin/callhook ]] || "$GO" build -o bin/callhook ./cmd/callhook
"$GO" build -o bin/loadgen ./cmd/loadgen

work=$(mktemp -d)
callhook_pid=
cleanup() {
	if [[ -n $callhook_pid ]] && kill -0 "$callhook_pid" 2>/dev/null; then
		kill -TERM "$callhook_pid" 2>/dev/null || true
		wait "$callhook_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

mapfile -t ports < <(bin/loadgen -free-ports 3)
esl=127.0.0.1:${ports[0]} admin=127.0.0.1:${ports[1]} web=127.0.0.1:${ports[2]}
bin/loadgen -print-config -addr "$esl" -admin "$admin" -webapp "$web" >"$work/callhook.yaml"

bin/callhook serve -config "$work/callhook.yaml" 2>"$work/callhook.log" &
callhook_pid=$!
for _ in $(seq 100); do
	grep -q 'callhook serving' "$work/callhook.log" && break
	kill -0 "$callhook_pid" 2>/dev/null || { cat "$work/callhook.log"; echo "bench: callhook exited" >&2; exit 1; }
	sleep 0.1
done
grep -q 'callhook serving' "$work/callhook.log" || { cat "$work/callhook.log"; echo "bench: callhook did not start" >&2; exit 1; }

echo "== loadgen -scenario $scenario (callhook pid $callhook_pid, event socket $esl, web app $web)"
# shellcheck disable=SC2086 # BENCH_ARGS is a list of flags
bin/loadgen -scenario "$scenario" -duration "$duration" -addr "$esl" -webapp "$web" \
	-pid "$callhook_pid" -admin "$admin" ${BENCH_ARGS:-} || status=$?

kill -TERM "$callhook_pid"
wait "$callhook_pid" || true
callhook_pid=
warnings=$(grep -c 'level=\(warning\|error\)' "$work/callhook.log" || true)
echo "== callhook log: $(wc -l <"$work/callhook.log") lines, $warnings warnings or errors"
if [[ $warnings != 0 ]]; then
	grep 'level=\(warning\|error\)' "$work/callhook.log" | head -5
fi
exit "$status"
