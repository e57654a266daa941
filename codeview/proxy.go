package codeview

import (
	"fmt"
	"strings"
	"time"

	"github.com/keepalive-playground/playground/scenario"
)

// Proxy renders what a scenario's proxy stands for: the nginx
// configuration, the Go reverse-proxy program, or the ALB's settings.
// It returns "" without a proxy. Defaults are filled in first, so every
// knob shows its value.
func Proxy(s scenario.Scenario) string {
	if s.Proxy == nil {
		return ""
	}
	full := s.WithDefaults()
	switch full.Proxy.Kind {
	case scenario.ProxyNginx:
		return NginxConfig(*full.Proxy, NginxOptions{})
	case scenario.ProxyGo:
		return GoProxy(*full.Proxy)
	case scenario.ProxyALB:
		return ALBSettings(*full.Proxy)
	}
	return ""
}

// NginxOptions place a rendered configuration. The zero value renders
// the one the Code tab shows: ports a reader would use, and nginx's own
// paths.
type NginxOptions struct {
	// Listen and Upstream are host:port for the server's listen and the
	// upstream's server line (defaults 8080 and 127.0.0.1:1088).
	Listen, Upstream string
	// Prefix, when set, makes the configuration self-contained for a
	// test run: one worker in the foreground, every path under Prefix
	// (pid, logs, temp files), an access log that names each request's
	// connection and upstream attempts.
	Prefix string
}

// AccessLogFormat is the access log line of an instrumented config:
// the connection serial (as in the error log's "*N"), the client's
// address and port, the status, the request line, and every upstream
// attempt's address and status.
const AccessLogFormat = `$connection $remote_addr:$remote_port $status "$request" "$upstream_addr" "$upstream_status"`

// NginxConfig renders an nginx 1.22 configuration for the proxy: an
// upstream block holding the demo server and a server whose location
// proxies to it. With keepalive > 0 it carries the two lines nginx's
// documentation asks for (proxy_http_version 1.1 and an empty Connection
// header); without them nginx speaks HTTP/1.0 upstream with Connection:
// close, whatever keepalive says.
func NginxConfig(p scenario.Proxy, opt NginxOptions) string {
	listen, upstream := opt.Listen, opt.Upstream
	if listen == "" {
		listen = "8080"
	}
	if upstream == "" {
		upstream = fmt.Sprintf("127.0.0.1:%d", DefaultGoPort)
	}
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# nginx 1.22: proxy_pass to an upstream block holding the demo server.\n")
	if opt.Prefix == "" {
		w("# Run it with `nginx -c $PWD/nginx.conf` (as root for nginx's own paths).\n")
	} else {
		w("worker_processes 1;\n")
		w("daemon off;\n")
		w("master_process off;\n")
		w("pid %s/nginx.pid;\n", opt.Prefix)
		w("error_log %s/error.log error;\n", opt.Prefix)
	}
	w("\nevents {\n")
	if opt.Prefix != "" {
		w("    worker_connections 512;\n")
	}
	w("}\n\nhttp {\n")
	if opt.Prefix != "" {
		w("    log_format playground '%s';\n", AccessLogFormat)
		w("    access_log %s/access.log playground;\n", opt.Prefix)
		for _, t := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi"} {
			w("    %s_temp_path %s/%s;\n", t, opt.Prefix, t)
		}
		w("\n")
	}
	w("    upstream app {\n")
	w("        server %s;%s\n", upstream, comment(opt.Prefix == "", "the demo server"))
	if n := p.KeepaliveConns(); n > 0 {
		w("        keepalive %d;%s\n", n, comment(opt.Prefix == "", "idle connections kept open to it"))
		w("        keepalive_timeout %s;\n", nginxTime(p.UpstreamIdleTimeout()))
		w("        keepalive_requests %d;\n", p.UpstreamRequests())
	} else if opt.Prefix == "" {
		w("        # no keepalive: every request opens a new connection and closes it\n")
	}
	w("    }\n\n")
	w("    server {\n")
	w("        listen %s;\n", listen)
	w("        keepalive_timeout %s;%s\n", nginxTime(p.ClientIdleTimeout()), comment(opt.Prefix == "", "idle client connections"))
	w("        keepalive_requests %d;\n", p.ClientRequests())
	w("\n        location / {\n")
	w("            proxy_pass http://app;\n")
	if p.KeepaliveConns() > 0 {
		w("            proxy_http_version 1.1;%s\n", comment(opt.Prefix == "", "keepalive needs HTTP/1.1 upstream"))
		w("            proxy_set_header Connection \"\";%s\n", comment(opt.Prefix == "", "and no Connection: close"))
	}
	w("            proxy_next_upstream %s;\n", strings.Join(p.NextUpstreamList(), " "))
	w("            proxy_read_timeout %s;\n", nginxTime(p.ReadTimeout()))
	w("        }\n")
	w("    }\n")
	w("}\n")
	return b.String()
}

