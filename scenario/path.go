package scenario

import (
	"strconv"
	"strings"
)

// Path is where in a scenario a problem is: the JSON path a Problem's
// Field spells (server.routes[2].then), as its parts. Validate builds
// each problem's Path (Fields, Dot, At) and writes Field from it, so
// that what shows a problem (the editor) branches on parts, not on
// strings; ParsePath reads back a path that only exists as text (a
// problem made with a Field alone, a check's own field names).
type Path []PathElem

// PathElem is a list index Index (>= 0) or, with Index -1, the member
// Name (a request header's name may be empty, as a person can type it).
type PathElem struct {
	Name  string
	Index int
}

// member and item make PathElems.
func member(name string) PathElem { return PathElem{Name: name, Index: -1} }
func item(i int) PathElem         { return PathElem{Index: i} }

// Fields is the path of the members names, one inside the other
// (Fields("server", "routes") is server.routes).
func Fields(names ...string) Path { return Path(nil).Dot(names...) }

// Dot is the path of the members names inside p; At the path of p's list
// item i. Neither shares p's backing array, so one p may be extended
// many ways.
func (p Path) Dot(names ...string) Path {
	q := make(Path, len(p), len(p)+len(names))
	copy(q, p)
	for _, n := range names {
		q = append(q, member(n))
	}
	return q
}

func (p Path) At(i int) Path {
	q := make(Path, len(p), len(p)+1)
	copy(q, p)
	return append(q, item(i))
}

// Path is the problem's field as parts; nil for a problem about the
// scenario as a whole (or a Field that is not a path).
func (p Problem) Path() Path {
	if p.Where != nil {
		return p.Where
	}
	path, _ := ParsePath(p.Field)
	return path
}

// ParsePath reads a path as Validate writes it: member names joined by
// '.', list indexes as [N] (N written as %d writes a non-negative int).
// A request header's name, after "request.headers.", is one member
// whatever it holds (a header name may hold a '.'). ok is false, and the
// path nil, for anything else.
func ParsePath(s string) (p Path, ok bool) {
	if s == "" {
		return nil, false
	}
	for s != "" {
		if s[0] == '[' {
			end := strings.IndexByte(s, ']')
			if len(p) == 0 {
				return nil, false // a path starts with a member
			}
			if end < 0 {
				return nil, false
			}
			i, ok := index(s[1:end])
			if !ok {
				return nil, false
			}
			p = append(p, item(i))
			s = s[end+1:]
			if s != "" && s[0] != '.' && s[0] != '[' {
				return nil, false
			}
			if strings.HasPrefix(s, ".") {
				s = s[1:]
				if s == "" || s[0] == '[' {
					return nil, false
				}
			}
			continue
		}
		end := strings.IndexAny(s, ".[")
		if end < 0 {
			end = len(s)
		}
		if end == 0 {
			return nil, false
		}
		p = append(p, member(s[:end]))
		s = s[end:]
		if strings.HasPrefix(s, ".") {
			s = s[1:]
			if p.isHeaders() {
				// The rest is a header's name, whatever it holds (even
				// nothing: Validate names an empty one too).
				if strings.Contains(s, "\n") {
					return nil, false
				}
				return append(p, member(s)), true
			}
			if s == "" || s[0] == '[' {
				return nil, false
			}
		}
	}
	return p, true
}

// index reads N of [N]: digits, no sign, no leading zeros, an int.
func index(d string) (int, bool) {
	if d == "" || (len(d) > 1 && d[0] == '0') {
		return 0, false
	}
	for _, c := range []byte(d) {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	i, err := strconv.Atoi(d)
	return i, err == nil
}

// isHeaders reports whether p ends in a request's headers, the member
// whose next part is a header's name.
func (p Path) isHeaders() bool {
	n := len(p)
	return n >= 2 && p[n-2].Name == "request" && p[n-1].Name == "headers"
}

// String writes p as Validate does.
func (p Path) String() string {
	var b strings.Builder
	for i, e := range p {
		if e.Index >= 0 {
			b.WriteString("[" + strconv.Itoa(e.Index) + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(e.Name)
	}
	return b.String()
}

// Under reports whether p starts with the member names names, and what
// follows them.
func (p Path) Under(names ...string) (rest Path, ok bool) {
	if len(p) < len(names) {
		return nil, false
	}
	for i, n := range names {
		if p[i].Index >= 0 || p[i].Name != n {
			return nil, false
		}
	}
	return p[len(names):], true
}

// Item reports whether p is in the list at names (client.steps[i]…):
// the index, and what follows it.
func (p Path) Item(names ...string) (i int, rest Path, ok bool) {
	rest, ok = p.Under(names...)
	if !ok || len(rest) == 0 || rest[0].Index < 0 {
		return 0, nil, false
	}
	return rest[0].Index, rest[1:], true
}

// Is reports whether p is exactly the member names names.
func (p Path) Is(names ...string) bool {
	rest, ok := p.Under(names...)
	return ok && len(rest) == 0
}
