# Keep-Alive Playground. `make run` and `make test` are all a fresh clone
# needs (with Go installed); they install what else they need.

GO       ?= go
GOROOT   := $(shell $(GO) env GOROOT)
BIN      := bin/playground
ADDR     ?= localhost:8080
# The shared packages build for the browser and the server alike.
SHARED   := ./timeline/... ./scenario/... ./wire/... ./codeview/... ./fragment/... ./lessons/... ./export/...
# Platform-neutral too, but tested on loopback TCP, so not under GOOS=js.
NEUTRAL  := ./nodeagent/...
# What the shared packages must never import.
FORBIDDEN := net/http|github.com/gorilla/websocket|syscall/js
TESTFLAGS ?=
FUZZTIME ?= 10s

.PHONY: all run build test vet fmt-check shared-check test-go test-js test-browser bench wasm-size fuzz fuzz-short load attack clean deps-browser deps-node deps-exports deps-npm deps-releases deps-nginx dev diff-fuzz

all: build

build:
	$(GO) run ./build
	$(GO) build -trimpath -o $(BIN) ./backend/cmd/playground

run: build
	./$(BIN) serve -addr $(ADDR)

# dev rebuilds the page on change; run `./bin/playground serve -dev` beside it.
dev:
	$(GO) run ./build -watch

test: vet fmt-check shared-check build deps-browser deps-node deps-exports deps-releases deps-nginx test-go test-js fuzz-short
	@echo "make test: all passed"

vet:
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./wasm/... $(SHARED) $(NEUTRAL)

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
	  bad=$$(GOOS=$$os GOARCH=$$arch $(GO) list -deps $(SHARED) $(NEUTRAL) | grep -E '^(net/http|github.com/gorilla/websocket)$$' || true); \
	  own=$$(GOOS=$$os GOARCH=$$arch $(GO) list -deps -f '{{if not .Standard}}{{.ImportPath}}: {{join .Imports " "}}{{end}}' $(SHARED) $(NEUTRAL) | grep -E ' (syscall/js|net/http|github.com/gorilla/websocket)( |$$)' || true); \
	  if [ -n "$$bad$$own" ]; then echo "shared packages import forbidden packages ($$os): $$bad $$own"; exit 1; fi; \
	done; echo "shared-check: ok"

# TESTPKGS test binaries run at once: most of the long ones (the browser,
# the real releases, the proxies) wait on timers, so one per core would
# leave the cores idle. Set TESTPKGS=1 to find a test that only fails
# under load.
TESTPKGS ?= 3
test-go:
	$(GO) test -race -p $(TESTPKGS) -timeout 10m $(TESTFLAGS) ./...

# The shared packages' tests, run inside Node under GOOS=js.
test-js: deps-node
	GOOS=js GOARCH=wasm $(GO) test -exec="$(GOROOT)/lib/wasm/go_js_wasm_exec" $(SHARED) ./wasm/client/...

# wasm-size prints what main.wasm spends its bytes on, by package. The
# served program is stripped of its names (-s -w), so this builds it again
# with them; its code is the same.
wasm-size:
	mkdir -p .cache
	GOOS=js GOARCH=wasm $(GO) build -trimpath -o .cache/main-names.wasm ./wasm
	$(GO) run ./internal/wasmsize/cmd .cache/main-names.wasm

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

# need-deb,CMD,PACKAGE,WHAT: when CMD is missing, install Debian's PACKAGE
# if root, else say what to install. WHAT says what it is for (no commas).
need-deb = command -v $(1) >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing $(2) (Debian package) $(3)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) >/dev/null; \
	  else echo "$(1) is missing: run 'sudo apt-get install $(2)' ($(3))"; exit 1; fi; }

deps-browser:
	@$(call need-deb,chromium,chromium,for the browser tests)

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

# Node runs the wasm tests (Debian's; the differential test uses the
# pinned releases below).
deps-node:
	@$(call need-deb,node,nodejs,for the wasm tests)

# The exports are tested against the programs that read them
# (backend/exporttest): Debian's curl, and from the npm registry Mermaid's
# parser and a HAR 1.2 schema validator, pinned in tools/npm and
# installed into its git-ignored node_modules.
deps-exports: deps-node deps-npm
	@$(call need-deb,curl,curl,for the curl transcript test)
	@test -d tools/npm/node_modules/mermaid -a -d tools/npm/node_modules/har-validator || \
	  { echo "installing the export checkers (tools/npm)"; cd tools/npm && npm ci --no-audit --no-fund --loglevel=error; }

# npm fetches the real Node releases (Debian packages it apart from nodejs).
deps-npm:
	@$(call need-deb,npm,npm,to fetch the real Node releases)

# deps-releases fetches the real release of every Node runtime, the
# reference the differential test holds each emulated line to. The pins
# are the Release column of the runtime table (package scenario), printed
# by internal/releases. Each comes from npm's own configured registry as
# `npm pack node-linux-ARCH@VERSION` into .cache/, once: its bin/node is
# unpacked to .cache/node-VERSION/bin/node, checked to be that version,
# and the tarball dropped. Unpacking happens in a private directory that
# is renamed into place, so two worktrees sharing a cache cannot collide.
NODE_ARCH := $(if $(filter aarch64 arm64,$(shell uname -m)),arm64,x64)
NODE_PKG  := node-linux-$(NODE_ARCH)
deps-releases: deps-npm
	@set -e; mkdir -p .cache; \
	for v in $$($(GO) run ./internal/releases); do \
	  dst=.cache/node-$$v; \
	  if [ -x $$dst/bin/node ]; then continue; fi; \
	  echo "fetching Node $$v: npm pack $(NODE_PKG)@$$v"; \
	  tmp=$$(mktemp -d .cache/.fetch-XXXXXX); \
	  if ! ( cd $$tmp && npm pack --silent $(NODE_PKG)@$$v >/dev/null ) || \
	     ! tar xzf $$tmp/$(NODE_PKG)-$$v.tgz -C $$tmp package/bin/node || \
	     [ "$$($$tmp/package/bin/node --version)" != "v$$v" ]; then \
	    rm -rf $$tmp; echo "deps-releases: could not fetch Node $$v as $(NODE_PKG)@$$v"; exit 1; \
	  fi; \
	  rm -f $$tmp/$(NODE_PKG)-$$v.tgz; \
	  mv -T $$tmp/package $$dst 2>/dev/null || [ -x $$dst/bin/node ]; \
	  rm -rf $$tmp; \
	done

# diff-fuzz runs the generated differential test longer than make test
# does: DIFFSEEDS scripts per Node line from a fresh seed (or DIFFSEED0),
# each difference minimised, printed and written into
# backend/sandbox/nodediff/testdata/corpus, which make test replays.
DIFFSEEDS ?= 40
DIFFSEED0 ?= $(shell date +%s)
diff-fuzz: deps-releases
	$(GO) test -count=1 -timeout 2h -run '^TestGenerated$$' ./backend/sandbox/nodediff/ \
	  -diff.seeds $(DIFFSEEDS) -diff.seed0 $(DIFFSEED0) -diff.record

clean:
	rm -rf bin bench.txt artifacts .cache tools/npm/node_modules
	find web/dist -mindepth 1 ! -name .keep -delete
