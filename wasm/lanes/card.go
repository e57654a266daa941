package lanes

import "math"

// cardGap is the space between an event and its detail card.
const cardGap = 14

// CardPlace is where a w×h detail card goes for an event at (x, y) in a
// timeline of vw×vh: below and right of the event, above or left of it
// when there is no room, and never outside the timeline (a card over the
// page around it would cover the lesson's text).
func CardPlace(x, y, w, h, vw, vh float64) (left, top float64) {
	left, top = x+cardGap, y+cardGap
	if left+w > vw {
		left = x - cardGap - w
	}
	if top+h > vh {
		top = y - cardGap - h
	}
	return clamp(left, 0, math.Max(0, vw-w)), clamp(top, 0, math.Max(0, vh-h))
}
