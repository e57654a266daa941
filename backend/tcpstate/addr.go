package tcpstate

import "net/netip"

func netipAddrPort(ip [4]byte, port uint16) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4(ip), port)
}

// FromAddrs makes an End from a connection's local and remote addresses
// ("127.0.0.1:40000"); ok is false when either is not an IP and port.
func FromAddrs(local, remote string) (End, bool) {
	l, err1 := netip.ParseAddrPort(local)
	r, err2 := netip.ParseAddrPort(remote)
	if err1 != nil || err2 != nil {
		return End{}, false
	}
	return End{
		Local:  netip.AddrPortFrom(l.Addr().Unmap(), l.Port()),
		Remote: netip.AddrPortFrom(r.Addr().Unmap(), r.Port()),
	}, true
}
