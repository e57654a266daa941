package export

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"
)

// An exported image carries the link of the scenario it shows, so that
// giving the image to `playground run`, or dropping it on the page,
// reopens the scenario: in an SVG as the text of a <metadata> element, in
// a PNG as a tEXt chunk (PNG's own key/text metadata, which image tools
// keep).

// MaxImageBytes bounds an image read for its link: the page's exports of
// the longest runs stay well under it.
const MaxImageBytes = 8 << 20

// SVGMetadataID is the id of the <metadata> element that holds the link.
const SVGMetadataID = "playground-scenario"

// PNGKeyword is the tEXt keyword of the chunk that holds the link.
const PNGKeyword = "Keep-Alive Playground scenario"

var errNoLink = errors.New("the image carries no scenario link (was it exported by the playground?)")

// SVGWithLink returns svg with the link in a <metadata> element right
// after the root element's start tag.
func SVGWithLink(svg []byte, link string) ([]byte, error) {
	i := bytes.Index(svg, []byte("<svg"))
	if i < 0 {
		return nil, errors.New("not an SVG document: no <svg> element")
	}
	end := tagEnd(svg, i)
	if end < 0 {
		return nil, errors.New("not an SVG document: the <svg> tag does not end")
	}
	if svg[end-1] == '/' {
		return nil, errors.New("the SVG is empty: <svg/> has no content")
	}
	meta := `<metadata id="` + SVGMetadataID + `">` + xmlEscape(link) + `</metadata>`
	out := make([]byte, 0, len(svg)+len(meta))
	out = append(out, svg[:end+1]...)
	out = append(out, meta...)
	return append(out, svg[end+1:]...), nil
}

// tagEnd returns the index of the '>' that ends the tag starting at i,
// skipping quoted attribute values, or -1.
func tagEnd(b []byte, i int) int {
	var quote byte
	for j := i; j < len(b); j++ {
		switch c := b[j]; {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return j
		}
	}
	return -1
}

// linkFromSVG finds the playground's <metadata> element, whichever quotes
// and attribute order a tool that rewrote the file used.
func linkFromSVG(svg []byte) (string, error) {
	for off := 0; ; {
		i := bytes.Index(svg[off:], []byte("<metadata"))
		if i < 0 {
			return "", errNoLink
		}
		i += off
		end := tagEnd(svg, i)
		if end < 0 {
			return "", errNoLink
		}
		tag := string(svg[i:end])
		off = end + 1
		if !strings.Contains(tag, `id="`+SVGMetadataID+`"`) && !strings.Contains(tag, `id='`+SVGMetadataID+`'`) {
			continue
		}
		close := bytes.Index(svg[off:], []byte("</metadata>"))
		if close < 0 {
			return "", errors.New("the SVG's scenario metadata does not end")
		}
		link, err := xmlUnescape(strings.TrimSpace(string(svg[off : off+close])))
		if err != nil {
			return "", fmt.Errorf("the SVG's scenario link: %w", err)
		}
		if link == "" {
			return "", errNoLink
		}
		return link, nil
	}
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;").Replace(s)
}

