package scenario

import "testing"

func TestRequestBytes(t *testing.T) {
	tests := []struct {
		name string
		req  Request
		want string
	}{
		{"defaults", Request{}, "GET / HTTP/1.1\r\nHost: demo\r\n\r\n"},
		{"host first, others sorted", Request{Method: "POST", Path: "/end", Headers: map[string]string{
			"X-B": "2", "Connection": "keep-alive", "host": "example", "Accept": "*/*"}},
			"POST /end HTTP/1.1\r\nhost: example\r\nAccept: */*\r\nConnection: keep-alive\r\nX-B: 2\r\n\r\n"},
		{"body adds Content-Length", Request{Method: "POST", Body: "hello"},
			"POST / HTTP/1.1\r\nHost: demo\r\nContent-Length: 5\r\n\r\nhello"},
		{"given Content-Length is kept", Request{Method: "POST", Body: "hello", Headers: map[string]string{"content-length": "9"}},
			"POST / HTTP/1.1\r\nHost: demo\r\ncontent-length: 9\r\n\r\nhello"},
		{"chunked body is sent as given", Request{Method: "POST", Body: "5\r\nhello\r\n0\r\n\r\n", Headers: map[string]string{"Transfer-Encoding": "chunked"}},
			"POST / HTTP/1.1\r\nHost: demo\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"},
		{"HTTP/1.0", Request{Version: "HTTP/1.0", Path: "/a?b=1"}, "GET /a?b=1 HTTP/1.0\r\nHost: demo\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(tt.req.Bytes()); got != tt.want {
				t.Errorf("Bytes() = %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestStepBytes(t *testing.T) {
	raw := "GET /x HTTP/1.1\r\n\r\n"
	tests := []struct {
		step Step
		want string
	}{
		{Step{Send: &raw}, raw},
		{Step{Request: &Request{Path: "/y"}}, "GET /y HTTP/1.1\r\nHost: demo\r\n\r\n"},
		{Step{Open: true}, ""},
		{Step{Close: true}, ""},
	}
	for _, tt := range tests {
		if got := string(tt.step.Bytes()); got != tt.want {
			t.Errorf("%+v: Bytes() = %q, want %q", tt.step, got, tt.want)
		}
	}
	if (Step{Reset: true}).Bytes() != nil {
		t.Error("a reset step writes nothing")
	}
	c := Client{Steps: []Step{{Conn: "B"}, {Conn: "A"}, {Conn: "B"}}}
	if got := c.Conns(); len(got) != 2 || got[0] != "B" || got[1] != "A" {
		t.Errorf("Conns = %v", got)
	}
}
