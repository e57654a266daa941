package client

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/wire"
)

// Unescape turns what a person typed into the raw bytes to send, netcat
// style: the escapes \r \n \t \\ and \xNN are decoded, and when crlf is
// set a bare line feed (Enter) becomes CR LF, as `netcat -C` does. An
// unknown escape is an error that names it.
func Unescape(s string, crlf bool) ([]byte, error) {
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\n' && crlf:
			b = append(b, '\r', '\n')
		case c == '\\' && i+1 < len(s):
			i++
			switch s[i] {
			case 'r':
				b = append(b, '\r')
			case 'n':
				b = append(b, '\n')
			case 't':
				b = append(b, '\t')
			case '\\':
				b = append(b, '\\')
			case 'x':
				if i+2 >= len(s) {
					return nil, fmt.Errorf(`"\x" needs two hex digits`)
				}
				v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
				if err != nil {
					return nil, fmt.Errorf(`"\x%s" is not a byte in hex`, s[i+1:i+3])
				}
				b = append(b, byte(v))
				i += 2
			default:
				return nil, fmt.Errorf(`"\%c" is not an escape; write \\ for a backslash`, s[i])
			}
		default:
			b = append(b, c)
		}
	}
	return b, nil
}

// Part is a run of received bytes as shown: text, or a control byte
// spelled as its escape (\r, \n, \t, \xNN) for the page to style apart.
type Part struct {
	Text string
	Ctl  bool
}

// Visible splits raw bytes for reading: control bytes become escape
// parts (a line feed also ends the line, as it would in a terminal), and
// the rest is text.
func Visible(data string) []Part {
	var parts []Part
	text := func(s string) {
		if n := len(parts); n > 0 && !parts[n-1].Ctl {
			parts[n-1].Text += s
			return
		}
		parts = append(parts, Part{Text: s})
	}
	start := 0
	for i := 0; i < len(data); i++ {
		c := data[i]
		if c >= 0x20 && c != 0x7f {
			continue
		}
		if start < i {
			text(data[start:i])
		}
		start = i + 1
		switch c {
		case '\r':
			parts = append(parts, Part{Text: `\r`, Ctl: true})
		case '\n':
			parts = append(parts, Part{Text: `\n`, Ctl: true})
			text("\n")
		case '\t':
			parts = append(parts, Part{Text: `\t`, Ctl: true})
		default:
			parts = append(parts, Part{Text: fmt.Sprintf(`\x%02x`, c), Ctl: true})
		}
	}
	if start < len(data) {
		text(data[start:])
	}
	return parts
}

// NextLabel is the first label in A, B, … Z, AA, AB, … not in use.
func NextLabel(used func(string) bool) string {
	for n := 0; ; n++ {
		l := label(n)
		if !used(l) {
			return l
		}
	}
}

func label(n int) string {
	s := ""
	for n++; n > 0; n = (n - 1) / 26 {
		s = string(rune('A'+(n-1)%26)) + s
	}
	return s
}

// Control is one server control button (a row's scenario.Control).
type Control = scenario.Control

// Controls lists the server controls of a runtime, as its program would
// call them: its row's Controls.
func Controls(runtime string) []Control {
	rt, _ := scenario.Lookup(runtime)
	return rt.Controls
}

// Knobs summarises a server's effective settings (defaults applied) in
// one line, the way its program sets them: each knob of its runtime by
// its Term, quiet knobs only when they differ from their default.
func Knobs(s scenario.Server) string {
	ms := func(v int) string {
		switch {
		case v == 0:
			return "off"
		case v%1000 == 0:
			return fmt.Sprintf("%d s", v/1000)
		}
		return fmt.Sprintf("%d ms", v)
	}
	var parts []string
	for _, k := range s.Spec().Knobs {
		def := s
		if k.Bool {
			*def.BoolKnob(k.Name) = nil
			v := s.Bool(k.Name)
			switch {
			case v == def.Bool(k.Name):
			case v:
				parts = append(parts, k.Term)
			default:
				parts = append(parts, k.Term+" off")
			}
			continue
		}
		*def.IntKnob(k.Name) = nil
		v := s.Int(k.Name)
		if k.Quiet && v == def.Int(k.Name) {
			continue
		}
		if k.Unit == "ms" {
			parts = append(parts, k.Term+" "+ms(v))
		} else {
			parts = append(parts, fmt.Sprintf("%s %d", k.Term, v))
		}
	}
	return strings.Join(parts, " · ")
}

// RuntimeChip is the server bar's name for the runtime: its label, "Node
// 24.22" (the release line and minor a learner compares with their own
// `node --version`).
func RuntimeChip(rt scenario.Runtime) string { return scenario.Label(rt.Name) }

// RuntimeTitle is the chip's tooltip: the schema name, the exact release
// and its support status.
func RuntimeTitle(rt scenario.Runtime) string {
	if rt.Release == "" {
		return rt.Name + ": " + rt.Label + ", " + rt.Support
	}
	return rt.Name + ": " + rt.Language.Name() + " " + rt.Release + ", " + rt.Support
}

// RunEndText says that a run ended at t ms on the session clock, and why
// (wire's End reason).
func RunEndText(t float64, reason string) string {
	return fmt.Sprintf("The run ended at %s: %s. Run it again, or Restart the server to try things by hand.", seconds(t), wire.EndSentence(reason))
}

// seconds writes a session-clock time the way the page's cards do.
func seconds(ms float64) string {
	if ms < 1000 {
		return fmt.Sprintf("%.0f ms", ms)
	}
	return fmt.Sprintf("%.2f s", ms/1000)
}
