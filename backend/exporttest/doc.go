// Package exporttest holds the playground's exports (package export) to
// the real programs that read them: curl itself for the curl transcript,
// Mermaid's own parser and renderer for the sequence diagram, a HAR 1.2
// JSON schema validator and Chromium DevTools' own HAR import for the
// HAR. The npm packages come from `make deps-npm` (tools/npm); curl and
// Chromium are Debian's. It has tests only.
package exporttest