func comment(show bool, text string) string {
	if !show {
		return ""
	}
	return "  # " + text
}

// nginxTime writes a duration in nginx's units: whole seconds as "60s",
// anything else in milliseconds.
func nginxTime(d time.Duration) string {
	ms := d.Milliseconds()
	if ms%1000 == 0 {
		return fmt.Sprintf("%ds", ms/1000)
	}
	return fmt.Sprintf("%dms", ms)
}

// GoProxy renders the Go program the go proxy stands for: a
// httputil.ReverseProxy to the demo server with its own http.Transport,
// served by an http.Server. It is the code package goproxy runs.
func GoProxy(p scenario.Proxy) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("// A Go reverse proxy in front of the demo server: httputil.ReverseProxy\n")
	w("// with its own http.Transport (http.DefaultTransport's settings and the\n")
	w("// scenario's knobs). Run it with `go run proxy.go`.\n")
	w("package main\n\n")
	w("import (\n\t\"log\"\n\t\"net\"\n\t\"net/http\"\n\t\"net/http/httputil\"\n\t\"net/url\"\n\t\"time\"\n)\n\n")
	w("func main() {\n")
	w("\ttarget, _ := url.Parse(\"http://127.0.0.1:%d\") // the demo server\n", DefaultGoPort)
	w("\tproxy := httputil.NewSingleHostReverseProxy(target)\n")
	w("\tproxy.Transport = &http.Transport{\n")
	w("\t\tDialContext:           (&net.Dialer{Timeout: 30 * time.Second}).DialContext,\n")
	w("\t\tMaxIdleConns:          100,\n")
	w("\t\tIdleConnTimeout:       %s, // an idle upstream connection is closed after this (0: never)\n", goDuration(p.UpstreamIdleTimeout()))
	w("\t\tMaxIdleConnsPerHost:   %d, // idle connections kept to the demo server (0: Go's default, 2)\n", p.IdleConnsPerHost())
	w("\t\tDisableKeepAlives:     %t,\n", p.KeepAlivesDisabled())
	w("\t\tTLSHandshakeTimeout:   10 * time.Second,\n")
	w("\t\tExpectContinueTimeout: 1 * time.Second,\n")
	w("\t}\n")
	w("\t// On a failed exchange the ReverseProxy logs \"http: proxy error: …\"\n")
	w("\t// and answers 502. The Transport itself retries an idempotent request\n")
	w("\t// (GET, HEAD, …) that failed on a reused connection before any response.\n")
	w("\tsrv := &http.Server{\n")
	w("\t\tAddr:        \":8080\",\n")
	w("\t\tHandler:     proxy,\n")
	w("\t\tIdleTimeout: %s, // idle client connections (0: no limit)\n", goDuration(p.ClientIdleTimeout()))
	w("\t}\n")
	w("\tlog.Fatal(srv.ListenAndServe())\n")
	w("}\n")
	return b.String()
}

// ALBDocs is AWS's page for the attributes the alb kind models.
const ALBDocs = "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-load-balancer-attributes.html"

// ALBTroubleshooting is AWS's page on the ALB's 502s.
const ALBTroubleshooting = "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-troubleshooting.html"

// ALBSettings renders the ALB's attributes as the AWS CLI sets them, with
// what the model does with each. An ALB cannot run here: this kind is a
// model of AWS's documentation, and the text says so.
func ALBSettings(p scenario.Proxy) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# AWS Application Load Balancer — MODELLED from AWS's documentation;\n")
	w("# no ALB runs here. The attributes:\n")
	w("#   %s\n", ALBDocs)
	w("#   %s\n", ALBTroubleshooting)
	w("aws elbv2 modify-load-balancer-attributes --load-balancer-arn $ALB_ARN --attributes \\\n")
	w("    Key=idle_timeout.timeout_seconds,Value=%s \\\n", secs(p.IdleTimeout()))
	w("    Key=client_keep_alive.seconds,Value=%s\n", secs(p.ClientKeepAlive()))
	w("\n# What the model does (from the pages above):\n")
	w("# - idle timeout (%s): a client or target connection with no data\n", nginxTime(p.IdleTimeout()))
	w("#   sent or received for this long is closed by the load balancer.\n")
	w("# - client keep-alive (%s): after this, the next response to the\n", nginxTime(p.ClientKeepAlive()))
	w("#   client carries Connection: close and the connection ends.\n")
	w("# - targets: HTTP/1.1 with keep-alive; connections are reused.\n")
	w("# - no retry: when the target closes a connection (FIN or RST) while a\n")
	w("#   request is outstanding, the client gets 502 Bad Gateway.\n")
	w("# - AWS's advice: the target's keep-alive timeout must be longer than\n")
	w("#   the load balancer's idle timeout.\n")
	return b.String()
}

func secs(d time.Duration) string {
	ms := d.Milliseconds()
	if ms%1000 == 0 {
		return fmt.Sprint(ms / 1000)
	}
	return fmt.Sprintf("%.3f", float64(ms)/1000)
}
