package esltest

import "strings"

// varList holds channel variables in FreeSWITCH's order. FreeSWITCH keeps
// them in a switch_event_t: setting a variable deletes the old header and
// appends a new one, so a re-set variable moves to the end (the captures
// show exactly this, e.g. current_application after each app).
type varList []varEntry

type varEntry struct{ name, value string }

// get returns the value of name.
func (l varList) get(name string) (string, bool) {
	for _, e := range l {
		if e.name == name {
			return e.value, true
		}
	}
	return "", false
}

// set deletes name and appends it with value; an empty value only deletes,
// as switch_channel_set_variable(…, NULL) and an empty string do.
func (l *varList) set(name, value string) {
	l.del(name)
	if value != "" {
		*l = append(*l, varEntry{name, value})
	}
}

// del removes name.
func (l *varList) del(name string) {
	s := *l
	for i, e := range s {
		if e.name == name {
			copy(s[i:], s[i+1:])
			*l = s[:len(s)-1]
			return
		}
	}
}

// push adds value to name as switch_channel_add_variable_var_check with
// SWITCH_STACK_PUSH does: a new variable is appended; an existing one keeps
// its place and becomes an array, serialised ARRAY::v1|:v2 (the second
// failed bridge of bridge_busy_continue_on_fail).
func (l *varList) push(name, value string) {
	for i, e := range *l {
		if e.name == name {
			old := e.value
			if !strings.HasPrefix(old, "ARRAY::") {
				old = "ARRAY::" + old
			}
			(*l)[i].value = old + "|:" + value
			return
		}
	}
	*l = append(*l, varEntry{name, value})
}
