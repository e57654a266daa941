package export

import (
	"encoding/json"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/keepalive-playground/playground/timeline"
)

// HAR 1.2 (the HTTP Archive format that browsers' developer tools export
// and import). The optional fields follow what Chromium's DevTools writes
// (front_end/models/har/Log.ts, and Importer.ts reads the same back):
// entry.connection is the server's port and entry._connectionId the
// connection's own id, a decimal string, never "0", the same for every
// request on one connection; a request without a response carries
// DevTools' own net error in response._error.
type harFile struct {
	Log harLog `json:"log"`
}

type harLog struct {
	Version string     `json:"version"`
	Creator harCreator `json:"creator"`
	Pages   []harPage  `json:"pages"`
	Entries []harEntry `json:"entries"`
	Comment string     `json:"comment,omitempty"`
}

type harCreator struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type harPage struct {
	StartedDateTime string         `json:"startedDateTime"`
	ID              string         `json:"id"`
	Title           string         `json:"title"`
	PageTimings     harPageTimings `json:"pageTimings"`
}

type harPageTimings struct {
	OnContentLoad float64 `json:"onContentLoad"`
	OnLoad        float64 `json:"onLoad"`
}

type harEntry struct {
	Pageref         string      `json:"pageref,omitempty"`
	StartedDateTime string      `json:"startedDateTime"`
	Time            float64     `json:"time"`
	Request         harRequest  `json:"request"`
	Response        harResponse `json:"response"`
	Cache           struct{}    `json:"cache"`
	Timings         harTimings  `json:"timings"`
	ServerIPAddress string      `json:"serverIPAddress"`
	// Connection is the server's port, and ConnectionID the connection's
	// own number, as Chromium's DevTools writes them (and reads them back
	// on import): one number per TCP connection, never "0".
	Connection   string `json:"connection"`
	ConnectionID string `json:"_connectionId"`
	// Conn is the playground's label for the connection (A, B, …).
	Conn string `json:"_conn"`
}

type harNV struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type harRequest struct {
	Method      string       `json:"method"`
	URL         string       `json:"url"`
	HTTPVersion string       `json:"httpVersion"`
	Headers     []harNV      `json:"headers"`
	QueryString []harNV      `json:"queryString"`
	Cookies     []harNV      `json:"cookies"`
	HeadersSize int          `json:"headersSize"`
	BodySize    int          `json:"bodySize"`
	PostData    *harPostData `json:"postData,omitempty"`
}

type harPostData struct {
	MimeType string `json:"mimeType"`
	Text     string `json:"text"`
}

type harResponse struct {
	Status      int        `json:"status"`
	StatusText  string     `json:"statusText"`
	HTTPVersion string     `json:"httpVersion"`
	Headers     []harNV    `json:"headers"`
	Cookies     []harNV    `json:"cookies"`
	Content     harContent `json:"content"`
	RedirectURL string     `json:"redirectURL"`
	HeadersSize int        `json:"headersSize"`
	BodySize    int        `json:"bodySize"`
	Error       string     `json:"_error,omitempty"`
}

type harContent struct {
	Size     int    `json:"size"`
	MimeType string `json:"mimeType"`
	Text     string `json:"text,omitempty"`
	Encoding string `json:"encoding,omitempty"`
}

type harTimings struct {
	Blocked float64 `json:"blocked"`
	DNS     float64 `json:"dns"`
	SSL     float64 `json:"ssl"`
	Connect float64 `json:"connect"`
	Send    float64 `json:"send"`
	Wait    float64 `json:"wait"`
	Receive float64 `json:"receive"`
}

// harTime renders a session-clock time as HAR's ISO 8601 with
// milliseconds, in UTC.
func harTime(start time.Time, ms float64) string {
	if start.IsZero() {
		start = time.Unix(0, 0)
	}
	return start.Add(time.Duration(ms * float64(time.Millisecond))).UTC().Format("2006-01-02T15:04:05.000Z")
}

// HAR writes the run's HTTP exchanges as a HAR 1.2 log, one entry per
// request the client sent, in the order sent; every entry on one
// connection has the same connection id.
func HAR(w io.Writer, r *Run) error {
	title := "Keep-Alive Playground run"
	if r.Scenario != nil && r.Scenario.Title != "" {
		title = r.Scenario.Title
	}
	tool := r.Tool
	if tool == "" {
		tool = "Keep-Alive Playground"
	}
	f := harFile{Log: harLog{
		Version: "1.2",
		Creator: harCreator{Name: tool, Version: r.ToolVersion},
		Pages: []harPage{{
			StartedDateTime: harTime(r.Start, 0), ID: "page_1", Title: title,
			PageTimings: harPageTimings{OnContentLoad: -1, OnLoad: -1},
		}},
		Entries: []harEntry{},
		Comment: r.Link,
	}}
	cs := connections(r.Events)
	def := runHost(cs)
	for _, c := range cs {
		f.Log.Entries = append(f.Log.Entries, harEntries(r.Start, c, def)...)
	}
	sortEntries(f.Log.Entries)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(f)
}

