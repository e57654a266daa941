package export

import (
	"encoding/json"
	"fmt"
	"github.com/keepalive-playground/playground/wire"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/keepalive-playground/playground/timeline"
)

// Table writes the run as `playground run` prints it: one event per row,
// then each check's verdict.
func Table(w io.Writer, r *Run) error {
	ew := &errWriter{w: w}
	if r.Scenario != nil && r.Scenario.Title != "" {
		ew.printf("%s\n\n", r.Scenario.Title)
	}
	if err := EventTable(ew, r.Events); err != nil {
		return err
	}
	if r.EndReason != "" {
		ew.printf("\nThe run ended at %.1f ms: %s.\n", r.EndMs, wire.EndSentence(r.EndReason))
	}
	if err := Outcomes(ew, r.Events); err != nil {
		return err
	}
	if err := LastingStates(ew, r.Events); err != nil {
		return err
	}
	if len(r.Checks) > 0 {
		ew.printf("\n")
		for _, c := range r.Checks {
			mark := "PASS"
			if !c.Pass {
				mark = "FAIL"
			}
			ew.printf("%s  %s", mark, c.Name)
			if c.Detail != "" {
				ew.printf(" — %s", c.Detail)
			}
			ew.printf("\n")
		}
	}
	return ew.err
}

// LastingStates writes the TCP state each end was in at the last event,
// as the kernel reported it: who sits in TIME_WAIT, which CLOSE_WAIT
// lasts.
func LastingStates(w io.Writer, events []timeline.Event) error {
	var lasting []timeline.StateSpan
	for _, s := range timeline.StateSpans(events) {
		if s.Lasting() {
			lasting = append(lasting, s)
		}
	}
	if len(lasting) == 0 {
		return nil
	}
	fmt.Fprintf(w, "\nThe kernel's TCP states at the end:\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, s := range lasting {
		fmt.Fprintf(tw, "  %s\t%s end\t%s\tsince %.1f ms\n", s.Conn, s.Side, s.State, s.Start)
	}
	return tw.Flush()
}

// EventTable writes events as aligned rows: time, connection, kind,
// detail.
func EventTable(w io.Writer, events []timeline.Event) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "%9s\t%s\t%s\t%s\n", "t (ms)", "conn", "event", "detail")
	for _, e := range events {
		conn := e.Conn
		if e.Hop != "" {
			conn += " ↑" // a proxy's upstream connection: the proxy is its client
		}
		fmt.Fprintf(tw, "%9.1f\t%s\t%s\t%s\n", e.T, conn, e.Kind, Detail(e))
	}
	return tw.Flush()
}

// Detail is the one-line rest of an event: who closed and why, the
// request, the status, the TCP state, or the bytes with CR and LF shown
// as escapes.
func Detail(e timeline.Event) string {
	if e.Kind == timeline.Outcome {
		return OutcomeText(e)
	}
	var parts []string
	if e.Side != "" {
		parts = append(parts, e.Side+" end")
	}
	if e.State != "" {
		parts = append(parts, e.State)
	}
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
	if e.Upstream != "" {
		parts = append(parts, "→ "+e.Upstream)
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

// OutcomeText says what a pooled request came to, as the client saw it:
// "pool app: GET /b → 200 on app1 (reused)", "pool web: GET / → socket
// hang up on web1 (reused)".
func OutcomeText(e timeline.Event) string {
	answer := fmt.Sprint(e.Status)
	if e.Error != "" {
		answer = e.Error
	}
	s := fmt.Sprintf("pool %s: %s %s → %s", e.Pool, e.Method, e.Path, answer)
	if e.Conn != "" {
		s += " on " + e.Conn
	}
	var notes []string
	if e.Reused {
		notes = append(notes, "reused")
	}
	if e.Retried {
		notes = append(notes, "retried")
	}
	if len(notes) > 0 {
		s += " (" + strings.Join(notes, ", ") + ")"
	}
	return s
}

// Outcomes writes the pooled requests' outcomes, one a line, when the run
// has any: what the client's program would have logged.
func Outcomes(w io.Writer, events []timeline.Event) error {
	first := true
	for _, e := range events {
		if e.Kind != timeline.Outcome {
			continue
		}
		if first {
			if _, err := fmt.Fprintf(w, "\nThe pooled requests, as their clients saw them:\n"); err != nil {
				return err
			}
			first = false
		}
		if _, err := fmt.Fprintf(w, "  %9.1f ms  %s\n", e.T, OutcomeText(e)); err != nil {
			return err
		}
	}
	return nil
}
