package proxy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/verb"
)

// The switches' inventories: what each FreeSWITCH a call comes from has
// loaded, so that a verb needing a module the switch lacks (verb.Needer)
// ends with reason error and a message naming the module, instead of
// completing in silence (speak with an engine that is not loaded, say in
// a language without its module) or hanging the call up (an unknown
// application: DESTINATION_OUT_OF_ORDER).
//
// callhook asks each switch, told apart by the Core-UUID of its connect
// reply (a restart makes a new one), once: `api show interfaces` on the
// call's own connection, which lists every loaded interface as
// "type,name,ikey" lines (src/mod/applications/mod_commands/
// mod_commands.c, show_function; one row a registered interface, see
// src/switch_loadable_module.c). A switch that cannot answer (no core
// database) is not checked, and a miss is asked again once the answer is
// a minute old, so a module loaded since (fs_cli load mod_flite) counts.
// callhook check asks the same question on an inbound connection
// (AskInterfaces) to warn about flows' verbs before any call.

// inventoryRefresh is how old an inventory must be before a miss asks again.
const inventoryRefresh = time.Minute

// maxInventories bounds the switches remembered, and maxInterfaces the
// rows kept of one answer (a stock 1.10.12 lists a few hundred): a peer
// that claims a new Core-UUID on every connection, each with a 1 MiB
// answer, must not grow the daemon without end.
const (
	maxInventories = 64
	maxInterfaces  = 10000
)

// inventories maps Core-UUIDs to what the switch has.
type inventories struct {
	mu sync.Mutex
	m  map[string]*inventory
}

// inventory is one switch's: its interfaces, "type/name" in lower case.
// One call at a time asks the switch (asking is closed when it is done);
// the others wait for that answer, each under its own context, and no lock
// is held across the round trip.
type inventory struct {
	mu     sync.Mutex
	have   *Interfaces // nil until a successful answer
	asked  time.Time
	asking chan struct{} // non-nil while a call asks
}

// get returns the switch's inventory entry, creating it.
func (iv *inventories) get(coreUUID string) *inventory {
	iv.mu.Lock()
	defer iv.mu.Unlock()
	if iv.m == nil {
		iv.m = map[string]*inventory{}
	}
	if e := iv.m[coreUUID]; e != nil {
		return e
	}
	if len(iv.m) >= maxInventories {
		for k := range iv.m { // forget one: switches come back with a new Core-UUID anyway
			delete(iv.m, k)
			break
		}
	}
	e := &inventory{}
	iv.m[coreUUID] = e
	return e
}

// errNoInventory means the switch did not list its interfaces.
var errNoInventory = errors.New("the switch did not list its interfaces")

// missing returns the first need the switch lacks (ok false when it has
// them all), asking the switch first when nobody has yet, or when a need
// is missing from an answer a minute old.
func (e *inventory) missing(ctx context.Context, conn *esl.Conn, needs []verb.Need) (verb.Need, bool, error) {
	for {
		e.mu.Lock()
		if e.asking != nil {
			wait := e.asking
			e.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return verb.Need{}, false, ctx.Err()
			}
		}
		if e.have != nil {
			n, miss := e.firstMissing(needs)
			if !miss || time.Since(e.asked) < inventoryRefresh {
				e.mu.Unlock()
				return n, miss, nil
			}
		}
		// This call asks; the others wait for it.
		done := make(chan struct{})
		e.asking = done
		e.mu.Unlock()
		have, err := AskInterfaces(ctx, conn)
		e.mu.Lock()
		if err == nil {
			e.have, e.asked = have, time.Now()
		}
		e.asking = nil
		close(done)
		if err != nil {
			e.mu.Unlock()
			return verb.Need{}, false, err
		}
		n, miss := e.firstMissing(needs)
		e.mu.Unlock()
		return n, miss, nil
	}
}

func (e *inventory) firstMissing(needs []verb.Need) (verb.Need, bool) {
	for _, n := range needs {
		if !e.have.Has(n) {
			return n, true
		}
	}
	return verb.Need{}, false
}

// Interfaces is what one switch has loaded, as `show interfaces` lists it.
type Interfaces struct {
	have map[string]bool // "type/name" in lower case
}

// AskInterfaces sends `api show interfaces` on conn, a call's outbound
// connection or an inbound one (esl.Dial), and reads the answer. A switch
// that cannot list its interfaces (no core database) is an error.
func AskInterfaces(ctx context.Context, conn *esl.Conn) (*Interfaces, error) {
	f, err := conn.Send(ctx, esl.API("show interfaces"))
	if err != nil {
		return nil, fmt.Errorf("show interfaces: %w", err)
	}
	have, err := parseInterfaces(string(f.Body))
	if err != nil {
		return nil, err
	}
	return &Interfaces{have: have}, nil
}

// Has reports whether the switch has what n names.
func (in *Interfaces) Has(n verb.Need) bool {
	return in.have[strings.ToLower(n.Type+"/"+n.Name)]
}

// Missing returns the needs the switch lacks, in order.
func (in *Interfaces) Missing(needs []verb.Need) []verb.Need {
	var out []verb.Need
	for _, n := range needs {
		if !in.Has(n) {
			out = append(out, n)
		}
	}
	return out
}

// parseInterfaces reads show interfaces' plain answer: the header
// "type,name,ikey", a line a row, an empty line, "N total.".
func parseInterfaces(body string) (map[string]bool, error) {
	lines := strings.Split(body, "\n")
	if len(lines) == 0 || strings.TrimSpace(lines[0]) != "type,name,ikey" {
		return nil, fmt.Errorf("%w: answered %q", errNoInventory, firstLine(body))
	}
	have := map[string]bool{}
	for _, l := range lines[1:] {
		if l = strings.TrimSpace(l); l == "" {
			break
		}
		typ, rest, ok := strings.Cut(l, ",")
		name, _, ok2 := strings.Cut(rest, ",")
		if ok && ok2 {
			if len(have) == maxInterfaces {
				return nil, fmt.Errorf("%w: over %d interfaces", errNoInventory, maxInterfaces)
			}
			have[strings.ToLower(typ+"/"+name)] = true
		}
	}
	return have, nil
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	if len(l) > 80 {
		l = l[:80]
	}
	return l
}
