package emulated

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/keepalive-playground/playground/backend/proxy"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/timeline"
)

// NginxVersion is the nginx release the emulation follows (Debian 12's
// nginx package), as its Server header and error pages name it.
const NginxVersion = "1.22.1"

// nginxClientHeaderTimeout is client_header_timeout's default: the wait
// for a connection's first request, and for the rest of a request head.
const nginxClientHeaderTimeout = 60 * time.Second

// nginxUpstreamName is the upstream block's name in the rendered
// configuration; proxy_pass http://app sends "Host: app" upstream.
const nginxUpstreamName = "app"

// NewNginx starts the nginx emulation. It is a proxy.Factory.
//
// It follows nginx 1.22.1 (src/http/ngx_http_upstream.c,
// modules/ngx_http_upstream_keepalive_module.c, ngx_http_proxy_module.c
// and ngx_http_upstream_round_robin.c at release-1.22.1) where it shows on
// the wire and in the error log:
//
//   - The request goes upstream as proxy_pass renders it: HTTP/1.0 with
//     "Host: app" and "Connection: close" by default; with keepalive N,
//     HTTP/1.1 and no Connection header (the configuration codeview
//     renders carries proxy_http_version 1.1 and an empty Connection
//     header, as nginx's documentation asks). The client's headers follow
//     in order, less Host, Connection, Content-Length (nginx sets its own
//     from the buffered body), Transfer-Encoding, TE, Keep-Alive, Expect
//     and Upgrade, and less any name with an underscore.
//   - The cache of idle upstream connections is LIFO (the most recently
//     used connection goes first), holds keepalive connections and closes
//     the least recently used one when full; a cached connection is
//     closed after keepalive_timeout, after keepalive_requests requests,
//     or as soon as anything arrives on it (the server's FIN).
//   - With one server in the upstream block, a failed exchange is tried
//     again only when it failed with an error on a cached connection
//     (ngx_http_upstream_next gives such a failure its try back): a GET
//     goes to the next cached connection or a new one, while a POST,
//     LOCK or PATCH that was sent is answered 502 unless
//     proxy_next_upstream has non_idempotent. A timeout (504) or a
//     failure on a new connection is never retried.
//   - The client gets nginx's own head (Server, Date, Content-Type,
//     Content-Length or chunked, Connection) and the upstream's other
//     headers in order (Date and Server hidden), and nginx's error pages.
//   - A client that closes its end while its request is upstream gives
//     up the request (499): the upstream connection is closed too.
func NewNginx(cfg proxy.Config) (proxy.Proxy, error) {
	return start(cfg, &nginx{p: cfg.Proxy, upstream: cfg.Upstream})
}

type nginx struct {
	p        scenario.Proxy
	upstream string
}

func (n *nginx) name() string                       { return scenario.ProxyNginx }
func (n *nginx) clientHeaderTimeout() time.Duration { return nginxClientHeaderTimeout }
func (n *nginx) clientIdle() time.Duration          { return n.p.ClientIdleTimeout() }
func (n *nginx) poolSize() int                      { return n.p.KeepaliveConns() }
func (n *nginx) upstreamIdle() time.Duration        { return n.p.UpstreamIdleTimeout() }
func (n *nginx) upstreamMaxRequests() int           { return n.p.UpstreamRequests() }
func (n *nginx) readTimeout() time.Duration         { return n.p.ReadTimeout() }

func (n *nginx) keepClient(r *request, count int, _ time.Time) (bool, string) {
	switch {
	case !r.keepAliveAsked || n.p.ClientIdleTimeout() == 0:
		return false, timeline.ReasonConnectionClose
	case count >= n.p.ClientRequests():
		return false, timeline.ReasonMaxRequests
	}
	return true, ""
}

// nginxSetHeaders are the headers proxy_pass sets itself
// (ngx_http_proxy_headers), so the client's are not passed.
var nginxSetHeaders = []string{"host", "connection", "content-length", "transfer-encoding", "te", "keep-alive", "expect", "upgrade"}

