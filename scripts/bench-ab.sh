#!/usr/bin/env bash
# bench-ab.sh: callhook builds side by side with the floor, alternated, for
# changes whose effect is smaller than the run-to-run noise of one make bench.
#
#   scripts/bench-ab.sh [REV...]     (default: HEAD~1 and the working tree)
#
# Each REV (a git revision, or "." for the working tree) is built into its
# own callhook binary; loadgen comes from the working tree. The floor
# (loadgen -serve-baseline -http) and one daemon per build run at once on
# free loopback ports, all answered by one loadgen web app; then each round
# drives the floor and every build in turn at saturation (-scenario
# throughput -concurrency 50) and prints the daemon CPU per call of each and
# its ratio to the floor's in the same round. Running every build in every
# round, in the same order, spreads the machine's drift over all of them;
# compare builds by their ratios across rounds, not by one run.
# Knobs (environment): AB_DURATION (6s), AB_ROUNDS (3), AB_CONCURRENCY (50).
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
duration=${AB_DURATION:-6s}
rounds=${AB_ROUNDS:-3}
conc=${AB_CONCURRENCY:-50}
revs=("$@")
if [[ ${#revs[@]} == 0 ]]; then
	revs=(HEAD~1 .)
fi

ulimit -n 30000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

"$GO" build -o "$work/loadgen" ./cmd/loadgen
names=()
for i in "${!revs[@]}"; do
	rev=${revs[$i]}
	dir=$work/build$i
	mkdir -p "$dir/src"
	if [[ $rev == . ]]; then
		"$GO" build -o "$dir/callhook" ./cmd/callhook
		names+=("working-tree")
	else
		git archive "$rev" | tar -x -C "$dir/src"
		(cd "$dir/src" && "$GO" build -o "$dir/callhook" ./cmd/callhook)
		names+=("$(git rev-parse --short "$rev")")
	fi
done

lg=$work/loadgen
mapfile -t ports < <("$lg" -free-ports $((2 + 2 * ${#revs[@]})))
web=127.0.0.1:${ports[0]} floor=127.0.0.1:${ports[1]}
"$lg" -serve-baseline "$floor" -http -webapp "$web" 2>"$work/floor.log" &
pids+=($!)
floor_pid=$!
addrs=() admins=() dpids=()
for i in "${!revs[@]}"; do
	esl=127.0.0.1:${ports[$((2 + 2 * i))]} admin=127.0.0.1:${ports[$((3 + 2 * i))]}
	"$lg" -print-config -addr "$esl" -admin "$admin" -webapp "$web" >"$work/build$i/callhook.yaml"
	"$work/build$i/callhook" serve -config "$work/build$i/callhook.yaml" 2>"$work/build$i/callhook.log" &
	pids+=($!)
	dpids+=($!) addrs+=("$esl") admins+=("$admin")
done
# Every daemon says when it serves.
for _ in $(seq 100); do
	ready=1
	grep -q 'baseline serving' "$work/floor.log" || ready=0
	for i in "${!revs[@]}"; do
		grep -q 'callhook serving' "$work/build$i/callhook.log" || ready=0
	done
	[[ $ready == 1 ]] && break
	sleep 0.1
done

# cpu LOADGEN-OUTPUT: the daemon CPU per call in µs.
cpu() { sed -n 's/^daemon CPU:.*= \([0-9.]*\)\(µs\|ms\) per call.*/\1 \2/p' | awk '{v=$1; if ($2=="ms") v*=1000; print v}'; }

echo "== ${#revs[@]} builds and the floor, $rounds rounds of $duration at concurrency $conc"
for r in $(seq "$rounds"); do
	f=$("$lg" -addr "$floor" -webapp "$web" -pid "$floor_pid" -scenario throughput -concurrency "$conc" -duration "$duration" 2>&1 | cpu)
	line="round $r (load $(cut -d' ' -f1 /proc/loadavg)): floor ${f} µs"
	for i in "${!revs[@]}"; do
		c=$("$lg" -addr "${addrs[$i]}" -admin "${admins[$i]}" -webapp "$web" -pid "${dpids[$i]}" -scenario throughput -concurrency "$conc" -duration "$duration" 2>&1 | cpu)
		line+=$(awk -v n="${names[$i]}" -v c="$c" -v f="$f" 'BEGIN{printf "; %s %s µs (%.2fx)", n, c, c/f}')
	done
	echo "$line"
done
