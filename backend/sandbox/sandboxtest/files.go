package sandboxtest

import (
	"errors"
	"os"
	"syscall"
	"testing"
)

// Files holds descriptors that use up the process's open-file limit, so
// that a test can see what running out of them does.
type Files struct {
	f     []*os.File
	limit syscall.Rlimit
}

// ExhaustFiles lowers the soft open-file limit and opens files until none
// is left; the limit is restored and the files closed at cleanup. It
// changes the whole process: use it only in tests that do not run in
// parallel.
func ExhaustFiles(t testing.TB) *Files {
	t.Helper()
	fl := &Files{}
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &fl.limit); err != nil {
		t.Skip(err)
	}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip(err)
	}
	low := fl.limit
	low.Cur = uint64(len(ents) + 64)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Skip(err)
	}
	t.Cleanup(func() {
		fl.Release(-1)
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &fl.limit)
	})
	for range 200 {
		f, err := os.Open(os.DevNull)
		if err != nil {
			if !errors.Is(err, syscall.EMFILE) {
				t.Fatal(err)
			}
			return fl
		}
		fl.f = append(fl.f, f)
	}
	t.Fatal("the open-file limit did not bite")
	return nil
}

// Release closes n of the files (all of them with n < 0).
func (fl *Files) Release(n int) {
	if n < 0 || n > len(fl.f) {
		n = len(fl.f)
	}
	for _, f := range fl.f[len(fl.f)-n:] {
		f.Close()
	}
	fl.f = fl.f[:len(fl.f)-n]
}