// xmlUnescape resolves XML's five named entities and numeric character
// references.
func xmlUnescape(s string) (string, error) {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '&')
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		b.WriteString(s[:i])
		j := strings.IndexByte(s[i:], ';')
		if j < 0 {
			return "", errors.New("an entity does not end")
		}
		ent := s[i+1 : i+j]
		s = s[i+j+1:]
		switch ent {
		case "amp":
			b.WriteByte('&')
		case "lt":
			b.WriteByte('<')
		case "gt":
			b.WriteByte('>')
		case "quot":
			b.WriteByte('"')
		case "apos":
			b.WriteByte('\'')
		default:
			base, digits := 10, strings.TrimPrefix(ent, "#")
			if digits == ent {
				return "", fmt.Errorf("unknown entity &%s;", ent)
			}
			if strings.HasPrefix(digits, "x") {
				base, digits = 16, digits[1:]
			}
			n, err := strconv.ParseUint(digits, base, 21)
			if err != nil || n > 0x10FFFF {
				return "", fmt.Errorf("bad character reference &%s;", ent)
			}
			b.WriteRune(rune(n))
		}
	}
}

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// PNGWithLink returns png with a tEXt chunk holding the link, before the
// first image data (so that a reader that stops early still finds it).
func PNGWithLink(png []byte, link string) ([]byte, error) {
	chunks, err := pngChunks(png)
	if err != nil {
		return nil, err
	}
	for _, r := range link {
		if r < 0x20 || r > 0x7e {
			return nil, errors.New("a link in a PNG must be printable ASCII")
		}
	}
	at := -1
	for _, c := range chunks {
		if c.typ == "IDAT" {
			at = c.off
			break
		}
	}
	if at < 0 {
		return nil, errors.New("the PNG has no image data")
	}
	data := append([]byte(PNGKeyword+"\x00"), link...)
	chunk := make([]byte, 0, 12+len(data))
	chunk = binary.BigEndian.AppendUint32(chunk, uint32(len(data)))
	chunk = append(chunk, "tEXt"...)
	chunk = append(chunk, data...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	out := make([]byte, 0, len(png)+len(chunk))
	out = append(out, png[:at]...)
	out = append(out, chunk...)
	return append(out, png[at:]...), nil
}

type pngChunk struct {
	off  int // of the length field
	typ  string
	data []byte
}

// pngChunks splits a PNG into its chunks, checking each one's CRC.
func pngChunks(png []byte) ([]pngChunk, error) {
	if !bytes.HasPrefix(png, pngSignature) {
		return nil, errors.New("not a PNG image")
	}
	var out []pngChunk
	for off := len(pngSignature); ; {
		if len(png)-off < 12 {
			return nil, errors.New("the PNG is truncated")
		}
		n := binary.BigEndian.Uint32(png[off:])
		if uint64(n) > uint64(len(png)-off-12) {
			return nil, errors.New("the PNG is truncated")
		}
		body := png[off+4 : off+8+int(n)]
		if crc32.ChecksumIEEE(body) != binary.BigEndian.Uint32(png[off+8+int(n):]) {
			return nil, fmt.Errorf("the PNG is damaged: bad checksum in its %q chunk", body[:4])
		}
		c := pngChunk{off: off, typ: string(body[:4]), data: body[4:]}
		out = append(out, c)
		off += 12 + int(n)
		if c.typ == "IEND" {
			return out, nil
		}
	}
}

func linkFromPNG(png []byte) (string, error) {
	chunks, err := pngChunks(png)
	if err != nil {
		return "", err
	}
	for _, c := range chunks {
		if c.typ != "tEXt" {
			continue
		}
		key, text, ok := bytes.Cut(c.data, []byte{0})
		if ok && string(key) == PNGKeyword && len(text) > 0 {
			return string(text), nil
		}
	}
	return "", errNoLink
}

// IsImage reports whether data looks like a PNG or an SVG, the images
// LinkFromImage reads.
func IsImage(data []byte) bool {
	if bytes.HasPrefix(data, pngSignature) {
		return true
	}
	head := data[:min(len(data), 1024)]
	return bytes.Contains(head, []byte("<svg"))
}

// LinkFromImage returns the scenario link an exported PNG or SVG carries.
func LinkFromImage(data []byte) (string, error) {
	if len(data) > MaxImageBytes {
		return "", fmt.Errorf("the image is %d bytes; the limit is %d", len(data), MaxImageBytes)
	}
	if bytes.HasPrefix(data, pngSignature) {
		return linkFromPNG(data)
	}
	if bytes.Contains(data, []byte("<svg")) {
		return linkFromSVG(data)
	}
	return "", errors.New("not a PNG or SVG image")
}
