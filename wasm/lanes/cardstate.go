package lanes

// CardState is a connection card's state in the Connections panel. The
// page branches on it (which connections the composer may write to, which
// a reconnect marks lost) and styles the card by it (data-state in
// web/src/style.css), so the values are part of the page.
type CardState string

const (
	CardNew        CardState = ""            // a card a step named, not opened yet
	CardConnecting CardState = "connecting"  // open sent, no connect yet
	CardOpen       CardState = "open"        // connected, both ends open
	CardHalfClosed CardState = "half-closed" // one end's FIN
	CardClosed     CardState = "closed"      // both ends closed
	CardReset      CardState = "reset"       // aborted by either end
	CardRefused    CardState = "refused"     // the connect was refused
	CardLost       CardState = "lost"        // the playground connection dropped
)

// Text is the state as the card says it.
func (s CardState) Text() string {
	switch s {
	case CardNew:
		return "not connected"
	case CardConnecting:
		return "connecting…"
	}
	return string(s)
}

// Live reports whether the connection may still carry bytes from the
// page: the composer offers it, removing its card resets it.
func (s CardState) Live() bool {
	return s == CardConnecting || s == CardOpen || s == CardHalfClosed
}

// Over reports whether the connection has ended for good: a dropped
// playground connection does not mark it lost, and opening it again
// starts a new connection.
func (s CardState) Over() bool {
	return s == CardClosed || s == CardReset || s == CardRefused || s == CardLost
}
