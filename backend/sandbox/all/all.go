// Package all lists every demo-server runtime the playground offers.
package all

import (
	"github.com/keepalive-playground/playground/backend/sandbox"
	"github.com/keepalive-playground/playground/backend/sandbox/gort"
	"github.com/keepalive-playground/playground/backend/sandbox/node"
	"github.com/keepalive-playground/playground/scenario"
)

// Runtimes maps each scenario runtime to its factory.
func Runtimes() map[string]sandbox.Factory {
	return map[string]sandbox.Factory{
		scenario.RuntimeNode20: node.New,
		scenario.RuntimeNode18: node.New,
		scenario.RuntimeGo:     gort.New,
	}
}
