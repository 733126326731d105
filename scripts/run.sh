#!/usr/bin/env bash
# make run: starts callhook with config.yaml, plus the example web app that
# config.yaml's webhook apps point at (127.0.0.1:8000), stopped again once
# callhook has exited.
#
# Ctrl-C reaches callhook only: the web app runs in a session (or process
# group) of its own, so it keeps answering the calls callhook drains after
# the first Ctrl-C, and is stopped when callhook is done. A second Ctrl-C
# hangs up the calls still in progress.
#
# CALLHOOK_CONFIG (default config.yaml), WEBAPP_LISTEN (default
# 127.0.0.1:8000) and BIN (default bin, where callhook is and the web app
# is built) let a test run it on ports of its own.
set -euo pipefail
cd "$(dirname "$0")/.."
config=${CALLHOOK_CONFIG:-config.yaml}
listen=${WEBAPP_LISTEN:-127.0.0.1:8000}
bin=${BIN:-bin}
go build -o "$bin/webapp-go" ./examples/webapp-go
if command -v setsid >/dev/null 2>&1; then
	setsid "$bin/webapp-go" -listen "$listen" &
else
	# No setsid (macOS): job control puts the background job in a process
	# group of its own, which the terminal's Ctrl-C does not reach.
	set -m
	"$bin/webapp-go" -listen "$listen" &
	set +m
fi
webapp=$!
stop_webapp() { kill "$webapp" 2>/dev/null || true; wait "$webapp" 2>/dev/null || true; }
trap stop_webapp EXIT
# The shell gets Ctrl-C too: it waits for callhook to finish draining, then
# stops the web app (EXIT).
trap 'echo "run.sh: callhook is draining; the web app stays up until it exits (Ctrl-C again hangs up the calls)" >&2' INT
trap 'echo "run.sh: callhook is draining; the web app stays up until it exits" >&2' TERM
"$bin/callhook" serve -config "$config"
