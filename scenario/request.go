package scenario

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
)

// header finds a header by name, ignoring case as HTTP does.
func (r Request) header(name string) (string, bool) {
	for k, v := range r.Headers {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Bytes renders the request as raw HTTP/1.x: the request line (GET / and
// HTTP/1.1 by default), Host first (the given one, else "Host: demo"),
// the other headers sorted by name, Content-Length when there is a body
// and no Content-Length or Transfer-Encoding header was given, an empty
// line and the body. Header names keep the case they were given in, so a
// lesson can show exactly what goes on the wire.
func (r Request) Bytes() []byte {
	method, path, version := r.Method, r.Path, r.Version
	if method == "" {
		method = DefaultMethod
	}
	if path == "" {
		path = DefaultPath
	}
	if version == "" {
		version = DefaultVersion
	}
	var b bytes.Buffer
	b.WriteString(method + " " + path + " " + version + "\r\n")
	hostName, host := "Host", DefaultHost
	for k, v := range r.Headers {
		if strings.EqualFold(k, "Host") {
			hostName, host = k, v
		}
	}
	b.WriteString(hostName + ": " + host + "\r\n")
	for _, k := range sortedKeys(r.Headers) {
		if strings.EqualFold(k, "Host") {
			continue
		}
		b.WriteString(k + ": " + r.Headers[k] + "\r\n")
	}
	if r.Body != "" {
		_, cl := r.header("Content-Length")
		_, te := r.header("Transfer-Encoding")
		if !cl && !te {
			b.WriteString("Content-Length: " + strconv.Itoa(len(r.Body)) + "\r\n")
		}
	}
	b.WriteString("\r\n")
	b.WriteString(r.Body)
	return b.Bytes()
}

// Bytes is what a send or request step writes; nil for open, close and
// reset steps.
func (st Step) Bytes() []byte {
	switch {
	case st.Send != nil:
		return []byte(*st.Send)
	case st.Request != nil:
		return st.Request.Bytes()
	}
	return nil
}

// Conns lists the script's connection labels in order of first use.
func (c Client) Conns() []string {
	var out []string
	for _, st := range c.Steps {
		if st.Pool == "" && !slices.Contains(out, st.Conn) {
			out = append(out, st.Conn)
		}
	}
	return out
}
