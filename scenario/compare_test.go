package scenario

import (
	"strings"
	"testing"
)

func TestCompareLink(t *testing.T) {
	tests := []struct {
		name, link string
		want       string // the link read back, or the error's words
		bad        bool
	}{
		{"runtimes", "#compare=node18,node26", "#compare=node18,node26", false},
		{"runtimes without the prefix, spaced", "node20, go", "#compare=node20,go", false},
		{"a knob's values", "#compare=keepAliveTimeoutMs=200,6000", "#compare=keepAliveTimeoutMs=200,6000", false},
		{"a boolean knob", "#compare=keepAlive=true,false", "#compare=keepAlive=true,false", false},
		{"an unknown runtime", "#compare=node18,node99", `"node99" is not a runtime`, true},
		{"an unknown knob", "#compare=colour=1,2", `"colour" is not one of`, true},
		{"one run", "#compare=node18", "1 runs", true},
		{"five runs", "#compare=node18,node20,node22,node24,node26", "5 runs", true},
		{"nothing", "#compare=", "0 runs", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseCompareLink(tt.link)
			if tt.bad {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("err %v, want one saying %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Link(); got != tt.want {
				t.Errorf("link %q, want %q", got, tt.want)
			}
			sc := Default()
			sc.Compare = &c
			if vs, err := sc.Variants(); err != nil || len(vs) < MinVariants {
				t.Errorf("variants of %q: %d, %v", tt.link, len(vs), err)
			}
		})
	}
}
