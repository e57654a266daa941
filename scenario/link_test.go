package scenario

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var updateLinks = flag.Bool("update-links", false, "rewrite testdata/links from ../scenarios (only for new examples: old links must keep opening)")

func deflate(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := flate.NewWriter(&buf, flate.BestCompression)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func TestLinkRoundTrip(t *testing.T) {
	for name, js := range examples(t) {
		t.Run(name, func(t *testing.T) {
			s, err := Decode(js)
			if err != nil {
				t.Fatal(err)
			}
			link, err := EncodeLink(s)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(link, "#s=") || strings.ContainsAny(link[3:], "=+/") {
				t.Errorf("link %q is not #s= + unpadded base64url", link)
			}
			payload := link[3:]
			padded := payload + strings.Repeat("=", (4-len(payload)%4)%4)
			for _, form := range []string{
				link,
				"http://localhost:8080/" + link,
				"https://play.example/path?x=1" + link,
				"/" + link,
				link[1:],
				payload,
				padded,
				"#" + "x=1&s=" + payload,
				"  " + link + "\n",
				"#s=" + strings.ReplaceAll(padded, "=", "%3D"),
			} {
				got, err := DecodeLink(form)
				if err != nil {
					t.Errorf("DecodeLink(%.40q…): %v", form, err)
					continue
				}
				if !reflect.DeepEqual(got, s) {
					t.Errorf("DecodeLink(%.40q…) differs from the source scenario", form)
				}
			}
		})
	}
}

func TestDecodeLinkErrors(t *testing.T) {
	bomb := base64.RawURLEncoding.EncodeToString(deflate(t, bytes.Repeat([]byte(" "), 4<<20)))
	if len(bomb) > MaxLinkChars {
		t.Fatalf("the bomb payload is %d chars; make it smaller", len(bomb))
	}
	good := base64.RawURLEncoding.EncodeToString(deflate(t, []byte(base)))
	trailing := base64.RawURLEncoding.EncodeToString(append(deflate(t, []byte(base)), 0, 1, 2))
	invalid := base64.RawURLEncoding.EncodeToString(deflate(t, []byte(`{"v":1,"server":{"runtime":"node21"}}`)))
	newer := base64.RawURLEncoding.EncodeToString(deflate(t, []byte(`{"v":2,"server":{"runtime":"go"}}`)))
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "the link is empty"},
		{"too long", "#s=" + strings.Repeat("A", MaxLinkChars+1), "the link is longer than 8192 characters"},
		{"far too long", strings.Repeat("A", 3*MaxLinkChars), "the link is longer than 8192 characters"},
		{"not base64url", "#s=ab$cd", "the link is not base64url"},
		{"std alphabet", "#s=ab+/cd", "the link is not base64url"},
		{"truncated", "#s=" + good[:len(good)/2], "the link is truncated or damaged (deflate: "},
		{"not deflate", "#s=" + base64.RawURLEncoding.EncodeToString([]byte("hello, world, plain")), "the link is truncated or damaged (deflate: "},
		{"deflate bomb", "#s=" + bomb, "inflates to more than 65536 bytes"},
		{"trailing data", "#s=" + trailing, "data after the end of its compressed scenario"},
		{"url without fragment", "http://localhost:8080/", "the link has no #s= part"},
		{"fragment without s", "http://localhost:8080/#lesson=1", "no s= part"},
		{"empty s", "#s=", "s= part is empty"},
		{"invalid scenario", "#s=" + invalid, `server.runtime: "node21" is not one of`},
		{"newer schema", "#s=" + newer, "made by a newer version of the playground (schema v2)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := DecodeLink(tt.in)
			if err == nil {
				t.Fatalf("DecodeLink succeeded: %+v", s)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q\nwant it to contain %q", err, tt.want)
			}
		})
	}
	var ps Problems
	if _, err := DecodeLink("#s=" + invalid); !errors.As(err, &ps) {
		t.Errorf("an invalid scenario's problems should be reachable with errors.As: %v", err)
	}
}

func TestEncodeLinkRefuses(t *testing.T) {
	s := valid()
	s.Server.Runtime = "node21"
	if _, err := EncodeLink(&s); err == nil || !strings.Contains(err.Error(), "cannot be shared") {
		t.Errorf("EncodeLink of an invalid scenario: %v", err)
	}
	// Incompressible (pseudo-random) bodies make a link too long.
	s = valid()
	s.Client.Steps = nil
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 100 {
		raw := make([]byte, 100)
		for j := range raw {
			raw[j] = byte(rng.Uint32())
		}
		b := base64.StdEncoding.EncodeToString(raw)
		s.Client.Steps = append(s.Client.Steps, Step{Conn: "A", At: i, Send: &b})
	}
	if _, err := EncodeLink(&s); err == nil || !strings.Contains(err.Error(), "the limit is 8192") {
		t.Errorf("EncodeLink of a huge scenario: %v", err)
	}
}

// TestCompatLinks opens links made by earlier builds: an old link must keep
// opening, to the same scenario, however the schema grows.
// TestCompatLinks keeps links made in the past opening: each
// testdata/links/NAME.txt is a link as it was shared, and NAME.json the
// scenario it opened to then. Neither file is ever rewritten; the
// examples in ../scenarios may change freely. -update-links adds a pair
// for an example that has none yet.
func TestCompatLinks(t *testing.T) {
	if *updateLinks {
		for name, js := range examples(t) {
			base := filepath.Join("testdata", "links", name)
			if _, err := os.Stat(base + ".txt"); err == nil {
				continue // never rewrite a committed link
			}
			s, err := Decode(js)
			if err != nil {
				t.Fatal(err)
			}
			link, err := EncodeLink(s)
			if err != nil {
				t.Fatal(err)
			}
			snap, err := json.MarshalIndent(s, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(base+".txt", []byte("http://localhost:8080/"+link+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(base+".json", append(snap, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	files, err := filepath.Glob(filepath.Join("testdata", "links", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no links in testdata/links (%v)", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".txt")
		t.Run(name, func(t *testing.T) {
			link, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeLink(string(link))
			if err != nil {
				t.Fatalf("an old link no longer opens: %v", err)
			}
			js, err := os.ReadFile(strings.TrimSuffix(f, ".txt") + ".json")
			if err != nil {
				t.Fatalf("no snapshot of what the link opened to: %v", err)
			}
			want, err := Decode(js)
			if err != nil {
				t.Fatalf("snapshot: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("the link opens to a different scenario than it did when it was made (%s.json)", name)
			}
		})
	}
}
