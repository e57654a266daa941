package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"time"

	"github.com/keepalive-playground/playground/backend/run"
	"github.com/keepalive-playground/playground/backend/sandbox/all"
	"github.com/keepalive-playground/playground/export"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

// runCmd is `playground run`. One runtime: exit 0 when the run completed
// and its checks passed, 1 when a check failed. Several (--runtime
// node18,node26,go): exit 0 when their timelines agree, 1 when they part.
// 2 on bad input, the reason on stderr.
func runCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "the same as --format json")
	format := fs.String("format", "table", "output: "+strings.Join(export.Formats, ", "))
	runtimes := fs.String("runtime", "", "run on this runtime instead of the scenario's; a comma-separated list compares them ("+strings.Join(scenario.RuntimeNames(), ", ")+")")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: playground run [--format F] [--runtime R[,R…]] FILE|LINK   (FILE: a scenario .json, - for standard input, or an exported .svg/.png)")
		fs.PrintDefaults()
	}
	if status, ok := parseFlags(fs, args); !ok {
		return status
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	if *asJSON {
		*format = "json"
	}
	if !export.IsFormat(*format) {
		fmt.Fprintf(stderr, "playground run: --format %q is not one of %s\n", *format, strings.Join(export.Formats, ", "))
		return 2
	}
	sc, link, err := loadScenario(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "playground run: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	var names []string
	if *runtimes != "" {
		names = strings.Split(*runtimes, ",")
	}
	if len(names) > 1 || len(names) == 0 && sc.Compare != nil {
		return compareCmd(ctx, sc, names, *format, stdout, stderr)
	}
	if len(names) == 1 {
		base := *sc
		base.Compare = nil
		v, notes, err := base.OnRuntime(strings.TrimSpace(names[0]))
		if err != nil {
			fmt.Fprintf(stderr, "playground run: --runtime: %v\n", err)
			return 2
		}
		for _, n := range notes {
			fmt.Fprintf(stderr, "playground run: %s\n", n)
		}
		sc, link = &v, ""
	}
	start := time.Now()
	res, err := run.Run(ctx, sc, all.Runtimes())
	if err != nil {
		fmt.Fprintf(stderr, "playground run: %v\n", err)
		return 2
	}
	for _, e := range res.Errors {
		fmt.Fprintf(stderr, "playground run: %s\n", e)
	}
	if link == "" {
		link, _ = scenario.EncodeLink(sc)
	}
	out := &export.Run{Scenario: sc, Events: res.Events, Checks: res.Checks, Start: start, Link: link,
		Tool: "Keep-Alive Playground", ToolVersion: version(), EndMs: res.EndMs, EndReason: res.EndReason}
	if err := export.Write(stdout, *format, out); err != nil {
		fmt.Fprintf(stderr, "playground run: %v\n", err)
		return 2
	}
	if !res.Passed() {
		return 1
	}
	return 0
}

// compareCmd runs the scenario on each runtime and says where the
// timelines part.
func compareCmd(ctx context.Context, sc *scenario.Scenario, names []string, format string, stdout, stderr io.Writer) int {
	if format != "table" && format != "json" {
		fmt.Fprintf(stderr, "playground run: --format %s shows one run; a comparison prints as table or json\n", format)
		return 2
	}
	var (
		variants []scenario.Variant
		err      error
	)
	if len(names) > 0 {
		// --runtime replaces whatever comparison the scenario asks for.
		base := *sc
		base.Compare = nil
		variants, err = base.RuntimeVariants(names)
	} else {
		variants, err = sc.Variants()
	}
	if err != nil {
		fmt.Fprintf(stderr, "playground run: %v\n", err)
		return 2
	}
	for _, v := range variants {
		for _, n := range v.Notes {
			fmt.Fprintf(stderr, "playground run: %s\n", n)
		}
	}
	cmp, err := run.Compare(ctx, variants, all.Runtimes())
	if err != nil {
		fmt.Fprintf(stderr, "playground run: %v\n", err)
		return 2
	}
	for i, r := range cmp.Runs {
		for _, e := range r.Errors {
			fmt.Fprintf(stderr, "playground run: %s: %s\n", variants[i].Name, e)
		}
	}
	if format == "json" {
		if err := writeComparisonJSON(stdout, variants, cmp); err != nil {
			fmt.Fprintf(stderr, "playground run: %v\n", err)
			return 2
		}
	} else if err := writeComparison(stdout, sc, variants, cmp); err != nil {
		fmt.Fprintf(stderr, "playground run: %v\n", err)
		return 2
	}
	if !cmp.Agree() {
		return 1
	}
	return 0
}

func writeComparison(w io.Writer, sc *scenario.Scenario, variants []scenario.Variant, cmp *run.Comparison) error {
	var b bytes.Buffer
	if sc.Title != "" {
		fmt.Fprintf(&b, "%s\n\n", sc.Title)
	}
	for i, r := range cmp.Runs {
		fmt.Fprintf(&b, "── %s ──\n", variants[i].Name)
		if err := export.EventTable(&b, r.Events); err != nil {
			return err
		}
		pass := 0
		for _, c := range r.Checks {
			if c.Pass {
				pass++
			}
		}
		if len(r.Checks) > 0 {
			fmt.Fprintf(&b, "checks: %d of %d passed\n", pass, len(r.Checks))
		}
		b.WriteString("\n")
	}
	names := make([]string, len(variants))
	for i, v := range variants {
		names[i] = v.Name
	}
	if cmp.Agree() {
		fmt.Fprintf(&b, "%s agree: the same events on the server and every connection, at times within %d ms or %.0f%% of each other.\n",
			strings.Join(names, ", "), timeline.TimingTolMinMs, timeline.TimingTolRel*100)
	} else {
		fmt.Fprintf(&b, "Where %s part:\n", strings.Join(names, ", "))
		for _, p := range cmp.Partings {
			lane := "server"
			if p.Conn != "" {
				lane = "conn " + p.Conn
			}
			fmt.Fprintf(&b, "  %s at %.0f ms — %s\n", lane, p.T, p.Sentence)
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

// comparisonJSON is `playground run --runtime a,b --format json`: every
// run's events and checks, and where they part.
type comparisonJSON struct {
	Agree    bool               `json:"agree"`
	Runs     []comparisonRun    `json:"runs"`
	Partings []timeline.Parting `json:"partings"`
}

type comparisonRun struct {
	Name   string            `json:"name"`
	Notes  []string          `json:"notes,omitempty"`
	Events []timeline.Event  `json:"events"`
	Checks []timeline.Result `json:"checks,omitempty"`
	Errors []string          `json:"errors,omitempty"`
}

func writeComparisonJSON(w io.Writer, variants []scenario.Variant, cmp *run.Comparison) error {
	out := comparisonJSON{Agree: cmp.Agree(), Partings: cmp.Partings}
	if out.Partings == nil {
		out.Partings = []timeline.Parting{}
	}
	for i, r := range cmp.Runs {
		out.Runs = append(out.Runs, comparisonRun{Name: variants[i].Name, Notes: variants[i].Notes,
			Events: r.Events, Checks: r.Checks, Errors: r.Errors})
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

// version is the playground's module version, as the Go toolchain
// stamped it ("(devel)" for a build from a checkout).
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// loadScenario reads a scenario file, standard input ("-"), a link (a
// whole URL, a "#s=…" fragment or its payload), or an image the page
// exported (SVG or PNG), which carries its scenario's link. It returns
// the link too when the input was one.
func loadScenario(arg string) (*scenario.Scenario, string, error) {
	if arg == "-" {
		data, err := readInput(os.Stdin)
		if err != nil {
			return nil, "", fmt.Errorf("read standard input: %w", err)
		}
		return decodeInput(data, "standard input")
	}
	if strings.Contains(arg, "#s=") || strings.HasPrefix(arg, "s=") {
		sc, err := scenario.DecodeLink(arg)
		return sc, arg, err
	}
	f, err := os.Open(arg)
	if errors.Is(err, os.ErrNotExist) && !strings.ContainsAny(arg, "/\\.") {
		// No such file, and it does not look like a path: a bare payload.
		sc, err := scenario.DecodeLink(arg)
		return sc, "#s=" + arg, err
	}
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	data, err := readInput(f)
	if err != nil {
		return nil, "", fmt.Errorf("read %s: %w", arg, err)
	}
	return decodeInput(data, arg)
}

// readInput reads a scenario's worth (one byte more, to tell it is too
// long), and only when that begins an image, the rest of the image: an
// endless input costs no more than a scenario.
func readInput(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, scenario.MaxScenarioBytes+1))
	if err != nil || len(data) <= scenario.MaxScenarioBytes || !export.IsImage(data) {
		return data, err
	}
	rest, err := io.ReadAll(io.LimitReader(r, export.MaxImageBytes+1-int64(len(data))))
	return append(data, rest...), err
}

func decodeInput(data []byte, name string) (*scenario.Scenario, string, error) {
	if export.IsImage(data) {
		link, err := export.LinkFromImage(data)
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", name, err)
		}
		sc, err := scenario.DecodeLink(link)
		if err != nil {
			return nil, "", fmt.Errorf("%s: the image's link: %w", name, err)
		}
		return sc, link, nil
	}
	if len(data) > scenario.MaxScenarioBytes {
		return nil, "", fmt.Errorf("%s holds more than %d KiB; a scenario is at most that", name, scenario.MaxScenarioBytes>>10)
	}
	sc, err := scenario.Decode(data)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", name, err)
	}
	return sc, "", nil
}