func (n *nginx) upstreamRequest(r *request) []byte {
	var b strings.Builder
	version := "HTTP/1.0"
	if n.p.KeepaliveConns() > 0 {
		version = "HTTP/1.1"
	}
	fmt.Fprintf(&b, "%s %s %s\r\n", r.method, upstreamTarget(r.target), version)
	b.WriteString("Host: " + nginxUpstreamName + "\r\n")
	if n.p.KeepaliveConns() == 0 {
		b.WriteString("Connection: close\r\n")
	}
	if r.contentLength >= 0 || r.chunked {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(r.body))
	}
	for _, h := range r.headers {
		if slices.Contains(nginxSetHeaders, strings.ToLower(h[0])) {
			continue
		}
		b.WriteString(h[0] + ": " + h[1] + "\r\n")
	}
	b.WriteString("\r\n")
	b.Write(r.body)
	return []byte(b.String())
}

// upstreamTarget is the URI proxy_pass sends: the request's own, without
// the scheme and host of an absolute-form target.
func upstreamTarget(t string) string {
	if rest, ok := strings.CutPrefix(strings.ToLower(t), "http://"); ok {
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			return t[len("http://")+i:]
		}
		return "/"
	}
	return t
}

func (n *nginx) reusable(resp *response) bool {
	return n.p.KeepaliveConns() > 0 && !resp.closes
}

// nginxHidden are the upstream headers nginx does not pass as they are:
// those it writes itself, the hop-by-hop ones, and proxy_hide_header's
// defaults.
var nginxHidden = []string{"content-type", "content-length", "date", "server", "connection",
	"keep-alive", "transfer-encoding", "x-pad", "x-accel-expires", "x-accel-redirect",
	"x-accel-limit-rate", "x-accel-buffering", "x-accel-charset"}

func (n *nginx) responseHead(r *request, resp *response, keep, chunked bool) []byte {
	var b strings.Builder
	b.WriteString("HTTP/1.1 " + resp.statusLine + "\r\n")
	b.WriteString("Server: nginx/" + NginxVersion + "\r\n")
	b.WriteString("Date: " + httpDate() + "\r\n")
	if ct, ok := resp.header("Content-Type"); ok {
		b.WriteString("Content-Type: " + ct + "\r\n")
	}
	writeFraming(&b, resp, keep, chunked)
	for _, h := range resp.headers {
		if slices.Contains(nginxHidden, strings.ToLower(h[0])) {
			continue
		}
		b.WriteString(h[0] + ": " + h[1] + "\r\n")
	}
	b.WriteString("\r\n")
	return []byte(b.String())
}

// nginxStatusLines are ngx_http_status_lines for the answers nginx gives
// itself here.
var nginxStatusLines = map[int]string{
	400: "400 Bad Request",
	404: "404 Not Found",
	408: "408 Request Time-out",
	413: "413 Request Entity Too Large",
	414: "414 Request-URI Too Large",
	500: "500 Internal Server Error",
	501: "501 Not Implemented",
	502: "502 Bad Gateway",
	503: "503 Service Temporarily Unavailable",
	504: "504 Gateway Time-out",
	505: "505 HTTP Version Not Supported",
}

// errorResponse is nginx's special response: its error page
// (ngx_http_special_response.c) with server_tokens on.
func (n *nginx) errorResponse(status int, keep bool) []byte {
	line := nginxStatusLines[status]
	if line == "" {
		line = fmt.Sprintf("%d", status)
	}
	return htmlError(line, "nginx/"+NginxVersion, "<hr><center>nginx/"+NginxVersion+"</center>\r\n", keep)
}

func (n *nginx) retry(r *request, ft failure, cached, sent bool) bool {
	next := n.p.NextUpstreamList()
	if !cached || ft != ftError || !slices.Contains(next, "error") {
		return false
	}
	nonIdempotent := r.method == "POST" || r.method == "LOCK" || r.method == "PATCH"
	return !(nonIdempotent && sent) || slices.Contains(next, "non_idempotent")
}

func (n *nginx) failStatus(ft failure) int {
	if ft == ftTimeout {
		return 504
	}
	return 502
}

// logLine is the error log's message after the level, with the context
// nginx appends (ngx_http_log_error_handler).
func (n *nginx) logLine(msg, action string, r *request, upstream string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[error] %s while %s, client: 127.0.0.1, server: , request: %q", msg, action, r.line)
	fmt.Fprintf(&b, ", upstream: %q", "http://"+upstream+upstreamTarget(r.target))
	if h, ok := r.header("Host"); ok {
		fmt.Fprintf(&b, ", host: %q", h)
	}
	if ref, ok := r.header("Referer"); ok {
		fmt.Fprintf(&b, ", referrer: %q", ref)
	}
	return b.String()
}

func httpDate() string { return time.Now().UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT") }
