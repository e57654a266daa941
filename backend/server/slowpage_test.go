package server

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/keepalive-playground/playground/backend/sandbox/sandboxtest"
	"github.com/keepalive-playground/playground/scenario"
	"github.com/keepalive-playground/playground/wire"
)

// TestPageThatStopsReadingWhileLoading: a real page (gorilla's client)
// that stops reading and keeps loading a large scenario fills its send
// queue with loaded messages; the session ends (the load's ErrSlowClient
// is the browser falling behind, not a scenario error), its handler
// returns, and nothing is left behind.
func TestPageThatStopsReadingWhileLoading(t *testing.T) {
	base := takeBaseline(t)
	s := New(Options{Assets: testAssets, Runtimes: sandboxtest.Runtimes()})
	ts := httptest.NewServer(s)

	sc := scenario.Default()
	sc.Server.Routes = nil
	for i := range 10 {
		sc.Server.Routes = append(sc.Server.Routes, scenario.Route{Path: fmt.Sprintf("/r%d", i), Body: strings.Repeat("x", scenario.MaxBodyBytes-96)})
	}
	raw, err := scenario.Marshal(&sc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := scenario.Decode(raw); err != nil {
		t.Fatalf("the test's scenario: %v", err)
	}

	c := dial(t, ts)
	send(t, c, wire.Msg{Type: wire.Hello, V: wire.Version})
	recvUntil(t, c, "loaded", isType(wire.Loaded))
	// From here on the page reads nothing.
	sent := 0
	for ; sent < 5000 && s.Sessions() > 0; sent++ {
		b, err := wire.Encode(wire.Msg{Type: wire.Load, Scenario: raw})
		if err != nil {
			t.Fatal(err)
		}
		c.SetWriteDeadline(time.Now().Add(2 * time.Second))
		if err := c.WriteMessage(websocket.TextMessage, b); err != nil {
			break // the server has closed the connection
		}
	}
	for i := 0; s.Sessions() > 0; i++ {
		if i == 1000 {
			t.Fatalf("the session ran on after its page stopped reading (%d loads sent)", sent)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("the session ended after %d loads", sent)
	c.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Errorf("shutdown: %v", err)
	}
	ts.Close()
	base.verify(t)
}
