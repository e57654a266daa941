package lessons

import (
	"strings"
	"testing"

	course "github.com/keepalive-playground/playground/lessons"
	"github.com/keepalive-playground/playground/timeline"
)

func TestProgress(t *testing.T) {
	var p Progress
	if p.TaskDone("a", 1) || p.LessonDone("a", 2) {
		t.Fatal("empty progress has something done")
	}
	if !p.Mark("a", 2) || p.Mark("a", 2) {
		t.Fatal("Mark does not report news exactly once")
	}
	if p.Mark("a", 0) || p.Mark("a", course.MaxTasks+1) {
		t.Fatal("Mark accepted a task number out of range")
	}
	if p.LessonDone("a", 2) {
		t.Fatal("one of two tasks makes the lesson done")
	}
	p.Mark("a", 1)
	if !p.LessonDone("a", 2) || p.LessonDone("a", 3) || p.LessonDone("a", 0) {
		t.Fatal("LessonDone wrong")
	}
	got := DecodeProgress(p.Encode())
	if !got.LessonDone("a", 2) || len(got.Done["a"]) != 2 || got.Done["a"][0] != 1 {
		t.Fatalf("round trip: %+v", got)
	}
	c := &course.Course{Lessons: []course.Entry{{ID: "a", Tasks: make([]course.TaskEntry, 2)}, {ID: "b", Tasks: make([]course.TaskEntry, 1)}}}
	if n := got.Count(c); n != 1 {
		t.Errorf("Count = %d, want 1", n)
	}
}

func TestDecodeProgress(t *testing.T) {
	tests := []struct {
		name, in string
		want     map[string]int // lesson -> number of done tasks
	}{
		{"empty", "", map[string]int{}},
		{"garbage", "not json", map[string]int{}},
		{"old version", `{"v": 0, "done": {"a": [1]}}`, map[string]int{}},
		{"good", `{"v": 1, "done": {"a": [2, 1, 2], "b": [1]}}`, map[string]int{"a": 2, "b": 1}},
		{"bad id dropped", `{"v": 1, "done": {"A B": [1], "c": [1]}}`, map[string]int{"c": 1}},
		{"bad tasks dropped", `{"v": 1, "done": {"a": "x", "b": [0, 99, 3]}}`, map[string]int{"b": 1}},
		{"huge", `{"v": 1, "done": {"a": [1]}, "pad": "` + strings.Repeat("x", maxProgressBytes) + `"}`, map[string]int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := DecodeProgress(tt.in)
			if len(p.Done) != len(tt.want) {
				t.Fatalf("Done = %v, want %v", p.Done, tt.want)
			}
			for id, n := range tt.want {
				if len(p.Done[id]) != n {
					t.Errorf("Done[%q] = %v, want %d tasks", id, p.Done[id], n)
				}
			}
		})
	}
}

func FuzzDecodeProgress(f *testing.F) {
	f.Add(`{"v": 1, "done": {"a": [1, 2]}}`)
	f.Add(`{"v": 1, "done": {}}`)
	f.Add(`{"v": 1, "done": {"a-b": [3, 3, 1]}}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, s string) {
		p := DecodeProgress(s)
		for id, ns := range p.Done {
			if !course.ValidID(id) {
				t.Fatalf("kept id %q", id)
			}
			for i, n := range ns {
				if n < 1 || n > course.MaxTasks || (i > 0 && ns[i-1] >= n) {
					t.Fatalf("tasks %v of %q: out of range or unsorted", ns, id)
				}
			}
		}
		again := DecodeProgress(p.Encode())
		if again.Encode() != p.Encode() {
			t.Fatalf("not stable: %s then %s", p.Encode(), again.Encode())
		}
	})
}

func TestParseTarget(t *testing.T) {
	tests := []struct {
		in   string
		want Target
		ok   bool
	}{
		{"close-in-handler", Target{ID: "close-in-handler"}, true},
		{"keepalive-race/2", Target{ID: "keepalive-race", Task: 2}, true},
		{"keepalive-race/0", Target{}, false},
		{"keepalive-race/4", Target{}, false},
		{"keepalive-race/x", Target{}, false},
		{"", Target{}, false},
		{"Upper", Target{}, false},
		{"a/1/2", Target{}, false},
		{"<script>", Target{}, false},
	}
	for _, tt := range tests {
		got, ok := ParseTarget(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseTarget(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
		if ok {
			if back, _ := ParseTarget(got.Hash()[len("#lesson="):]); back != got {
				t.Errorf("Hash round trip of %+v gave %+v", got, back)
			}
		}
	}
}

func TestMayReplaceHash(t *testing.T) {
	tests := []struct {
		hash string
		want bool
	}{
		{"", true},
		{"#", true},
		{"#lesson=destroy", true},
		{"#s=abc", false},
		{timeline.TraceLinkPrefix + "abc", false},
		{"#other", false},
	}
	for _, tt := range tests {
		if got := MayReplaceHash(tt.hash); got != tt.want {
			t.Errorf("MayReplaceHash(%q) = %v, want %v", tt.hash, got, tt.want)
		}
	}
}

func TestEvalTasks(t *testing.T) {
	zero := 0
	tasks := []course.TaskEntry{
		{Task: course.Task{Text: "exit", Checks: []timeline.Check{{Match: timeline.Match{Kind: timeline.Exit}}}}},
		{Task: course.Task{Text: "no reset", Checks: []timeline.Check{{Match: timeline.Match{Kind: timeline.Reset}, Count: &zero}}}},
	}
	if st := EvalTasks(tasks, nil); st[0].Pass || st[1].Pass {
		t.Errorf("an empty run passes: %+v", st)
	}
	evs := []timeline.Event{{T: 1, Kind: timeline.Listen}, {T: 5, Kind: timeline.Exit}}
	st := EvalTasks(tasks, evs)
	if !st[0].Pass || !st[1].Pass || len(st[0].Results) != 1 {
		t.Errorf("EvalTasks = %+v", st)
	}
	evs = append(evs, timeline.Event{T: 6, Conn: "A", Kind: timeline.Reset})
	if st := EvalTasks(tasks, evs); !st[0].Pass || st[1].Pass {
		t.Errorf("with a reset: %+v", st)
	}
}
