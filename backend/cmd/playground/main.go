// Command playground serves Keep-Alive Playground and runs its scenarios
// headlessly.
//
//	playground [serve] [flags]        serve the playground (the default)
//	playground run [--json] FILE|LINK run a scenario and print its timeline
//	playground load [flags]           simulate a class and measure the server
//	playground attack [-quick]        run the attack suite against a server on loopback
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() { os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr)) }

// dispatch runs the command args name and returns its exit status.
func dispatch(args []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	if cmd == "serve" && len(args) > 0 && isHelp(args[0]) {
		// `playground --help`: the commands first; `playground serve -h`
		// lists serve's flags.
		cmd = "help"
	}
	switch cmd {
	case "serve":
		return serve(args)
	case "run":
		return runCmd(args, stdout, stderr)
	case "load":
		return loadCmd(args, stdout, stderr)
	case "attack":
		return attackCmd(args, stdout, stderr)
	case "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "playground: unknown command %q\n\n%s", cmd, usage)
	return 2
}

func isHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "-?":
		return true
	}
	return false
}

// parseFlags parses args into fs; ok false with the exit status to
// return (0 after -h, which printed the usage; 2 on a bad flag).
func parseFlags(fs *flag.FlagSet, args []string) (status int, ok bool) {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0, false
	case err != nil:
		return 2, false
	}
	return 0, true
}

const usage = `Keep-Alive Playground

Usage:
  playground [serve] [flags]         serve the playground (see playground serve -h)
  playground run [flags] FILE|LINK   run a scenario headlessly and print its timeline
  playground load [flags]            simulate a class of browsers and measure (see playground load -h)
  playground attack [-quick]         run the attack suite against servers it starts on loopback
  playground help                    show this help

Each command's flags: playground COMMAND -h. The README says more.
`
