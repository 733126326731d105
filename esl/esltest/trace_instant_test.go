package esltest

import (
	"bytes"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/callhook/callhook/esl"
)

// appNamed matches the sendmsg executes of app.
func appNamed(app string) func(esl.Command) bool {
	return func(c esl.Command) bool { return c.Headers.Get("execute-app-name") == app }
}

// runVarying masks what differs between two runs of the same instant app at
// two moments: the time, the global event counter, the app's UUID, and so
// the frame's length.
var runVarying = regexp.MustCompile(`(?m)^(Content-Length|Event-Date-Local|Event-Date-GMT|Event-Date-Timestamp|Event-Sequence|Application-UUID|Event-UUID): .*$`)

// TestWithInstantAppRebuildsRealLog takes the real log execute out of a
// real trace (its command, +OK, CHANNEL_EXECUTE and completion) and puts
// it back with WithInstantApp before the next command (an execute of info,
// which changes no variable either): the synthesised frames must be the
// real ones, header for header in the same order, but for the time, the
// event counter and the app's UUID.
func TestWithInstantAppRebuildsRealLog(t *testing.T) {
	orig, err := LoadTrace("../testdata/real-traces/misc_say_speak_dtmf_pause_set_unset_log_execute.txt")
	if err != nil {
		t.Fatal(err)
	}
	at := -1
	for i, e := range orig.Entries {
		if e.Dir == "C>" && bytes.Contains(e.Raw, []byte("execute-app-name: log\n")) {
			at = i
			break
		}
	}
	if at < 0 || at+4 >= len(orig.Entries) {
		t.Fatalf("no log execute in %s", orig.Name)
	}
	real := orig.Entries[at : at+4]
	for k, want := range []string{"call-command: execute", "Reply-Text: +OK", "Event-Name: CHANNEL_EXECUTE\n", "Event-Name: CHANNEL_EXECUTE_COMPLETE"} {
		if !bytes.Contains(real[k].Raw, []byte(want)) {
			t.Fatalf("entry %d after the log command lacks %q:\n%s", k, want, real[k].Raw)
		}
	}
	if !bytes.Contains(orig.Entries[at+4].Raw, []byte("execute-app-name: info\n")) {
		t.Fatalf("the command after the log is not info's:\n%s", orig.Entries[at+4].Raw)
	}
	without := &Trace{Name: orig.Name, Entries: slices.Concat(orig.Entries[:at], orig.Entries[at+4:])}
	before := slices.Clone(without.Entries)

	got, err := without.WithInstantApp(appNamed("info"), "log", "INFO callhook log line")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(without.Entries, before, func(a, b esl.WireFrame) bool { return bytes.Equal(a.Raw, b.Raw) }) {
		t.Error("WithInstantApp changed the trace it was called on")
	}
	if len(got.Entries) != len(orig.Entries) {
		t.Fatalf("%d entries, want the original %d", len(got.Entries), len(orig.Entries))
	}
	for i := range orig.Entries {
		g, w := got.Entries[i], orig.Entries[i]
		if i < at || i >= at+4 {
			if !bytes.Equal(g.Raw, w.Raw) || g.Dir != w.Dir {
				t.Errorf("entry %d changed", i+1)
			}
			continue
		}
		if g.Dir != w.Dir {
			t.Errorf("inserted entry %d: %s, the real one is %s", i-at+1, g.Dir, w.Dir)
		}
		gm, wm := runVarying.ReplaceAll(g.Raw, []byte("$1: *")), runVarying.ReplaceAll(w.Raw, []byte("$1: *"))
		if !bytes.Equal(gm, wm) {
			t.Errorf("inserted entry %d differs from the real one beyond time, sequence and UUID:\n%s", i-at+1, lineDiff(string(gm), string(wm)))
		}
	}

	// The parts that vary must still hang together: a frame's own length,
	// one fresh UUID from the command to both events, the completion next
	// in sequence.
	cmd, err := esl.ParseCommand(got.Entries[at].Raw)
	if err != nil {
		t.Fatal(err)
	}
	id := cmd.Headers.Get("Event-UUID")
	if len(id) != 36 || id == "6ec22f7b-8e59-4fd2-bd4d-07b645bc7ced" {
		t.Errorf("Event-UUID %q, want a fresh UUID", id)
	}
	var seqs []int
	for _, e := range got.Entries[at+2 : at+4] {
		f, n, err := esl.NewReader(bytes.NewReader(e.Raw), esl.Limits{}).ReadFrame()
		if err != nil || n != len(e.Raw) {
			t.Fatalf("synthesised frame: read %d of %d bytes: %v", n, len(e.Raw), err)
		}
		ev, err := esl.ParseEvent(f)
		if err != nil {
			t.Fatal(err)
		}
		if ev.AppUUID() != id {
			t.Errorf("%s: Application-UUID %s, want the command's %s", ev.Name(), ev.AppUUID(), id)
		}
		s, _ := strconv.Atoi(ev.Get("Event-Sequence"))
		seqs = append(seqs, s)
	}
	if seqs[1] != seqs[0]+1 {
		t.Errorf("Event-Sequence %v, want the completion one after the execute", seqs)
	}
}

