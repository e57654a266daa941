package timeline

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// A connection's transcript is what `nc -v` shows of it, both ways: the
// bytes its client end sent (→) and received (←) in the order they went,
// each at its time on the session clock, between the lines that say how
// the connection opened and ended (who closed which end, and why). The
// page draws one in every connection card and copies it as text.

// Transcript entry directions.
const (
	DirSent = "sent" // → the connection's client end wrote the bytes
	DirRecv = "recv" // ← the client end received them
	DirNote = "note" // a line about the connection: connected, a FIN, a reset, a TCP state
)

// Transcript limits.
const (
	// TranscriptFoldBytes is how much of one send or receive a transcript
	// shows before the rest is folded away (a body of a few kilobytes
	// would push every later line out of sight); the rest stays one click
	// away and in the copied text.
	TranscriptFoldBytes = 1024
	// TranscriptMaxBytes bounds the bytes one connection's transcript
	// keeps, as a card bounds what it shows: past it, the entries say so
	// and carry no more bytes.
	TranscriptMaxBytes = 64 << 10
)

// TranscriptEntry is one line of a transcript: a send, a receive, or a
// note about the connection.
type TranscriptEntry struct {
	// Event is the index of the event it comes from in the run.
	Event int
	// T is the event's time on the session clock, in milliseconds.
	T   float64
	Dir string
	// Data is the bytes sent or received, as they went (at most what
	// TranscriptMaxBytes leaves room for).
	Data string
	// Fold is where Data is folded: Data[:Fold] is shown, the rest behind
	// a disclosure. 0 when it is short enough to show whole.
	Fold int
	// Cut is the bytes of this send or receive past TranscriptMaxBytes,
	// which the transcript no longer keeps.
	Cut int
	// Note is the note's sentence (DirNote).
	Note string
	// TCP marks a note that is a kernel TCP state change: a detail the
	// page shows fainter than who closed and why.
	TCP bool
}

// Transcript builds one connection's transcript as its events arrive.
// The zero value is not ready: make one with NewTranscript.
type Transcript struct {
	// Client and Server name the connection's two ends in notes: "client"
	// and "server" (or "proxy" on a proxied run's client connections; on
	// its upstream connections the proxy is the client).
	Client, Server string
	Entries        []TranscriptEntry
	kept           int
	halfBy         string
	reset          bool
}

// NewTranscript starts the transcript of a connection whose events carry
// hop (HopUpstream on a proxy's connections to the demo server) on a run
// that is proxied or not.
func NewTranscript(hop string, proxied bool) *Transcript {
	t := &Transcript{Client: ByClient, Server: ByServer}
	switch {
	case hop == HopUpstream:
		t.Client = ByProxy
	case proxied:
		t.Server = ByProxy
	}
	return t
}

// TranscriptOf is the transcript of conn over a run's events: the events
// in time order (TimeOrder), as the page builds it live.
func TranscriptOf(events []Event, conn string, proxied bool) []TranscriptEntry {
	var t *Transcript
	for _, i := range TimeOrder(events) {
		ev := events[i]
		if ev.Conn != conn {
			continue
		}
		if t == nil {
			t = NewTranscript(ev.Hop, proxied)
		}
		t.Add(i, ev)
	}
	if t == nil {
		return nil
	}
	return t.Entries
}

// Add takes the connection's next event (index i in the run) and returns
// the entry it adds, if any: request, response, accept and idle events
// are the server's reading of the bytes, which the transcript already
// shows as they went.
func (t *Transcript) Add(i int, ev Event) (TranscriptEntry, bool) {
	e := TranscriptEntry{Event: i, T: ev.T}
	switch ev.Kind {
	case Send, Recv:
		e.Dir = DirSent
		if ev.Kind == Recv {
			e.Dir = DirRecv
		}
		e.Data = ev.Data
		if room := TranscriptMaxBytes - t.kept; len(e.Data) > room {
			room = runeStart(e.Data, max(room, 0))
			e.Data, e.Cut = e.Data[:room], len(e.Data)-room
		}
		t.kept += len(e.Data)
		if len(e.Data) > TranscriptFoldBytes {
			e.Fold = foldAt(e.Data)
		}
	case Connect:
		// A label used again is a new connection: nothing closed yet.
		t.reset, t.halfBy = false, ""
		e.Dir, e.Note = DirNote, "connection to the "+t.Server+" succeeded"
		if t.Client == ByProxy {
			e.Note = "the proxy's connection to the server succeeded"
		}
	case Refused:
		e.Dir, e.Note = DirNote, "connection refused"
		if ev.Error != "" {
			e.Note += ": " + ev.Error
		}
	case Close:
		if t.reset {
			return e, false // a reset closed both ends already
		}
		e.Dir, e.Note = DirNote, t.closeNote(ev)
	case Reset:
		t.reset = true
		by := ev.By
		if by == "" {
			by = t.Client
		}
		e.Dir, e.Note = DirNote, "reset (RST) by the "+t.name(by)
		if ev.Error != "" {
			e.Note += ": " + ev.Error
		}
	case TCP:
		e.Dir, e.TCP = DirNote, true
		e.Note = "tcp: the " + t.name(ev.Side) + "'s end is " + ev.State
	default:
		return e, false
	}
	t.Entries = append(t.Entries, e)
	return e, true
}

// name is an end as this connection's notes call it: on an upstream
// connection the proxy is its client.
func (t *Transcript) name(end string) string {
	switch end {
	case ByClient: // and SideClient, the same word
		return t.Client
	case ByServer: // and SideServer
		return t.Server
	}
	return end
}

