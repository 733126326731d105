#!/usr/bin/env bash
# make run: starts callhook with config.yaml, plus the example web app that
# config.yaml's webhook apps point at (127.0.0.1:8000), stopped again on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
go build -o bin/webapp-go ./examples/webapp-go
bin/webapp-go -listen 127.0.0.1:8000 &
webapp=$!
trap 'kill $webapp 2>/dev/null || true' EXIT INT TERM
bin/callhook serve -config config.yaml
