package editor

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The editor writes raw bytes (a send step, a body, a header value) as
// text, netcat style, so that CR and LF are visible and any byte can be
// typed:
//
//	\r  CR        \n  LF        \t  tab
//	\\  backslash \xHH any byte (two hex digits)
//
// A line break typed in the text means CRLF, as `nc -C` sends it, so a
// request pasted from a terminal works as is. The one exception is a line
// break right after the escape \n: that one is layout only, which is how
// EncodeBytes shows a request one line per line without adding bytes.
// Printable characters stand for their UTF-8 bytes; everything else
// (control bytes, invalid UTF-8, non-printing runes) is written as \xHH,
// so EncodeBytes and DecodeBytes are exact inverses for every string.

// EncodeBytes renders s in the editor's text convention, breaking the line
// after every LF.
func EncodeBytes(s string) string { return encode(s, true) }

// encodeValue renders s without layout line breaks and with edge spaces
// escaped, for a header value that shares a line with its name.
func encodeValue(s string) string {
	t := encode(s, false)
	lead := len(t) - len(strings.TrimLeft(t, " "))
	t = strings.Repeat(`\x20`, lead) + t[lead:]
	trail := len(t) - len(strings.TrimRight(t, " "))
	return t[:len(t)-trail] + strings.Repeat(`\x20`, trail)
}

func encode(s string, layout bool) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		switch c {
		case '\\':
			b.WriteString(`\\`)
		case '\r':
			b.WriteString(`\r`)
		case '\n':
			b.WriteString(`\n`)
			if layout {
				b.WriteByte('\n')
			}
		case '\t':
			b.WriteString(`\t`)
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if (r == utf8.RuneError && size == 1) || !unicode.IsPrint(r) {
				for _, x := range []byte(s[i : i+size]) {
					fmt.Fprintf(&b, `\x%02X`, x)
				}
			} else {
				b.WriteString(s[i : i+size])
			}
			i += size
			continue
		}
		i++
	}
	return b.String()
}

// DecodeBytes reads text in the editor's convention back into bytes.
func DecodeBytes(text string) (string, error) {
	var b strings.Builder
	afterLF := false // the last thing read was the escape \n
	for i := 0; i < len(text); {
		c := text[i]
		switch c {
		case '\r', '\n':
			// A typed line break; a pasted CRLF is one break.
			if c == '\r' && i+1 < len(text) && text[i+1] == '\n' {
				i++
			}
			i++
			if !afterLF {
				b.WriteString("\r\n")
			}
			afterLF = false
			continue
		case '\\':
			if i+1 >= len(text) {
				return "", fmt.Errorf(`a lone "\" ends the text; write \\ for a backslash`)
			}
			afterLF = false
			switch e := text[i+1]; e {
			case 'r':
				b.WriteByte('\r')
			case 'n':
				b.WriteByte('\n')
				afterLF = true
			case 't':
				b.WriteByte('\t')
			case '\\':
				b.WriteByte('\\')
			case 'x':
				if i+4 > len(text) || !isHex(text[i+2]) || !isHex(text[i+3]) {
					end := min(i+4, len(text))
					return "", fmt.Errorf(`%q: \x takes two hex digits, as in \x00`, text[i:end])
				}
				b.WriteByte(unhex(text[i+2])<<4 | unhex(text[i+3]))
				i += 4
				continue
			default:
				_, size := utf8.DecodeRuneInString(text[i+1:])
				return "", fmt.Errorf(`%q is not an escape; use \r, \n, \t, \\ or \xHH`, text[i:i+1+size])
			}
			i += 2
		default:
			afterLF = false
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// EncodeHeaders renders headers one "Name: value" per line, sorted by
// name (the order Request.Bytes writes them in), leaving out the names in
// skip. Values use the byte convention, so a value with CR or LF (which
// Validate rejects) still shows, visibly.
func EncodeHeaders(h map[string]string, skip ...string) string {
	names := make([]string, 0, len(h))
	for k := range h {
		if !slices.Contains(skip, k) {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	lines := make([]string, len(names))
	for i, k := range names {
		lines[i] = k + ": " + encodeValue(h[k])
	}
	return strings.Join(lines, "\n")
}

// DecodeHeaders reads EncodeHeaders' format: blank lines are skipped, the
// name ends at the first ":", spaces around name and value are dropped
// (write \x20 to keep one). It returns nil for no headers.
func DecodeHeaders(text string) (map[string]string, error) {
	var h map[string]string
	for n, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		name, raw, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf(`line %d: %q has no ":" between name and value`, n+1, line)
		}
		name = strings.TrimSpace(name)
		v, err := DecodeBytes(strings.Trim(raw, " \t"))
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n+1, err)
		}
		if _, dup := h[name]; dup {
			return nil, fmt.Errorf("line %d: %q is listed twice", n+1, name)
		}
		if h == nil {
			h = map[string]string{}
		}
		h[name] = v
	}
	return h, nil
}
