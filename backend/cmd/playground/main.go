// Command playground serves Keep-Alive Playground and runs its scenarios
// headlessly.
//
//	playground [serve] [flags]        serve the playground (the default)
//	playground run [--json] FILE|LINK run a scenario and print its timeline
//	playground load [flags]           simulate a class and measure the server
//	playground attack [-quick]        run the attack suite against a server on loopback
package main

import (
	"fmt"
	"os"
)

func main() {
	args := os.Args[1:]
	if wantsHelp(args) {
		fmt.Print(usage)
		return
	}
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		os.Exit(serve(args))
	case "run":
		os.Exit(runCmd(args, os.Stdout, os.Stderr))
	case "load":
		os.Exit(loadCmd(args, os.Stdout, os.Stderr))
	case "attack":
		os.Exit(attackCmd(args, os.Stdout, os.Stderr))
	default:
		fmt.Fprintf(os.Stderr, "playground: unknown command %q\n\n%s", cmd, usage)
		os.Exit(2)
	}
}

// wantsHelp reports whether the command line asks for the commands'
// help: "playground help", or -h/--help before any command (after one, as
// in "playground serve -h", it is that command's flags).
func wantsHelp(args []string) bool {
	if len(args) == 0 {
		return false
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		return true
	}
	return false
}

const usage = `Keep-Alive Playground

Usage:
  playground [serve] [flags]         serve the playground (see playground serve -h)
  playground run [flags] FILE|LINK   run a scenario headlessly and print its timeline
  playground load [flags]            simulate a class of browsers and measure (see playground load -h)
  playground attack [-quick]         run the attack suite against servers it starts on loopback
  playground help                    show this help (also -h, --help)

Each command's flags: playground COMMAND -h. With no command, serve runs.
`
