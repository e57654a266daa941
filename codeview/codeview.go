// Package codeview renders the server program behind a scenario, so that a
// learner sees the code the knobs stand for: a Node program for the node
// runtimes, a Go program for the go runtime. It is platform-neutral, so the
// browser can render it without the backend.
package codeview

import "github.com/keepalive-playground/playground/scenario"

// Program renders the program a scenario's server stands for, in its
// runtime's language (the row's Language).
func Program(s scenario.Scenario) string {
	if s.Server.Spec().Language == scenario.LangGo {
		return Go(s)
	}
	return Node(s, NodeOptions{})
}
