// Package all lists every demo-server runtime the playground offers.
package all

import (
	"github.com/keepalive-playground/playground/backend/sandbox"
	"github.com/keepalive-playground/playground/backend/sandbox/gort"
	"github.com/keepalive-playground/playground/backend/sandbox/node"
	"github.com/keepalive-playground/playground/scenario"
)

// factories serves each language of the runtime table.
var factories = map[scenario.Language]sandbox.Factory{
	scenario.LangNode: node.New,
	scenario.LangGo:   gort.New,
}

// Runtimes maps each runtime of the table to its factory.
func Runtimes() map[string]sandbox.Factory {
	m := map[string]sandbox.Factory{}
	for _, rt := range scenario.Runtimes() {
		if f, ok := factories[rt.Language]; ok {
			m[rt.Name] = f
		}
	}
	return m
}
