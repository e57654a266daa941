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

// NewALB starts the model of an AWS Application Load Balancer. It is a
// proxy.Factory.
//
// An ALB cannot run here, so this kind is MODELLED from AWS's
// documentation (codeview.ALBDocs, codeview.ALBTroubleshooting), and the
// page says so. What the documentation states, the model does:
//
//   - the connection idle timeout (default 60 s) closes a client or
//     target connection on which no data was sent or received for that
//     long; a target that keeps a request unanswered that long gets the
//     client a 504;
//   - the HTTP client keepalive duration (default 3600 s) bounds a client
//     connection's life: the first response after it carries
//     Connection: close;
//   - target connections are HTTP/1.1 and reused;
//   - there is no retry: when a target closes the connection (FIN or RST)
//     while a request is outstanding, or refuses the connect, the client
//     gets 502 Bad Gateway.
//
// What the pages leave open (header order, the trace id's form, how many
// idle target connections are kept) is the model's choice, kept simple:
// the request goes up with the client's headers and X-Forwarded-For,
// -Proto, -Port and X-Amzn-Trace-Id added, the target's headers come back
// as they are, and up to MaxKeepalive idle target connections are kept.
func NewALB(cfg proxy.Config) (proxy.Proxy, error) {
	return start(cfg, &alb{p: cfg.Proxy})
}

type alb struct {
	p     scenario.Proxy
	trace int
}

func (a *alb) name() string                       { return scenario.ProxyALB }
func (a *alb) clientHeaderTimeout() time.Duration { return a.p.IdleTimeout() }
func (a *alb) clientIdle() time.Duration          { return a.p.IdleTimeout() }
func (a *alb) poolSize() int                      { return scenario.MaxKeepalive }
func (a *alb) upstreamIdle() time.Duration        { return a.p.IdleTimeout() }
func (a *alb) upstreamMaxRequests() int           { return 0 }
func (a *alb) readTimeout() time.Duration         { return a.p.IdleTimeout() }

func (a *alb) keepClient(r *request, _ int, opened time.Time) (bool, string) {
	switch {
	case !r.keepAliveAsked:
		return false, timeline.ReasonConnectionClose
	case time.Since(opened) >= a.p.ClientKeepAlive():
		return false, timeline.ReasonClientKeepAlive
	}
	return true, ""
}

// albHopByHop are not passed on in either direction.
var albHopByHop = []string{"connection", "keep-alive", "te", "upgrade", "proxy-connection", "transfer-encoding", "content-length"}

func (a *alb) upstreamRequest(r *request) []byte {
	a.trace++
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\n", r.method, upstreamTarget(r.target))
	for _, h := range r.headers {
		if slices.Contains(albHopByHop, strings.ToLower(h[0])) {
			continue
		}
		b.WriteString(h[0] + ": " + h[1] + "\r\n")
	}
	if r.contentLength >= 0 || r.chunked {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(r.body))
	}
	b.WriteString("X-Forwarded-For: 127.0.0.1\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Port: 80\r\n")
	fmt.Fprintf(&b, "X-Amzn-Trace-Id: Root=1-00000000-%024x\r\n\r\n", a.trace)
	b.Write(r.body)
	return []byte(b.String())
}

func (a *alb) reusable(resp *response) bool { return !resp.closes }

func (a *alb) responseHead(r *request, resp *response, keep, chunked bool) []byte {
	var b strings.Builder
	b.WriteString("HTTP/1.1 " + resp.statusLine + "\r\n")
	if _, ok := resp.header("Date"); !ok {
		b.WriteString("Date: " + httpDate() + "\r\n")
	}
	for _, h := range resp.headers {
		if slices.Contains(albHopByHop, strings.ToLower(h[0])) {
			continue
		}
		b.WriteString(h[0] + ": " + h[1] + "\r\n")
	}
	writeFraming(&b, resp, keep, chunked)
	b.WriteString("\r\n")
	return []byte(b.String())
}

var albStatusText = map[int]string{
	400: "Bad Request", 413: "Request Entity Too Large", 414: "Request-URI Too Long",
	501: "Not Implemented", 502: "Bad Gateway", 503: "Service Temporarily Unavailable",
	504: "Gateway Time-out", 505: "HTTP Version Not Supported",
}

// errorResponse is the load balancer's own answer, an HTML page from
// "awselb/2.0" as the troubleshooting page shows them.
func (a *alb) errorResponse(status int, keep bool) []byte {
	line := fmt.Sprintf("%d %s", status, albStatusText[status])
	return htmlError(line, "awselb/2.0", "", keep)
}

// retry: an ALB does not retry a request on another target connection.
func (a *alb) retry(*request, failure, bool, bool) bool { return false }

func (a *alb) failStatus(ft failure) int {
	if ft == ftTimeout {
		return 504
	}
	return 502
}

// logLine is the model's access-log entry for the failed request (the
// fields that matter of AWS's format: elb_status_code,
// target_status_code, the request), with the cause AWS's troubleshooting
// page gives for it.
func (a *alb) logLine(msg, action string, r *request, upstream string) string {
	status := 502
	cause := "the target closed the connection (FIN) while the load balancer's request was outstanding"
	switch {
	case strings.Contains(msg, "timed out"):
		status = 504
		cause = "the target did not answer before the idle timeout elapsed"
	case strings.Contains(msg, "reset"):
		cause = "the target reset the connection (RST) while the load balancer's request was outstanding"
	case strings.Contains(msg, "connect()"):
		cause = "the target refused the connection"
	case strings.Contains(msg, "invalid"):
		cause = "the target's response was malformed"
	}
	return fmt.Sprintf("[modelled access log] elb_status_code=%d target_status_code=- target=%s request=%q: %s",
		status, upstream, r.method+" http://"+hostOf(r)+":80"+upstreamTarget(r.target)+" HTTP/1.1", cause)
}

func hostOf(r *request) string {
	if h, ok := r.header("Host"); ok {
		return h
	}
	return "-"
}
