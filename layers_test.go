package callhook_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// module is the import path every package of this repository starts with.
const module = "github.com/callhook/callhook"

// layers says which of the module's packages each package may import
// (tests aside). Imports point one way, from the commands down to the wire:
//
//	cmd → webhook, liverpie, statemachine, twiml → proxy → verb → esl
//	webhook, statemachine, twiml → recordings/delivery → apphttp, proxy, verb
//	cmd → internal/config → verb
//	admin, metrics → proxy
//
// apphttp (the apps' HTTP client, dial guard and request error) is a leaf
// that the backends and the observers share, so that the engine, proxy,
// knows nothing of HTTP. A backend never imports another: a flow hands a
// call to a webhook app through the apps cmd registered in the Runtime. A
// package missing from this table fails the test, so a new package gets a
// place in the layering when it is added.
var layers = map[string][]string{
	"esl":                {},
	"esl/esltest":        {"esl"},
	"internal/safefile":  {},
	"internal/suggest":   {},
	"internal/yamlx":     {},
	"internal/nolog":     {},
	"internal/testlog":   {},
	"internal/leakcheck": {},
	"internal/gcpace":    {},
	"internal/calltest":  {"esl", "esl/esltest", "internal/testlog", "proxy", "verb"},
	// The config knows the file format and the verbs of on_failure, and
	// nothing of the engine or of the backends it names: cmd maps it onto
	// them.
	"internal/config": {"internal/safefile", "internal/suggest", "internal/yamlx", "verb"},
	"verb":            {"esl", "internal/suggest", "internal/yamlx"},
	"apphttp":         {},
	"proxy":           {"esl", "internal/nolog", "verb"},
	"webhook":         {"apphttp", "esl", "internal/nolog", "proxy", "recordings/delivery", "verb"},
	// The recordings delivery: a proxy.Recordings and the HTTP handler of
	// its uploads and downloads.
	"recordings": {"esl", "proxy", "verb"},
	// The delivery of a recording to the app that made it (its upload and
	// recording.status), which webhook, flow and TwiML apps share.
	"recordings/delivery": {"apphttp", "internal/nolog", "proxy", "verb"},
	"liverpie":            {"apphttp", "esl", "internal/nolog", "internal/yamlx", "proxy", "verb"},
	"twiml":               {"apphttp", "internal/nolog", "proxy", "recordings/delivery", "verb"},
	"statemachine":        {"apphttp", "esl", "internal/nolog", "internal/safefile", "internal/suggest", "internal/yamlx", "proxy", "recordings/delivery", "verb"},
	"admin":               {"apphttp", "esl", "internal/nolog", "outbound", "proxy", "verb"},
	// outbound places calls through FreeSWITCH's inbound socket and
	// follows them as a proxy.Observer once they connect back.
	"outbound": {"apphttp", "esl", "internal/nolog", "proxy", "verb"},
	"metrics":  {"apphttp", "esl", "proxy", "verb"},
	// twilioapi places calls the Twilio way: through outbound, for twiml
	// apps.
	"twilioapi": {"apphttp", "esl", "internal/nolog", "outbound", "proxy", "twiml", "verb"},
	"cmd/callhook": {"admin", "apphttp", "esl", "esl/esltest", "internal/config", "internal/gcpace", "internal/nolog", "internal/safefile", "internal/suggest", "internal/yamlx", "liverpie",
		"metrics", "outbound", "proxy", "recordings", "statemachine", "twilioapi", "twiml", "verb", "webhook"},
	"cmd/loadgen": {"cmd/loadgen/floor", "cmd/loadgen/replay", "esl", "esl/esltest"},
	// The floor and the replayed switch share no code of callhook's: they
	// are what callhook is measured against.
	"cmd/loadgen/floor":      {},
	"cmd/loadgen/replay":     {},
	"examples/webapp-go":     {"examples/webapp-go/ivr"},
	"examples/webapp-go/ivr": {},
	"examples/liverpie-app":  {},
}

// TestImportDirection lists every package with go list and checks its
// imports against layers.
func TestImportDirection(t *testing.T) {
	cmd := exec.Command("go", "list", "-json", "./...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	seen := 0
	for {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		if rel == "" {
			continue // this test's own package
		}
		seen++
		allowed, known := layers[rel]
		if !known {
			t.Errorf("package %s has no place in layers; add it with the packages it may import", rel)
			continue
		}
		for _, imp := range p.Imports {
			dep, ours := strings.CutPrefix(imp, module+"/")
			if ours && !slices.Contains(allowed, dep) {
				t.Errorf("%s imports %s; it may import only %v", rel, dep, allowed)
			}
		}
	}
	if seen < len(layers)/2 {
		t.Errorf("go list listed %d packages, want about %d: is the test run from the module root?", seen, len(layers))
	}
}
