package esltest

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/callhook/callhook/esl"
)

// WithInstantApp returns a copy of t in which the daemon, before each
// command that match accepts, executes app with arg, and FreeSWITCH runs it
// to completion at once. It replays a command the daemon sends today that
// the capture predates (callhook began sending "mkdir <folder>" before
// "record" after the traces were taken), without pretending the trace
// showed it: the inserted frames are synthesised, t is left as it was.
//
// match must accept only sendmsg executes. Before each one it accepts, four
// entries are inserted:
//
//   - C> the matched command with execute-app-name app, execute-app-arg arg
//     right after it (none when arg is ""), its other headers in their
//     order, and a fresh Event-UUID of the same length (when the command
//     has one, so ReplayTrace maps it to the daemon's);
//   - F> the +OK command/reply FreeSWITCH sends for an accepted sendmsg;
//   - F> CHANNEL_EXECUTE and F> CHANNEL_EXECUTE_COMPLETE, cloned from the
//     matched command's own CHANNEL_EXECUTE, the next real event with the
//     channel's state at that moment.
//
// The clone keeps every header of the real frame, byte for byte, except
// Application, Application-Data and Application-UUID and the channel
// variables current_application and current_application_data, which name
// the inserted app (values URL-encoded as FreeSWITCH encodes them; each
// "data" header right after its name header, as FreeSWITCH sets them; with
// no arg neither Application-Data nor current_application_data is there, as
// switch_core_session_exec in src/switch_core_session.c leaves them out
// for a NULL argument). The completion differs from the execute as the
// real completions of instant apps (set, unset, log) do, and as
// switch_core_session_exec makes it: Event-Name CHANNEL_EXECUTE_COMPLETE;
// Event-Calling-Line-Number that of the trace's next real completion (both
// events are raised in switch_core_session_exec); Event-Sequence one more;
// variable_current_application moved to the end of the variables (the
// function sets it again after the execute event, which appends it anew);
// Application-Response _none_ after Application-Data (the app set no
// response). Content-Length is recomputed. The inserted app must be one
// that changes no channel variable and sends no event of its own (mkdir,
// log, info), or the clone would not be the channel's state after it.
//
// Event-Date-* and the execute's Event-Sequence are the cloned frame's, so
// near an insertion timestamps repeat and sequence numbers are not unique;
// an app that ran in no time is what the clone then shows.
func (t *Trace) WithInstantApp(match func(esl.Command) bool, app, arg string) (*Trace, error) {
	if app == "" || strings.ContainsAny(app, " \r\n") || strings.ContainsAny(arg, "\r\n") {
		return nil, fmt.Errorf("%s: WithInstantApp(%q, %q): app must be one word, arg one line", t.Name, app, arg)
	}
	out := &Trace{Name: t.Name, Entries: make([]esl.WireFrame, 0, len(t.Entries)+4)}
	n := 0
	for i, e := range t.Entries {
		if e.Dir == "C>" {
			cmd, err := esl.ParseCommand(e.Raw)
			if err != nil {
				return nil, fmt.Errorf("%s: entry %d: %w", t.Name, i+1, err)
			}
			if match(cmd) {
				ins, err := t.instantApp(i, cmd, app, arg)
				if err != nil {
					return nil, fmt.Errorf("%s: entry %d: %w", t.Name, i+1, err)
				}
				out.Entries = append(out.Entries, ins...)
				n++
			}
		}
		out.Entries = append(out.Entries, e)
	}
	if n == 0 {
		return nil, fmt.Errorf("%s: no command to insert %s before", t.Name, app)
	}
	return out, nil
}

