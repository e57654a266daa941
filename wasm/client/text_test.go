package client

import (
	"reflect"
	"strings"
	"testing"

	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/wire"
)

func TestUnescape(t *testing.T) {
	tests := []struct {
		name, in string
		crlf     bool
		want     string
		wantErr  string
	}{
		{"netcat -C enter", "GET / HTTP/1.1\nHost: demo\n\n", true, "GET / HTTP/1.1\r\nHost: demo\r\n\r\n", ""},
		{"bare LF kept", "a\nb", false, "a\nb", ""},
		{"escapes", `GET / HTTP/1.1\r\n\r\n`, false, "GET / HTTP/1.1\r\n\r\n", ""},
		{"hex and backslash", `\x00\xff\\n`, false, "\x00\xff\\n", ""},
		{"bad escape", `\q`, false, "", `"\q" is not an escape`},
		{"short hex", `\x4`, false, "", "two hex digits"},
		{"bad hex", `\xzz`, false, "", "not a byte"},
		{"trailing backslash", `a\`, false, `a\`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Unescape(tt.in, tt.crlf)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Errorf("Unescape(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestVisible(t *testing.T) {
	got := Visible("HTTP/1.1 200 OK\r\n\r\nc\r\nHello\x00\t!")
	want := []Part{
		{Text: "HTTP/1.1 200 OK"}, {Text: `\r`, Ctl: true}, {Text: `\n`, Ctl: true}, {Text: "\n"},
		{Text: `\r`, Ctl: true}, {Text: `\n`, Ctl: true}, {Text: "\nc"},
		{Text: `\r`, Ctl: true}, {Text: `\n`, Ctl: true}, {Text: "\nHello"},
		{Text: `\x00`, Ctl: true}, {Text: `\t`, Ctl: true}, {Text: "!"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Visible =\n%+v\nwant\n%+v", got, want)
	}
	if Visible("") != nil {
		t.Error("Visible of nothing is not empty")
	}
}

func TestNextLabel(t *testing.T) {
	used := map[string]bool{}
	var got []string
	for range 28 {
		l := NextLabel(func(s string) bool { return used[s] })
		used[l] = true
		got = append(got, l)
	}
	if got[0] != "A" || got[25] != "Z" || got[26] != "AA" || got[27] != "AB" {
		t.Errorf("labels = %v", got)
	}
	for _, l := range got {
		if !scenario.ValidConn(l) {
			t.Errorf("label %q is not a valid conn label", l)
		}
	}
	delete(used, "B")
	if l := NextLabel(func(s string) bool { return used[s] }); l != "B" {
		t.Errorf("reuse = %q, want B", l)
	}
}

func TestControlsAndKnobs(t *testing.T) {
	if c := Controls("go"); c[0].Action != scenario.ThenShutdown {
		t.Errorf("go controls = %v", c)
	}
	if c := Controls("node18"); !strings.Contains(c[0].Title, "Node 18") {
		t.Errorf("node18 close() title = %q", c[0].Title)
	}
	sc := scenario.Default().WithDefaults()
	got := Knobs(sc.Server)
	for _, want := range []string{"socket.setTimeout 4 s", "keepAliveTimeout 5 s"} {
		if !strings.Contains(got, want) {
			t.Errorf("Knobs = %q, want it to contain %q", got, want)
		}
	}
	g := scenario.Scenario{V: 1, Server: scenario.Server{Runtime: "go"}}.WithDefaults()
	if got := Knobs(g.Server); !strings.Contains(got, "IdleTimeout off") {
		t.Errorf("go Knobs = %q", got)
	}
}

func TestRunEndText(t *testing.T) {
	for _, tt := range []struct {
		t      float64
		reason string
		want   string
	}{
		{3000, wire.EndDuration, "The run ended at 3.00 s: its durationMs had passed"},
		{812.4, wire.EndFinished, "The run ended at 812 ms: nothing more could happen"},
	} {
		if got := RunEndText(tt.t, tt.reason); !strings.HasPrefix(got, tt.want) {
			t.Errorf("RunEndText(%v, %s) = %q, want it to start %q", tt.t, tt.reason, got, tt.want)
		}
	}
}
