package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"text/tabwriter"

	"github.com/keepalive-playground/playground/backend/run"
	"github.com/keepalive-playground/playground/backend/sandbox/all"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

// runCmd is `playground run`: exit 0 when the run completed and its checks
// passed, 1 when a check failed, 2 on bad input (the reason on stderr).
func runCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print one JSON event per line instead of a table")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: playground run [--json] FILE|LINK   (FILE may be - for standard input)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	sc, err := loadScenario(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "playground run: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := run.Run(ctx, sc, all.Runtimes())
	if err != nil {
		fmt.Fprintf(stderr, "playground run: %v\n", err)
		return 2
	}
	for _, e := range res.Errors {
		fmt.Fprintf(stderr, "playground run: %s\n", e)
	}
	if *asJSON {
		if err := timeline.WriteJSONL(stdout, res.Events); err != nil {
			fmt.Fprintf(stderr, "playground run: %v\n", err)
			return 2
		}
	} else {
		printTable(stdout, res)
	}
	if !res.Passed() {
		return 1
	}
	return 0
}

// loadScenario reads a scenario file, standard input ("-"), or a link
// (a whole URL, a "#s=…" fragment or its payload).
func loadScenario(arg string) (*scenario.Scenario, error) {
	if arg == "-" {
		data, err := readScenario(os.Stdin, "standard input")
		if err != nil {
			return nil, err
		}
		return scenario.Decode(data)
	}
	if strings.Contains(arg, "#s=") || strings.HasPrefix(arg, "s=") {
		return scenario.DecodeLink(arg)
	}
	f, err := os.Open(arg)
	if errors.Is(err, os.ErrNotExist) && !strings.ContainsAny(arg, "/\\.") {
		// No such file, and it does not look like a path: a bare payload.
		return scenario.DecodeLink(arg)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := readScenario(f, arg)
	if err != nil {
		return nil, err
	}
	sc, err := scenario.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", arg, err)
	}
	return sc, nil
}

// readScenario reads at most a scenario's worth of r, however much it
// holds (a FILE may be /dev/zero).
func readScenario(r io.Reader, name string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, scenario.MaxScenarioBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > scenario.MaxScenarioBytes {
		return nil, fmt.Errorf("%s holds more than %d KiB; a scenario is at most that", name, scenario.MaxScenarioBytes>>10)
	}
	return data, nil
}

func printTable(w io.Writer, res *run.Result) {
	if res.Scenario.Title != "" {
		fmt.Fprintf(w, "%s\n\n", res.Scenario.Title)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "%9s\t%s\t%s\t%s\n", "t (ms)", "conn", "event", "detail")
	for _, e := range res.Events {
		fmt.Fprintf(tw, "%9.1f\t%s\t%s\t%s\n", e.T, e.Conn, e.Kind, detail(e))
	}
	tw.Flush()
	if len(res.Checks) > 0 {
		fmt.Fprintln(w)
		for _, c := range res.Checks {
			mark := "PASS"
			if !c.Pass {
				mark = "FAIL"
			}
			fmt.Fprintf(w, "%s  %s", mark, c.Name)
			if c.Detail != "" {
				fmt.Fprintf(w, " — %s", c.Detail)
			}
			fmt.Fprintln(w)
		}
	}
}

// detail is the one-line rest of an event: who closed and why, the
// request, the status, or the bytes with CR/LF shown as netcat would not.
func detail(e timeline.Event) string {
	var parts []string
	if e.By != "" {
		parts = append(parts, "by "+e.By)
	}
	if e.Reason != "" {
		parts = append(parts, "("+e.Reason+")")
	}
	if e.Method != "" || e.Path != "" {
		parts = append(parts, e.Method+" "+e.Path)
	}
	if e.Status != 0 {
		parts = append(parts, fmt.Sprint(e.Status))
	}
	if e.Data != "" {
		q, _ := json.Marshal(e.Data)
		s := string(q)
		if len(s) > 100 {
			s = s[:97] + "…\""
		}
		parts = append(parts, s)
	}
	if e.Error != "" {
		parts = append(parts, e.Error)
	}
	return strings.Join(parts, " ")
}
