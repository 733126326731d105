package esltest

import (
	"slices"
	"testing"
	"time"
)

// TestSeparateBlank checks the port of switch_separate_string's blank
// splitting: runs of spaces, single quotes grouping (and removed),
// backslash escapes.
func TestSeparateBlank(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"a b", []string{"a", "b"}},
		{"  a   b  ", []string{"a", "b"}},
		{"{x='A B'}user/1 '&socket(h:1 async full)'", []string{"{x=A B}user/1", "&socket(h:1 async full)"}},
		{`a\ b c`, []string{"a b", "c"}},
		{"", nil},
	} {
		if got := separateBlank(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("separateBlank(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseOriginate(t *testing.T) {
	a, usage := parseOriginate("{origination_uuid=u1,originate_timeout=7,origination_caller_id_name='Dr Smith'}user/1000 '&socket(127.0.0.1:8084 async full)'")
	if usage != "" {
		t.Fatal(usage)
	}
	if a.dial != "user/1000" || a.app != "socket" || a.appArg != "127.0.0.1:8084 async full" || a.timeout != 7*time.Second {
		t.Errorf("parseOriginate = %+v", a)
	}
	if v, _ := a.vars.get("origination_caller_id_name"); v != "Dr Smith" {
		t.Errorf("caller id name = %q", v)
	}
	if _, usage := parseOriginate("user/1000"); usage == "" {
		t.Error("one argument: no usage")
	}
}
