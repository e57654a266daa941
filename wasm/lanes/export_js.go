package lanes

import (
	"bytes"
	"encoding/base64"
	"math"
	"strings"
	"syscall/js"

	"github.com/keepalive-playground/playground/export"
	"github.com/keepalive-playground/playground/wasm/dom"
)

const (
	// exportMinW is the least width of an exported picture.
	exportMinW = 1000
	// maxPNGSide keeps an exported PNG under the browsers' canvas limits.
	maxPNGSide = 16000
)

// imageExport downloads a laid-out timeline as SVG or PNG, with the
// scenario's link inside (link, "" for none) so that the image reopens
// it; fail says why an export did not happen.
type imageExport struct {
	loop *dom.Loop
	link string
	fail func(msg string)
}

// images is the view's exporter: the link as it is now, failures said
// to screen readers.
func (v *View) images() imageExport {
	link := ""
	if v.Link != nil {
		link = v.Link()
	}
	return imageExport{loop: v.loop, link: link, fail: func(msg string) { dom.SetText(v.announce, msg) }}
}

// exportDisplay lays out the whole run for an image, at least
// exportMinW wide.
func (v *View) exportDisplay() *Display {
	return exportLayout(v.model, v.now(), math.Max(v.vp.Width, exportMinW), v.measure)
}

func (e imageExport) svg(d *Display, pal Palette) {
	var b bytes.Buffer
	if err := d.WriteSVG(&b, pal, "Keep-Alive Playground timeline"); err != nil {
		e.fail("Export failed: " + err.Error())
		return
	}
	data := b.Bytes()
	if e.link != "" {
		withLink, err := export.SVGWithLink(data, e.link)
		if err != nil {
			e.fail("Export failed: " + err.Error())
			return
		}
		data = withLink
	}
	e.loop.Download(data, "image/svg+xml", "timeline.svg")
}

func (e imageExport) png(d *Display, pal *Palette, sans string) {
	scale := 2.0
	if s := maxPNGSide / math.Max(d.W, d.H); s < scale {
		scale = s
	}
	c := dom.Doc().Call("createElement", "canvas")
	c.Set("width", int(d.W*scale))
	c.Set("height", int(d.H*scale))
	render(c.Call("getContext", "2d"), d, pal, sans, scale)
	if e.link != "" {
		// The link goes in a tEXt chunk, so the PNG's bytes are needed:
		// the data URL has them at once.
		url := c.Call("toDataURL", "image/png").String()
		_, b64, _ := strings.Cut(url, ",")
		png, err := base64.StdEncoding.DecodeString(b64)
		if err == nil {
			png, err = export.PNGWithLink(png, e.link)
		}
		if err != nil {
			e.fail("Export failed: " + err.Error())
			return
		}
		e.loop.Download(png, "image/png", "timeline.png")
		return
	}
	var fn js.Func
	fn = js.FuncOf(func(_ js.Value, args []js.Value) any {
		blob := args[0]
		e.loop.Post(func() {
			fn.Release()
			if !blob.Truthy() {
				e.fail("Export failed: the browser could not encode the PNG.")
				return
			}
			e.loop.DownloadBlob(blob, "timeline.png")
		})
		return nil
	})
	c.Call("toBlob", fn, "image/png")
}
