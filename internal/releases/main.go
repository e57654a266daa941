// Command releases prints the exact Node release each Node runtime of the
// runtime table is pinned to, one per line, for `make deps-releases`: the
// table in package scenario is the one place the pins are written.
package main

import (
	"fmt"

	"github.com/keepalive-playground/playground/scenario"
)

func main() {
	for _, rt := range scenario.Runtimes() {
		if rt.IsNode() && rt.Release != "" {
			fmt.Println(rt.Release)
		}
	}
}
