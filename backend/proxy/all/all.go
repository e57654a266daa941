// Package all lists every proxy kind the playground offers.
package all

import (
	"github.com/keepalive-playground/playground/backend/proxy"
	"github.com/keepalive-playground/playground/backend/proxy/emulated"
	"github.com/keepalive-playground/playground/backend/proxy/goproxy"
	"github.com/keepalive-playground/playground/scenario"
)

// Kinds maps each scenario proxy kind to its factory.
func Kinds() map[string]proxy.Factory {
	return map[string]proxy.Factory{
		scenario.ProxyNginx: emulated.NewNginx,
		scenario.ProxyGo:    goproxy.New,
		scenario.ProxyALB:   emulated.NewALB,
	}
}
