// Package export renders a run for other tools: a table for the terminal,
// JSON lines, a curl -v style transcript, an nc -v style two-way
// transcript per connection, a Mermaid sequence diagram and
// a HAR 1.2 log; and it carries a scenario's link inside exported SVG and
// PNG images, so that an image reopens the scenario it shows.
// `playground run --format` and the page's export menu use the same code,
// so the package is platform-neutral: it builds for the browser too.
package export

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

// Formats are the text formats, by the name `--format` takes.
var Formats = []string{"table", "json", "curl", "transcript", "mermaid", "har"}

// Run is what every format renders: one run of a scenario.
type Run struct {
	// Scenario is the scenario that ran (its title names the export; its
	// proxy, when present, is a participant of the diagram).
	Scenario *scenario.Scenario
	Events   []timeline.Event
	Checks   []timeline.Result
	// Start is the wall-clock time of the session clock's 0, for formats
	// that stamp absolute times (HAR). The zero time stands for the Unix
	// epoch, so an export of a recorded trace is reproducible.
	Start time.Time
	// Link reopens the scenario, when known.
	Link string
	// Tool names what made the export ("playground", and its version).
	Tool, ToolVersion string
	// EndMs and EndReason are the run's end, when it had one (wire's End:
	// "duration" or "finished").
	EndMs     float64
	EndReason string
}

// Write renders the run in format, one of Formats.
func Write(w io.Writer, format string, r *Run) error {
	switch format {
	case "table":
		return Table(w, r)
	case "json":
		return timeline.WriteJSONL(w, r.Events)
	case "curl":
		return Curl(w, r)
	case "transcript":
		return Transcript(w, r)
	case "mermaid":
		return Mermaid(w, r)
	case "har":
		return HAR(w, r)
	}
	return fmt.Errorf("%q is not a format; one of %s", format, strings.Join(Formats, ", "))
}

// IsFormat reports whether name is one of Formats.
func IsFormat(name string) bool { return slices.Contains(Formats, name) }

// errWriter keeps the first write error, so renderers can write freely
// and check once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

// echoWindowMs is how close a close event and a reset by the same side of
// one connection are for both to be one abort: the program's close (the
// event names its reason) that the kernel carried out as an RST.
const echoWindowMs = 50

// echoes marks the close events (by index) that are one abort with a
// reset by the same side: a diagram draws that as one RST, never as a FIN
// too.
type echoes struct {
	events []timeline.Event
	marked map[int]bool
	// closeOf maps a reset's index to its close's.
	closes map[int]int
}

func resetEchoes(events []timeline.Event) echoes {
	e := echoes{events: events, marked: map[int]bool{}, closes: map[int]int{}}
	for i, r := range events {
		if r.Kind != timeline.Reset {
			continue
		}
		for j, c := range events {
			if c.Kind == timeline.Close && c.Conn == r.Conn && c.By == r.By && !e.marked[j] &&
				c.T >= r.T-echoWindowMs && c.T <= r.T+echoWindowMs {
				e.marked[j] = true
				e.closes[i] = j
				break
			}
		}
	}
	return e
}

func (e echoes) at(i int) bool { return e.marked[i] }

// closeOf is the close event folded into the reset at index i, or nil.
func (e echoes) closeOf(i int) *timeline.Event {
	if j, ok := e.closes[i]; ok {
		return &e.events[j]
	}
	return nil
}
