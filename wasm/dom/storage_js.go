package dom

import "syscall/js"

// ReadStorage reads localStorage, which may be missing or refuse access
// (private modes, blocked cookies): then nothing is remembered, and the
// answer is "".
func ReadStorage(key string) (s string) {
	defer func() {
		if recover() != nil {
			s = ""
		}
	}()
	st := js.Global().Get("localStorage")
	if !st.Truthy() {
		return ""
	}
	v := st.Call("getItem", key)
	if v.Type() != js.TypeString {
		return ""
	}
	return v.String()
}

// WriteStorage saves to localStorage; a full or refused storage only
// means the value is not remembered.
func WriteStorage(key, val string) {
	defer func() { _ = recover() }()
	if st := js.Global().Get("localStorage"); st.Truthy() {
		st.Call("setItem", key, val)
	}
}
