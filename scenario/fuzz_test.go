package scenario

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func FuzzDecode(f *testing.F) {
	for _, js := range examples(f) {
		f.Add(js)
	}
	f.Add([]byte(base))
	for _, js := range extraDecodeSeeds {
		f.Add(js)
	}
	f.Add([]byte(`{"v":1,"server":{"runtime":"go","routes":[]},"checks":[],"client":{"steps":[{"at":0,"conn":"A","request":{"headers":{}}}]}}`))
	f.Add([]byte(`{"v":1,"server":{"runtime":"node20","routes":[{"path":"*","thne":"x"}]}}`))
	f.Add([]byte(`{"v":2}`))
	f.Add([]byte(`{"v":1,"title":"\u00e9\ud800<&>"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Decode(data)
		if err != nil {
			if s != nil {
				t.Fatal("Decode returned a scenario with an error")
			}
			return
		}
		js, err := Marshal(s)
		if err != nil {
			t.Fatalf("Marshal of a decoded scenario: %v", err)
		}
		again, err := Decode(js)
		if err != nil {
			t.Fatalf("a decoded scenario does not decode again: %v\n%s", err, js)
		}
		if !reflect.DeepEqual(s, again) {
			t.Fatalf("round trip changed the scenario:\n%s", js)
		}
		full := s.WithDefaults()
		if err := full.Validate(); err != nil {
			t.Fatalf("WithDefaults made an invalid scenario: %v", err)
		}
		for _, st := range s.Client.Steps {
			st.Bytes()
		}
	})
}

func FuzzLink(f *testing.F) {
	for _, js := range examples(f) {
		f.Add(string(js))
		s, err := Decode(js)
		if err != nil {
			f.Fatal(err)
		}
		link, err := EncodeLink(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(link)
	}
	links, _ := filepath.Glob(filepath.Join("testdata", "links", "*.txt"))
	for _, p := range links {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add("#s=")
	f.Add("s=AAAA")
	f.Add("http://x/#s=" + strings.Repeat("_", 100))
	f.Fuzz(func(t *testing.T, text string) {
		// Any text: DecodeLink must answer, never panic; what it opens
		// must survive another trip.
		if s, err := DecodeLink(text); err == nil {
			roundTrip(t, s)
		}
		// Text that is a valid scenario: its link must open to it.
		if s, err := Decode([]byte(text)); err == nil {
			roundTrip(t, s)
		}
	})
}

func roundTrip(t *testing.T, s *Scenario) {
	t.Helper()
	link, err := EncodeLink(s)
	if err != nil {
		if strings.Contains(err.Error(), "the limit is") {
			return // valid, but too large for a link
		}
		t.Fatalf("EncodeLink of a valid scenario: %v", err)
	}
	got, err := DecodeLink(link)
	if err != nil {
		t.Fatalf("DecodeLink(EncodeLink(s)): %v", err)
	}
	if !reflect.DeepEqual(got, s) {
		t.Fatalf("link round trip changed the scenario")
	}
}

// extraDecodeSeeds are scenarios of the schema's extensions (pools).
var extraDecodeSeeds = [][]byte{[]byte(poolJSON)}
