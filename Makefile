# callhook: build, run, test, fuzz, bench.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
FUZZTIME ?= 10s
PREFIX  ?= /usr/local

.PHONY: build install run test fuzz bench clean

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/callhook ./cmd/callhook

# install puts callhook in $(PREFIX)/bin (default /usr/local/bin; PREFIX=$$HOME/.local for no root).
install: build
	install -D -m 0755 bin/callhook $(DESTDIR)$(PREFIX)/bin/callhook

# run starts the daemon with config.yaml (and the example web app its routes use).
run: build
	@scripts/run.sh

test:
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

# fuzz runs every fuzz target briefly (FUZZTIME each).
fuzz:
	@scripts/fuzz.sh $(FUZZTIME)

bench: build
	@scripts/bench.sh

clean:
	rm -rf bin
