package export

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/keepalive-playground/playground/timeline"
)

// Mermaid writes the run as a Mermaid sequence diagram in a fenced
// ```mermaid block, under the scenario's title in bold, which GitHub
// renders where Markdown is shown: the
// client and the server as participants, each request and response as a
// message labelled with its connection and time, the server's own calls
// as notes over it, and the ends of connections drawn apart: a FIN is an
// open arrow (-) ), a reset a cross (-x), and the kernel's lasting TCP
// states are notes beside the end that sits in them.
func Mermaid(w io.Writer, r *Run) error {
	ew := &errWriter{w: w}
	if r.Scenario != nil && r.Scenario.Title != "" {
		// A Markdown heading, not the diagram's own title: Mermaid centres
		// a long title over the drawing and cuts it off at the edges.
		ew.printf("**%s**\n\n", markdownText.Replace(r.Scenario.Title))
	}
	ew.printf("```mermaid\n")
	server := "Server"
	if r.Scenario != nil && r.Scenario.Server.Runtime != "" {
		server += " (" + r.Scenario.Server.Runtime + ")"
	}
	ew.printf("sequenceDiagram\n")
	ew.printf("    participant C as Client\n")
	ew.printf("    participant S as %s\n", mermaidText(server))
	echo := resetEchoes(r.Events)
	for i, e := range r.Events {
		if echo.at(i) {
			continue
		}
		label := func(what string) string {
			return mermaidText(fmt.Sprintf("%s: %s (%s ms)", e.Conn, what, fmtMs(e.T)))
		}
		switch e.Kind {
		case timeline.Connect:
			ew.printf("    Note over C,S: %s\n", label("connected"))
		case timeline.Refused:
			ew.printf("    Note over C,S: %s\n", label("connect refused"))
		case timeline.Request:
			ew.printf("    C->>S: %s\n", label(e.Method+" "+e.Path))
		case timeline.Response:
			ew.printf("    S-->>C: %s\n", label(strconv.Itoa(e.Status)))
		case timeline.Close:
			what := "FIN"
			if e.Reason != "" && e.Reason != timeline.ReasonClient {
				what += " (" + e.Reason + ")"
			}
			ew.printf("    %s: %s\n", arrow(e.By, "-)"), label(what))
		case timeline.Reset:
			what := "RST"
			if c := echo.closeOf(i); c != nil && c.Reason != "" && c.Reason != timeline.ReasonClient {
				what += " (" + c.Reason + ")"
			}
			ew.printf("    %s: %s\n", arrow(e.By, "-x"), label(what))
		case timeline.TCP:
			if timeline.Transient(e.State) || e.State == timeline.StateEstablished {
				continue
			}
			where := "left of C"
			if e.Side == timeline.SideServer {
				where = "right of S"
			}
			ew.printf("    Note %s: %s\n", where, label(e.Side+" end "+e.State))
		case timeline.Accept, timeline.Send, timeline.Recv, timeline.Idle:
			// The messages above say it; bytes belong to the curl export.
		default:
			if e.Conn == "" {
				ew.printf("    Note over S: %s\n", mermaidText(fmt.Sprintf("%s (%s ms)", serverCall(e.Kind), fmtMs(e.T))))
			}
		}
	}
	ew.printf("```\n")
	return ew.err
}

// markdownText keeps a title as plain text in Markdown.
var markdownText = strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "`", "\\`", "<", "&lt;", ">", "&gt;", "[", `\[`, "\n", " ")

// arrow is a message from the side that acted (by) to the other, drawn
// with the arrow head ("-)" an open arrow, "-x" a cross).
func arrow(by, head string) string {
	if by == timeline.ByClient {
		return "C" + head + "S"
	}
	return "S" + head + "C"
}

// serverCall names a server event as the program's call or the process's
// fate.
func serverCall(kind string) string {
	switch kind {
	case timeline.CloseCalled:
		return "close() called"
	case timeline.CloseIdleCalled:
		return "closeIdleConnections() called"
	case timeline.CloseAllCalled:
		return "closeAllConnections() called"
	case timeline.ShutdownCalled:
		return "Shutdown called"
	}
	return kind
}

// mermaidText makes text safe in a Mermaid label: '#' starts an entity
// and ';' ends a statement, so both (and the angle brackets Mermaid would
// read as HTML) become entity codes; a line break ends the message.
func mermaidText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '#':
			b.WriteString("#35;")
		case ';':
			b.WriteString("#59;")
		case '<':
			b.WriteString("#lt;")
		case '>':
			b.WriteString("#gt;")
		case '\r', '\n':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func fmtMs(ms float64) string { return strconv.FormatFloat(ms, 'f', 1, 64) }