// TestWithInstantAppMkdirBeforeRecord inserts callhook's mkdir before the
// record of the demo call, which the capture predates: the command names
// the folder, the events name mkdir and the folder, the completion says
// _none_, and the record's own frames are untouched.
func TestWithInstantAppMkdirBeforeRecord(t *testing.T) {
	tr, err := LoadTrace("../testdata/real-traces/demo_full.txt")
	if err != nil {
		t.Fatal(err)
	}
	got, err := tr.WithInstantApp(appNamed("record"), "mkdir", "/tmp")
	if err != nil {
		t.Fatal(err)
	}
	cmds, err := got.Commands()
	if err != nil {
		t.Fatal(err)
	}
	orig, _ := tr.Commands()
	if len(cmds) != len(orig)+1 {
		t.Fatalf("%d commands, want %d and the mkdir", len(cmds), len(orig))
	}
	k := slices.IndexFunc(cmds, appNamed("record"))
	if k < 1 || cmds[k-1].Headers.Get("execute-app-name") != "mkdir" || cmds[k-1].Headers.Get("execute-app-arg") != "/tmp" ||
		cmds[k-1].Headers.Get("event-lock") != "true" {
		t.Fatalf("command before the record: %+v, want sendmsg execute mkdir /tmp with event-lock", cmds[k-1])
	}
	var names []string
	for _, e := range got.Entries {
		lines, name, ok := eventLines(e)
		if ok && lineValue(lines, "Application") == "mkdir" {
			names = append(names, name+" "+lineValue(lines, "Application-Data")+" "+lineValue(lines, "Application-Response")+" "+
				lineValue(lines, "variable_current_application")+" "+lineValue(lines, "variable_current_application_data"))
		}
	}
	want := []string{"CHANNEL_EXECUTE /tmp  mkdir /tmp", "CHANNEL_EXECUTE_COMPLETE /tmp _none_ mkdir /tmp"}
	if !slices.Equal(names, want) {
		t.Errorf("mkdir events %q, want %q", names, want)
	}
	if strings.Count(string(bytes.Join(rawOf(got), nil)), "Application: record\n") != strings.Count(string(bytes.Join(rawOf(tr), nil)), "Application: record\n") {
		t.Error("the record's own events changed")
	}
}

// TestWithInstantAppRefuses: nothing matched, or a match that is not an
// execute, is an error, not a silent copy.
func TestWithInstantAppRefuses(t *testing.T) {
	tr, err := LoadTrace("../testdata/real-traces/menu.txt")
	if err != nil {
		t.Fatal(err)
	}
	for name, match := range map[string]func(esl.Command) bool{
		"no match":    appNamed("record"),
		"not execute": func(c esl.Command) bool { return c.Line == "exit" },
	} {
		if _, err := tr.WithInstantApp(match, "mkdir", "/tmp"); err == nil {
			t.Errorf("%s: WithInstantApp succeeded", name)
		}
	}
	if _, err := tr.WithInstantApp(appNamed("answer"), "two words", ""); err == nil {
		t.Error("an app name with a space: WithInstantApp succeeded")
	}
}

func rawOf(t *Trace) [][]byte {
	var out [][]byte
	for _, e := range t.Entries {
		out = append(out, e.Raw)
	}
	return out
}

// lineDiff lists the lines of a and b that differ, position by position.
func lineDiff(a, b string) string {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out strings.Builder
	for i := range max(len(x), len(y)) {
		var l, r string
		if i < len(x) {
			l = x[i]
		}
		if i < len(y) {
			r = y[i]
		}
		if l != r {
			out.WriteString("  got:  " + l + "\n  real: " + r + "\n")
		}
	}
	return out.String()
}
