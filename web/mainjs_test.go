package web

import (
	"os"
	"regexp"
	"strconv"
	"testing"

	"github.com/keepalive-playground/playground/wire"
)

// main.js says hello on the socket it opens early (see its comment), so it
// must speak the protocol version the program and the server speak.
func TestMainJSSaysHelloInTheWireVersion(t *testing.T) {
	src, err := os.ReadFile("src/main.js")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^const wireVersion = (\d+);`).FindSubmatch(src)
	if m == nil {
		t.Fatal("main.js has no `const wireVersion = N;`")
	}
	if v, _ := strconv.Atoi(string(m[1])); v != wire.Version {
		t.Errorf("main.js says hello in version %d; wire.Version is %d", v, wire.Version)
	}
	for _, want := range []string{`type: "hello"`, `v: wireVersion`, `"/ws"`, "kapTakeSocket"} {
		if !regexp.MustCompile(regexp.QuoteMeta(want)).Match(src) {
			t.Errorf("main.js lacks %s", want)
		}
	}
}
