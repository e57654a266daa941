package server

import (
	"testing"

	"github.com/gorilla/websocket"

	"github.com/keepalive-playground/playground/wire"
)

// TestCloseCodesAreRFC6455s holds wire's standard close codes, which the
// page reads, to gorilla/websocket's, which the server's peers read: wire
// cannot import gorilla (it builds for the browser), so this is where the
// two meet.
func TestCloseCodesAreRFC6455s(t *testing.T) {
	tests := []struct {
		name    string
		wire    wire.CloseCode
		gorilla int
	}{
		{"normal", wire.CloseNormal, websocket.CloseNormalClosure},
		{"going away", wire.CloseGoingAway, websocket.CloseGoingAway},
		{"abnormal", wire.CloseAbnormal, websocket.CloseAbnormalClosure},
		{"too big", wire.CloseTooBig, websocket.CloseMessageTooBig},
		{"restart", wire.CloseRestart, websocket.CloseServiceRestart},
		{"try later", wire.CloseTryLater, websocket.CloseTryAgainLater},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if int(tt.wire) != tt.gorilla {
				t.Errorf("wire %d, gorilla %d", tt.wire, tt.gorilla)
			}
		})
	}
}