func sortEntries(es []harEntry) {
	// Insertion sort keeps each connection's order for equal times.
	for i := 1; i < len(es); i++ {
		for j := i; j > 0 && es[j].StartedDateTime < es[j-1].StartedDateTime; j-- {
			es[j], es[j-1] = es[j-1], es[j]
		}
	}
}

func harEntries(start time.Time, c *conn, defHost string) []harEntry {
	host, port := c.host(defHost)
	var out []harEntry
	end := c.end()
	for k, req := range c.req.msgs {
		if !strings.HasPrefix(req.first[2], "HTTP/") || req.first[0] == "" {
			continue // not a request a browser would record (a raw probe)
		}
		e := harEntry{
			Pageref:         "page_1",
			StartedDateTime: harTime(start, req.start),
			ServerIPAddress: "127.0.0.1",
			Connection:      strconv.Itoa(port),
			ConnectionID:    strconv.Itoa(c.index + 1),
			Conn:            c.label,
			Request: harRequest{
				Method:      req.first[0],
				URL:         "http://" + host + req.first[1],
				HTTPVersion: req.first[2],
				Headers:     nvs(req.headers),
				QueryString: query(req.first[1]),
				Cookies:     []harNV{},
				HeadersSize: req.headSize,
				BodySize:    req.bodySize,
			},
			Timings: harTimings{Blocked: -1, DNS: -1, SSL: -1, Connect: -1},
		}
		if strings.HasPrefix(req.first[1], "http://") {
			e.Request.URL = req.first[1] // an absolute-form target
		}
		if len(req.body) > 0 {
			e.Request.PostData = &harPostData{MimeType: req.header("Content-Type"), Text: string(req.body)}
		}
		sent := req.end
		e.Timings.Send = round3(sent - req.start)
		resp := c.finalResponse(k)
		if resp == nil {
			e.Response = harResponse{
				HTTPVersion: "", Headers: []harNV{}, Cookies: []harNV{},
				Content:     harContent{MimeType: "x-unknown"},
				HeadersSize: -1, BodySize: -1, Error: c.netError(),
			}
			e.Timings.Wait = round3(max(end-sent, 0))
			e.Timings.Receive = 0
		} else {
			text, enc := string(resp.body), ""
			if !utf8.ValidString(text) {
				text, enc = "", "" // binary bodies are left out, as DevTools does without content
			}
			e.Response = harResponse{
				Status:      resp.status,
				StatusText:  resp.first[2],
				HTTPVersion: resp.first[0],
				Headers:     nvs(resp.headers),
				Cookies:     []harNV{},
				Content: harContent{
					Size:     len(resp.body),
					MimeType: cmpOr(resp.header("Content-Type"), "x-unknown"),
					Text:     text,
					Encoding: enc,
				},
				RedirectURL: resp.header("Location"),
				HeadersSize: resp.headSize,
				BodySize:    resp.bodySize,
			}
			if !resp.complete {
				e.Response.Error = c.netError()
			}
			e.Timings.Wait = round3(max(resp.start-sent, 0))
			e.Timings.Receive = round3(max(resp.end-resp.start, 0))
		}
		e.Time = round3(e.Timings.Send + e.Timings.Wait + e.Timings.Receive)
		out = append(out, e)
	}
	return out
}

// finalResponse is the response to the kth request (1xx interim answers
// skipped), or nil.
func (c *conn) finalResponse(k int) *message {
	n := 0
	for _, m := range c.resp.msgs {
		if m.status >= 100 && m.status < 200 {
			continue
		}
		if n == k {
			return m
		}
		n++
	}
	return nil
}

// end is when the connection ended (its last close or reset), or its
// last event.
func (c *conn) end() float64 {
	t := 0.0
	for _, e := range c.events {
		t = e.T
	}
	return t
}

// netError names how the connection failed a request, as Chromium's
// net stack names it in DevTools.
func (c *conn) netError() string {
	for _, e := range c.events {
		switch e.Kind {
		case timeline.Refused:
			return "net::ERR_CONNECTION_REFUSED"
		case timeline.Reset:
			return "net::ERR_CONNECTION_RESET"
		case timeline.Close:
			if e.By != timeline.ByClient {
				return "net::ERR_EMPTY_RESPONSE"
			}
		}
	}
	return "net::ERR_CONNECTION_CLOSED"
}

func nvs(h [][2]string) []harNV {
	out := make([]harNV, len(h))
	for i, kv := range h {
		out[i] = harNV{kv[0], kv[1]}
	}
	return out
}

func query(target string) []harNV {
	out := []harNV{}
	_, q, ok := strings.Cut(target, "?")
	if !ok {
		return out
	}
	for _, part := range strings.Split(q, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		if uv, err := url.QueryUnescape(v); err == nil {
			v = uv
		}
		out = append(out, harNV{k, v})
	}
	return out
}

func round3(ms float64) float64 { return float64(int64(ms*1000+0.5)) / 1000 }

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
