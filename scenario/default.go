package scenario

import (
	"bytes"
	"encoding/json"
)

// Default is the scenario a fresh session starts with: the story's answer
// 2 server on the newest Node LTS line (DefaultRuntime), with a timeout
// short enough to watch.
func Default() Scenario {
	timeout := 4000
	rt := runtimeTable[0]
	return Scenario{
		V:     Version,
		Title: "Hello World! on " + rt.Label,
		Server: Server{
			Runtime:         rt.Name,
			SocketTimeoutMs: &timeout,
			Routes: []Route{
				{Path: "/end", Body: "Closedown", Then: Then{ThenClose}},
				{Path: "*", Body: "Hello World!"},
			},
		},
		DurationMs: 10000,
	}
}

// Marshal encodes s as compact JSON without HTML escaping, so that raw
// request bytes such as "<" stay readable in links and traces.
func Marshal(s *Scenario) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
