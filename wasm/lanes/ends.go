package lanes

import "github.com/keepalive-playground/playground/timeline"

// CloseCard words a close event for a connection card, plainly saying
// who closed which end: the first FIN leaves the connection half-closed
// with the other end open (ev.Open), the second closes it. halfBy is the
// end whose FIN came first ("" when none yet); the card is the client's
// own connection, so the client is "you".
func CloseCard(ev timeline.Event, halfBy string) (state CardState, detail string) {
	who := endName(ev.By)
	why := ""
	if ev.Reason != "" && ev.Reason != timeline.ReasonClient {
		why = " (" + ev.Reason + ")"
	}
	if halfBy == "" && ev.Open != "" {
		if ev.By == timeline.ByClient {
			return CardHalfClosed, "you sent FIN: your end is closed, the " + ev.Open + "'s end is still open"
		}
		return CardHalfClosed, "the " + ev.By + " sent FIN" + why + ": its end is closed, your end is still open"
	}
	if halfBy == "" {
		return CardClosed, "closed by " + who + why
	}
	if ev.By == timeline.ByClient {
		return CardClosed, "you closed your end too, after the " + halfBy + "'s FIN: both ends are closed"
	}
	return CardClosed, "the " + ev.By + " closed its end too" + why + ", after your FIN: both ends are closed"
}

func endName(by string) string {
	if by == timeline.ByClient {
		return "you"
	}
	return "the " + by
}

// HalfClosedLabel names a lane's half-closed span after the close that
// began it: who sent the FIN and whose end is still open (ev.Open; an
// older recording without it is read as the other party's end).
func HalfClosedLabel(ev *timeline.Event) string {
	open := ev.Open
	if open == "" {
		open = timeline.OtherEnd(ev.By, ev.Hop, false)
	}
	return "half-closed: the " + ev.By + " sent FIN, the " + open + "'s end is open"
}