// closeNote says who sent a FIN, why, and which end is still open.
func (t *Transcript) closeNote(ev Event) string {
	by := ev.By
	if by == "" {
		by = t.Client
	}
	why := ""
	if ev.Reason != "" && ev.Reason != ReasonClient {
		why = " (" + ev.Reason + ")"
	}
	switch {
	case t.halfBy == "" && ev.Open != "":
		t.halfBy = by
		return "the " + by + " sent FIN" + why + ": its end is closed, the " + ev.Open + "'s end is still open"
	case t.halfBy != "":
		half := t.halfBy
		t.halfBy = ""
		return "the " + by + " closed its end too" + why + ", after the " + half + "'s FIN: both ends are closed"
	}
	return "closed by the " + by + why
}

// foldAt is where a long send or receive folds: after the last line end
// at or before TranscriptFoldBytes (headers stay whole above a body), or
// at that many bytes when there is none, never inside a character.
func foldAt(data string) int {
	if i := strings.LastIndexByte(data[:TranscriptFoldBytes], '\n'); i > 0 {
		return i + 1
	}
	return runeStart(data, TranscriptFoldBytes)
}

// runeStart backs n off to the start of the UTF-8 character it falls in.
func runeStart(s string, n int) int {
	if n >= len(s) {
		return len(s)
	}
	for back := 0; n > 0 && back < utf8.UTFMax-1 && !utf8.RuneStart(s[n]); back++ {
		n--
	}
	return n
}

// Piece is a run of a transcript's bytes as shown: text, or an escape
// (Ctl) that stands for bytes a terminal would not show: \r, \n, \t,
// \\ and \xNN. A \n escape is followed by a real line break, so each
// line of an HTTP message reads as a line with its CR LF visible.
type Piece struct {
	Text string
	Ctl  bool
}

// Pieces splits bytes for reading: control bytes, bytes that are not
// UTF-8 and the backslash become escapes (netcat's \r \n \t \\ \xNN, the
// escapes a card's input takes, so what is shown can be typed back), and
// the rest is text.
func Pieces(data string) []Piece {
	var ps []Piece
	text := func(s string) {
		if n := len(ps); n > 0 && !ps[n-1].Ctl {
			ps[n-1].Text += s
			return
		}
		ps = append(ps, Piece{Text: s})
	}
	start := 0
	for i := 0; i < len(data); {
		c := data[i]
		size := 1
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(data[i:])
			if r != utf8.RuneError || n > 1 {
				i += n
				continue
			}
		} else if c >= 0x20 && c != 0x7f && c != '\\' {
			i++
			continue
		}
		if start < i {
			text(data[start:i])
		}
		switch c {
		case '\r':
			ps = append(ps, Piece{Text: `\r`, Ctl: true})
		case '\n':
			ps = append(ps, Piece{Text: `\n`, Ctl: true})
			text("\n")
		case '\t':
			ps = append(ps, Piece{Text: `\t`, Ctl: true})
		case '\\':
			ps = append(ps, Piece{Text: `\\`, Ctl: true})
		default:
			ps = append(ps, Piece{Text: `\x` + hex2(c), Ctl: true})
		}
		i += size
		start = i
	}
	if start < len(data) {
		text(data[start:])
	}
	return ps
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&0xf]})
}

// Visible is data as one string of Pieces: "GET / HTTP/1.1\r\n" and a
// line break, and so on.
func Visible(data string) string {
	var b strings.Builder
	for _, p := range Pieces(data) {
		b.WriteString(p.Text)
	}
	return b.String()
}

// Arrow is the mark a transcript puts before an entry of direction dir.
func Arrow(dir string) string {
	switch dir {
	case DirSent:
		return "→"
	case DirRecv:
		return "←"
	}
	return "*"
}

// TranscriptMs is an entry's time as a transcript gives it: to a tenth
// of a millisecond, as the events and the checks give times.
func TranscriptMs(t float64) string { return strconv.FormatFloat(t, 'f', 1, 64) + " ms" }

// TranscriptText is a transcript as plain text, nc -v style with times:
// one line per line of bytes, each with its direction, the time on its
// first line, CR and LF spelled \r and \n, and folded bytes unfolded.
//
//	0.4 ms  *  connection to the server succeeded
//	1.2 ms  →  GET / HTTP/1.1\r\n
//	        →  Host: demo\r\n
func TranscriptText(entries []TranscriptEntry) string {
	w := 0
	for _, e := range entries {
		w = max(w, len(TranscriptMs(e.T)))
	}
	var b strings.Builder
	for _, e := range entries {
		stamp := TranscriptMs(e.T)
		lines := []string{e.Note}
		if e.Dir != DirNote {
			lines = strings.Split(strings.TrimSuffix(Visible(e.Data), "\n"), "\n")
			if e.Data == "" {
				lines = []string{""}
			}
			if e.Cut > 0 {
				lines = append(lines, "… "+strconv.Itoa(e.Cut)+" more bytes not kept (the transcript keeps "+strconv.Itoa(TranscriptMaxBytes>>10)+" KiB)")
			}
		}
		for j, line := range lines {
			if j == 0 {
				b.WriteString(strings.Repeat(" ", w-len(stamp)) + stamp)
			} else {
				b.WriteString(strings.Repeat(" ", w))
			}
			b.WriteString("  " + Arrow(e.Dir) + "  " + line + "\n")
		}
	}
	return b.String()
}
