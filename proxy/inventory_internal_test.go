package proxy

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestParseInterfacesBounded: an answer listing more interfaces than any
// switch has is refused, not kept (a hostile peer could send 1 MiB of
// rows per Core-UUID it claims).
func TestParseInterfacesBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("type,name,ikey\n")
	for i := range maxInterfaces + 1 {
		fmt.Fprintf(&b, "application,app%d,mod_x\n", i)
	}
	if _, err := parseInterfaces(b.String()); !errors.Is(err, errNoInventory) {
		t.Errorf("parseInterfaces(%d rows) = %v, want errNoInventory", maxInterfaces+1, err)
	}
	have, err := parseInterfaces("type,name,ikey\napplication,playback,mod_dptools\n\n1 total.\n")
	if err != nil || !have["application/playback"] {
		t.Errorf("parseInterfaces(one row) = %v, %v", have, err)
	}
}
