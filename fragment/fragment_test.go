package fragment

import (
	"bytes"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	for _, in := range [][]byte{nil, []byte("{}"), bytes.Repeat([]byte("keep-alive "), 500)} {
		s, err := Encode(in)
		if err != nil {
			t.Fatal(err)
		}
		if strings.ContainsAny(s, "+/=") {
			t.Errorf("not unpadded base64url: %q", s)
		}
		out, err := Decode(s, 1<<20, 1<<20, "test")
		if err != nil || !bytes.Equal(out, in) {
			t.Errorf("Decode(Encode(%.20q)) = %.20q, %v", in, out, err)
		}
	}
}

func TestDecodeBounds(t *testing.T) {
	bomb, _ := Encode(bytes.Repeat([]byte{0}, 1<<20))
	tests := []struct {
		name, payload string
		maxChars      int
		want          string
	}{
		{"deflate bomb", bomb, 1 << 20, "inflates to more than 1024 bytes"},
		{"too long", strings.Repeat("A", 11), 10, "longer than 10"},
		{"bad base64", "@@", 10, "not base64url"},
		{"trailing data", func() string { s, _ := Encode([]byte("x")); return s + "AAAA" }(), 100, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(tt.payload, tt.maxChars, 1024, "test")
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestFind(t *testing.T) {
	tests := []struct{ name, text, want, wantErr string }{
		{"whole URL", "http://localhost:8080/#s=abc", "abc", ""},
		{"path", "/#s=abc", "abc", ""},
		{"fragment", "#s=abc", "abc", ""},
		{"key=", "s=abc", "abc", ""},
		{"bare", "abc", "abc", ""},
		{"among parts", "#lesson=x&s=abc", "abc", ""},
		{"escaped", "#s=ab%3D", "ab=", ""},
		{"no fragment", "http://localhost:8080/", "", "no #s= part"},
		{"other key", "#t=abc", "", "no s= part"},
		{"empty value", "#s=", "", "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Find(tt.text, "s")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Find = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	s, _ := Encode([]byte(`{"v":1}`))
	f.Add(s)
	f.Add("")
	f.Add("////")
	f.Fuzz(func(t *testing.T, payload string) {
		out, err := Decode(payload, 4096, 4096, "test")
		if err != nil {
			return
		}
		again, err := Encode(out)
		if err != nil {
			t.Fatal(err)
		}
		if back, err := Decode(again, 1<<20, 4096, "test"); err != nil || !bytes.Equal(back, out) {
			t.Fatalf("round trip of decoded payload failed: %v", err)
		}
	})
}
