package node

import (
	"strconv"
	"strings"
	"time"
)

// Node's canned answers to a socket error, written before destroy
// (lib/_http_server.js socketOnError), byte for byte.
const (
	badRequestResponse     = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"
	headerOverflowResponse = "HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n"
	requestTimeoutResponse = "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n"
)

// dateLayout is Date.prototype.toUTCString, which Node's Date header uses.
const dateLayout = "Mon, 02 Jan 2006 15:04:05 GMT"

// statusText is Node's http.STATUS_CODES.
var statusText = map[int]string{
	100: "Continue", 101: "Switching Protocols", 102: "Processing", 103: "Early Hints",
	200: "OK", 201: "Created", 202: "Accepted", 203: "Non-Authoritative Information",
	204: "No Content", 205: "Reset Content", 206: "Partial Content", 207: "Multi-Status",
	208: "Already Reported", 226: "IM Used",
	300: "Multiple Choices", 301: "Moved Permanently", 302: "Found", 303: "See Other",
	304: "Not Modified", 305: "Use Proxy", 307: "Temporary Redirect", 308: "Permanent Redirect",
	400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden",
	404: "Not Found", 405: "Method Not Allowed", 406: "Not Acceptable",
	407: "Proxy Authentication Required", 408: "Request Timeout", 409: "Conflict",
	410: "Gone", 411: "Length Required", 412: "Precondition Failed", 413: "Payload Too Large",
	414: "URI Too Long", 415: "Unsupported Media Type", 416: "Range Not Satisfiable",
	417: "Expectation Failed", 418: "I'm a Teapot", 421: "Misdirected Request",
	422: "Unprocessable Entity", 423: "Locked", 424: "Failed Dependency", 425: "Too Early",
	426: "Upgrade Required", 428: "Precondition Required", 429: "Too Many Requests",
	431: "Request Header Fields Too Large", 451: "Unavailable For Legal Reasons",
	500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway",
	503: "Service Unavailable", 504: "Gateway Timeout", 505: "HTTP Version Not Supported",
	506: "Variant Also Negotiates", 507: "Insufficient Storage", 508: "Loop Detected",
	509: "Bandwidth Limit Exceeded", 510: "Not Extended", 511: "Network Authentication Required",
}

// outgoing is what Node's ServerResponse knows when it stores its header.
type outgoing struct {
	status  int
	headers [][2]string // passed to writeHead, in order
	body    string      // passed to end()
	head    bool        // the request was HEAD
	// shouldKeepAlive is the parser's verdict (should_keep_alive).
	shouldKeepAlive bool
	// chunkedByDefault: HTTP/1.1, or HTTP/1.0 with "TE: chunked".
	chunkedByDefault bool
	maxReached       bool // maxRequestsPerSocket reached with this request
	keepAliveTimeout time.Duration
	maxRequests      int
}

// render returns the response bytes as writeHead(status, headers) followed
// by end(body) puts them on the wire, and whether Node marks the response
// _last (the socket is ended once it is written). writeHead stores the
// header before end() knows the body, so an HTTP/1.1 body is chunked.
// It follows OutgoingMessage._storeHeader in Node 20.
func (o outgoing) render(now time.Time) (wire string, last bool) {
	var b strings.Builder
	text, ok := statusText[o.status]
	if !ok {
		text = "unknown"
	}
	b.WriteString("HTTP/1.1 " + strconv.Itoa(o.status) + " " + text + "\r\n")
	keepAlive := o.shouldKeepAlive
	hasConnection := false
	for _, h := range o.headers {
		b.WriteString(h[0] + ": " + h[1] + "\r\n")
		if strings.EqualFold(h[0], "connection") {
			hasConnection = true
			if strings.Contains(strings.ToLower(h[1]), "close") {
				last = true
			} else {
				keepAlive = true
			}
		}
	}
	b.WriteString("Date: " + now.UTC().Format(dateLayout) + "\r\n")
	hasBody := !o.head && o.status != 204 && o.status != 304 && (o.status < 100 || o.status > 199)
	if !hasConnection {
		switch sendKeepAlive := keepAlive && o.chunkedByDefault; {
		case sendKeepAlive && o.maxReached:
			b.WriteString("Connection: close\r\n")
		case sendKeepAlive:
			b.WriteString("Connection: keep-alive\r\n")
			if o.keepAliveTimeout > 0 {
				b.WriteString("Keep-Alive: timeout=" + strconv.FormatInt(int64(o.keepAliveTimeout/time.Second), 10))
				if o.maxRequests > 0 {
					b.WriteString(", max=" + strconv.Itoa(o.maxRequests))
				}
				b.WriteString("\r\n")
			}
		default:
			last = true
			b.WriteString("Connection: close\r\n")
		}
	}
	chunked := false
	switch {
	case !hasBody:
	case !o.chunkedByDefault:
		last = true
	default:
		chunked = true
		b.WriteString("Transfer-Encoding: chunked\r\n")
	}
	b.WriteString("\r\n")
	switch {
	case !hasBody:
	case chunked:
		if o.body != "" {
			b.WriteString(strconv.FormatInt(int64(len(o.body)), 16) + "\r\n" + o.body + "\r\n")
		}
		b.WriteString("0\r\n\r\n")
	default:
		b.WriteString(o.body)
	}
	return b.String(), last
}