// instantApp builds the four entries WithInstantApp inserts before the
// command cmd at Entries[i].
func (t *Trace) instantApp(i int, cmd esl.Command, app, arg string) ([]esl.WireFrame, error) {
	if !strings.HasPrefix(cmd.Line, "sendmsg") || !strings.EqualFold(cmd.Headers.Get("call-command"), "execute") {
		return nil, fmt.Errorf("%q is not a sendmsg execute", cmd.Line)
	}
	eventUUID, hasUUID := cmd.Headers.Lookup("Event-UUID")
	fresh := esl.NewUUID()
	if hasUUID && len(fresh) != len(eventUUID) {
		return nil, fmt.Errorf("Event-UUID %q is not a UUID", eventUUID)
	}

	// The command's own CHANNEL_EXECUTE (by Application-UUID, or by name
	// when the daemon sent no Event-UUID), and the next completion.
	own := -1
	var execLines []string
	for j := i + 1; j < len(t.Entries) && own < 0; j++ {
		lines, name, ok := eventLines(t.Entries[j])
		if !ok || name != "CHANNEL_EXECUTE" {
			continue
		}
		same := lineValue(lines, "Application-UUID") == eventUUID
		if !hasUUID {
			same = lineValue(lines, "Application") == cmd.Headers.Get("execute-app-name")
		}
		if !same {
			return nil, fmt.Errorf("the next CHANNEL_EXECUTE after %s is another command's", cmd.Headers.Get("execute-app-name"))
		}
		own, execLines = j, lines
	}
	if own < 0 {
		return nil, fmt.Errorf("no CHANNEL_EXECUTE of %s to clone", cmd.Headers.Get("execute-app-name"))
	}
	completeLine := ""
	for _, e := range t.Entries[own+1:] {
		if lines, name, ok := eventLines(e); ok && name == "CHANNEL_EXECUTE_COMPLETE" {
			completeLine = lineValue(lines, "Event-Calling-Line-Number")
			break
		}
	}
	if completeLine == "" {
		return nil, fmt.Errorf("no CHANNEL_EXECUTE_COMPLETE after %s's execute", cmd.Headers.Get("execute-app-name"))
	}

	// C>: the matched command, naming the inserted app; its argument goes
	// right after the name, where the daemon puts it.
	c := esl.Command{Line: cmd.Line, Body: cmd.Body}
	for _, h := range cmd.Headers {
		switch strings.ToLower(h.Name) {
		case "execute-app-name":
			c.Headers = append(c.Headers, esl.Header{Name: h.Name, Value: app})
			if arg != "" {
				c.Headers = append(c.Headers, esl.Header{Name: "execute-app-arg", Value: arg})
			}
			continue
		case "execute-app-arg":
			continue
		case "event-uuid":
			h.Value = fresh
		}
		c.Headers = append(c.Headers, h)
	}
	rawCmd, err := c.Encode()
	if err != nil {
		return nil, err
	}

	// F>: CHANNEL_EXECUTE, the clone with the inserted app's names.
	appUUID := fresh
	if !hasUUID {
		appUUID = esl.NewUUID() // FreeSWITCH makes one up when none is sent
	}
	var exec []string
	for _, l := range execLines {
		name, _, _ := strings.Cut(l, ": ")
		switch name {
		case "Application", "variable_current_application":
			exec = append(exec, name+": "+esl.URLEncode(app))
			if arg != "" {
				exec = append(exec, dataHeader[name]+": "+esl.URLEncode(arg))
			}
			continue
		case "Application-Data", "variable_current_application_data":
			continue
		case "Application-UUID":
			l = name + ": " + appUUID
		}
		exec = append(exec, l)
	}
	if lineIndex(exec, "Application") < 0 || lineIndex(exec, "variable_current_application") < 0 {
		return nil, fmt.Errorf("the CHANNEL_EXECUTE of %s lacks Application or current_application", cmd.Headers.Get("execute-app-name"))
	}

	// F>: CHANNEL_EXECUTE_COMPLETE, as switch_core_session_exec raises it.
	complete := slices.Clone(exec)
	seq, err := strconv.ParseUint(lineValue(exec, "Event-Sequence"), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("Event-Sequence of the CHANNEL_EXECUTE: %w", err)
	}
	for k, l := range complete {
		name, _, _ := strings.Cut(l, ": ")
		switch name {
		case "Event-Name":
			complete[k] = "Event-Name: CHANNEL_EXECUTE_COMPLETE"
		case "Event-Calling-Line-Number":
			complete[k] = "Event-Calling-Line-Number: " + completeLine
		case "Event-Sequence":
			complete[k] = "Event-Sequence: " + strconv.FormatUint(seq+1, 10)
		}
	}
	if k := lineIndex(complete, "variable_current_application"); k >= 0 {
		l := complete[k]
		complete = slices.Delete(complete, k, k+1)
		last := k - 1
		for j := k; j < len(complete); j++ {
			if strings.HasPrefix(complete[j], "variable_") {
				last = j
			}
		}
		complete = slices.Insert(complete, last+1, l)
	}
	at := lineIndex(complete, "Application-Data")
	if at < 0 {
		at = lineIndex(complete, "Application")
	}
	if at < 0 {
		return nil, fmt.Errorf("the CHANNEL_EXECUTE of %s has no Application header", cmd.Headers.Get("execute-app-name"))
	}
	complete = slices.Insert(complete, at+1, "Application-Response: _none_")

	when := t.Entries[i].At
	return []esl.WireFrame{
		{Dir: "C>", At: when, Raw: rawCmd},
		{Dir: "F>", At: when, Raw: []byte("Content-Type: command/reply\nReply-Text: +OK\n\n")},
		{Dir: "F>", At: when, Raw: plainEventFrame(exec)},
		{Dir: "F>", At: when, Raw: plainEventFrame(complete)},
	}, nil
}

// dataHeader names the header that follows each naming the app with its
// argument.
var dataHeader = map[string]string{
	"Application":                  "Application-Data",
	"variable_current_application": "variable_current_application_data",
}

// eventLines splits a text/event-plain frame without an inner body into its
// event's header lines (raw, as FreeSWITCH encoded them) and returns its
// Event-Name; ok is false for anything else.
func eventLines(e esl.WireFrame) (lines []string, name string, ok bool) {
	if e.Dir != "F>" {
		return nil, "", false
	}
	head, body, found := bytes.Cut(e.Raw, []byte("\n\n"))
	if !found || !bytes.Contains(head, []byte("Content-Type: "+esl.TypeEventPlain)) {
		return nil, "", false
	}
	block, rest, found := bytes.Cut(body, []byte("\n\n"))
	if !found || len(rest) != 0 {
		return nil, "", false
	}
	lines = strings.Split(string(block), "\n")
	return lines, lineValue(lines, "Event-Name"), true
}

// plainEventFrame frames event header lines as FreeSWITCH writes a
// text/event-plain frame.
func plainEventFrame(lines []string) []byte {
	body := strings.Join(lines, "\n") + "\n\n"
	return []byte("Content-Length: " + strconv.Itoa(len(body)) + "\nContent-Type: " + esl.TypeEventPlain + "\n\n" + body)
}

// lineIndex returns the index of the first header line named name, or -1.
func lineIndex(lines []string, name string) int {
	for k, l := range lines {
		if strings.HasPrefix(l, name+": ") {
			return k
		}
	}
	return -1
}

// lineValue returns the raw value of the first header line named name.
func lineValue(lines []string, name string) string {
	if k := lineIndex(lines, name); k >= 0 {
		return lines[k][len(name)+2:]
	}
	return ""
}
