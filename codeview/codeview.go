// Package codeview renders the server program behind a scenario, so that a
// learner sees the code the knobs stand for: a Node program for the node
// runtimes, a Go program for the go runtime. It is platform-neutral, so the
// browser can render it without the backend.
package codeview
