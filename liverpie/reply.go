package liverpie

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/callhook/callhook/apphttp"
	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/internal/yamlx"
	"github.com/callhook/callhook/verb"
	"gopkg.in/yaml.v3"
)

// expect is what fires the next state-machine request: a later
// frame whose header key (normalised) has value, compared with the value
// as FreeSWITCH sent it. It mirrors Liverpie's test
// params[expected_key] == expected_value, nil included:
//
//   - neither key nor value: the next frame of any kind fires (Ruby's
//     params[nil] == nil is true for every frame);
//   - a key without a value: the next frame without that header fires;
//   - a value without a key never fires in Liverpie, and is refused by
//     parseReply instead of leaving the call waiting for good.
type expect struct {
	key      string
	hasKey   bool
	value    string
	hasValue bool
}

// matches reports whether frame v fires the request. Values are compared
// with surrounding spaces trimmed, as Liverpie stripped them.
func (e expect) matches(v view) bool {
	if !e.hasKey {
		return !e.hasValue
	}
	h, ok := v.lookup(e.key)
	if !e.hasValue {
		return !ok
	}
	return ok && strings.TrimSpace(h.raw) == e.value
}

// appReply is a Liverpie app's answer.
type appReply struct {
	// empty: the app answered nothing (an empty or null document); the
	// expectation stays as it was.
	empty  bool
	msg    string // ESL command text; "" for none
	expect expect
}

// parseReply parses a reply body: a YAML mapping with msg,
// expected_key and expected_value, each a scalar or null (other keys are
// ignored, as Liverpie ignored them). Anything else is an error that says
// what is wrong; nothing in the body can make it panic.
func parseReply(body []byte) (rep appReply, err error) {
	defer func() {
		// yaml.v3 is third-party code fed by the network: should it ever
		// panic, the call must end with a reason, not crash.
		if p := recover(); p != nil {
			rep, err = appReply{}, fmt.Errorf("reply is not valid YAML: parser failed: %v", p)
		}
	}()
	if len(bytes.TrimSpace(body)) == 0 {
		return appReply{empty: true}, nil
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return appReply{empty: true}, nil
		}
		return appReply{}, fmt.Errorf("reply is not valid YAML: %w", err)
	}
	if len(doc.Content) == 0 {
		return appReply{empty: true}, nil
	}
	root := yamlx.Deref(doc.Content[0])
	if yamlx.IsNull(root) {
		return appReply{empty: true}, nil
	}
	if root.Kind != yaml.MappingNode {
		return appReply{}, fmt.Errorf("reply line %d: want a YAML mapping with msg, expected_key and expected_value, got %s",
			root.Line, kindName(root))
	}
	var key, value *string
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := yamlx.Deref(root.Content[i]), yamlx.Deref(root.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			continue
		}
		var dst **string
		switch k.Value {
		case "msg":
			s, err := scalar(k.Value, v)
			if err != nil {
				return appReply{}, err
			}
			rep.msg = ""
			if s != nil {
				rep.msg = *s
			}
			continue
		case "expected_key":
			dst = &key
		case "expected_value":
			dst = &value
		default:
			continue
		}
		s, err := scalar(k.Value, v)
		if err != nil {
			return appReply{}, err
		}
		*dst = s
	}
	if value != nil && key == nil {
		return appReply{}, fmt.Errorf("reply has expected_value %q but no expected_key: nothing could ever match", *value)
	}
	if key != nil {
		rep.expect = expect{key: formName(*key), hasKey: true}
	}
	if value != nil {
		rep.expect.value, rep.expect.hasValue = *value, true
	}
	return rep, nil
}

// scalar returns a reply key's value: nil for null, its text for any
// scalar (a number or a boolean is compared as written, where Ruby compared
// an Integer with a String and never matched), and an error for a list or
// a mapping.
func scalar(key string, n *yaml.Node) (*string, error) {
	if yamlx.IsNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.ScalarNode {
		return nil, fmt.Errorf("reply line %d: %s must be a string, got %s", n.Line, key, kindName(n))
	}
	s := n.Value
	return &s, nil
}

// kindName names a node's kind for errors. kindName words kinds for
// verb errors ("a map", a bare quoted scalar, uncut); a Liverpie reply's
// errors keep their own wording ("a mapping", "the scalar ...", cut to
// replyShown).
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("the scalar %q", apphttp.Shorten([]byte(n.Value), replyShown))
	case yaml.AliasNode:
		return "an alias"
	}
	return "nothing"
}

// maxCommands bounds the commands one msg may hold.
const maxCommands = 16

// commands turns a reply's msg into the commands to send. The text is read
// exactly as FreeSWITCH would have read Liverpie's bytes (msg followed by a
// blank line), so a msg holding several command packets yields several
// commands, each checked: its command word must be in the app's allowlist
// (sendmsg may only address the call's own channel, and checkSendMsg
// decides what it may make FreeSWITCH do), nothing in it may hold "${",
// and esl must be able to write it out again (no line breaks in values, a
// Content-Length that fits its body). A command that fails any check fails the call: its state
// machine waits for what that command would have caused, so skipping it
// would leave the caller in silence.
func (d *dialog) commands(msg string) ([]esl.Command, error) {
	if strings.TrimSpace(msg) == "" {
		return nil, nil
	}
	r := esl.NewReader(strings.NewReader(msg+"\n\n"), esl.Limits{})
	var cmds []esl.Command
	for {
		cmd, _, err := r.ReadCommand()
		if errors.Is(err, io.EOF) {
			return cmds, nil
		}
		if err != nil {
			return nil, fmt.Errorf("msg is not an ESL command: %w", err)
		}
		if len(cmds) == maxCommands {
			return nil, fmt.Errorf("msg holds more than %d commands", maxCommands)
		}
		cmd, err = d.checkCommand(cmd)
		if err != nil {
			return nil, err
		}
		cmds = append(cmds, cmd)
	}
}

// checkCommand checks one command of a msg and returns it with its line
// tidied: blanks around it trimmed (FreeSWITCH ignores them; Liverpie's own
// README example has "SendMsg " with a trailing space) and the command word
// in lower case (FreeSWITCH compares it case-insensitively).
func (d *dialog) checkCommand(cmd esl.Command) (esl.Command, error) {
	line := strings.Trim(cmd.Line, " \t")
	word, args, _ := strings.Cut(line, " ")
	word = strings.ToLower(word)
	if !slices.Contains(d.allow, word) {
		return esl.Command{}, fmt.Errorf("msg command %q refused: not in the app's allow_commands %v (add it there to allow it)",
			word, d.allow)
	}
	if err := checkNoExpansion(cmd); err != nil {
		return esl.Command{}, fmt.Errorf("msg %q refused: %w", word, err)
	}
	if err := checkNoArrays(cmd); err != nil {
		return esl.Command{}, fmt.Errorf("msg %q refused: %w", word, err)
	}
	if word == "sendmsg" {
		target := strings.TrimSpace(args)
		if target == "" {
			target = cmd.Headers.Get("session-id")
		}
		if target != "" && !strings.EqualFold(target, d.call.ID) {
			return esl.Command{}, fmt.Errorf("msg sendmsg refused: it addresses channel %q, not this call's %q", target, d.call.ID)
		}
		if err := d.checkSendMsg(cmd); err != nil {
			return esl.Command{}, fmt.Errorf("msg sendmsg refused: %w", err)
		}
		if err := executeFiles(cmd, d.app.Files); err != nil {
			return esl.Command{}, fmt.Errorf("msg sendmsg refused: %w", err)
		}
	}
	cmd.Line = word
	if args = strings.TrimLeft(args, " \t"); args != "" {
		cmd.Line += " " + args
	}
	if _, err := cmd.Encode(); err != nil {
		return esl.Command{}, fmt.Errorf("msg %q cannot be sent: %w", word, err)
	}
	return cmd, nil
}

// executeFiles checks the file arguments of a sendmsg execute
// (CheckExecuteFiles). FreeSWITCH compares call-command on its first 7
// bytes, so "executeX" is an execute too, and takes the argument from
// execute-app-arg or, without it, from a text/plain body (src/switch_ivr.c,
// switch_ivr_parse_event); a body is checked whatever its type.
func executeFiles(cmd esl.Command, files *verb.FileRules) error {
	if !strings.HasPrefix(strings.ToLower(cmd.Headers.Get("call-command")), "execute") {
		return nil
	}
	app := strings.TrimSpace(cmd.Headers.Get("execute-app-name"))
	arg := cmd.Headers.Get("execute-app-arg")
	if arg == "" {
		arg = string(cmd.Body)
	}
	if err := verb.CheckExecuteFiles(app, arg, files); err != nil {
		return fmt.Errorf("execute %s: %w", app, err)
	}
	return nil
}

// checkNoExpansion refuses "${" (and so "$${") in a command's line, header
// names and values, and body: FreeSWITCH expands an application's argument
// before running it (src/switch_core_session.c), and ${api(args)} in it
// runs any API command, uuid_kill of another call or system included.
func checkNoExpansion(cmd esl.Command) error {
	if strings.Contains(cmd.Line, "${") {
		return fmt.Errorf(`its command line has "${", which FreeSWITCH would expand (and run API commands from)`)
	}
	for _, h := range cmd.Headers {
		if strings.Contains(h.Name, "${") || strings.Contains(h.Value, "${") {
			return fmt.Errorf(`header %s has "${", which FreeSWITCH would expand (and run API commands from)`, verb.Quote(h.Name))
		}
	}
	if bytes.Contains(cmd.Body, []byte("${")) {
		return fmt.Errorf(`its body has "${", which FreeSWITCH would expand (and run API commands from)`)
	}
	return nil
}

// checkNoArrays refuses a header value starting with "ARRAY::":
// FreeSWITCH stores it as an array (src/switch_event.c,
// switch_event_add_array), so "execute-app-arg: ARRAY::%[...]x" reaches
// the application as "%[...]x" (variables set for its run, such as
// force_transfer_dialplan=inline for a transfer), and "ARRAY::" alone is
// dropped, so the body is run instead of the value checked here.
func checkNoArrays(cmd esl.Command) error {
	for _, h := range cmd.Headers {
		if strings.HasPrefix(h.Value, esl.ArrayPrefix) {
			return fmt.Errorf("header %s starts with %q, which FreeSWITCH reads as an array, not as written", verb.Quote(h.Name), esl.ArrayPrefix)
		}
	}
	return nil
}

// fsCallCommands are the call-commands switch_ivr_parse_event knows
// (src/switch_ivr.c).
var fsCallCommands = []string{"execute", "hangup", "nomedia", "unicast", "xferext"}

// fsCallCommand returns the call-command FreeSWITCH runs for the value v
// of a sendmsg's call-command header, "" for none. switch_ivr_parse_event
// (src/switch_ivr.c) compares hashes that all cover 7 bytes, the length of
// the last name it hashed ("xferext"), with the name's terminating NUL as
// the 7th byte of "hangup": so "executeX" is execute, while "hangup" must
// be exact, and the comparison is case-sensitive.
func fsCallCommand(v string) string {
	b := v + "\x00"
	if len(b) < 7 {
		return ""
	}
	for _, c := range fsCallCommands {
		if b[:7] == (c + "\x00")[:7] {
			return c
		}
	}
	return ""
}

// checkSendMsg checks what a sendmsg makes FreeSWITCH do, as
// switch_ivr_parse_event reads it (src/switch_ivr.c): its call-command
// must be execute, hangup or one of the app's allow_call_commands; an
// execute's application must be one of LiverpieApps or the app's
// allow_execute, and gets the same checks as the verbs (verb/fsapps.go); so do
// the applications of an xferext. FreeSWITCH reads header names that hold
// "[" as arrays and the first of duplicate headers, so names are kept
// plain and unique (xferext's application headers aside).
func (d *dialog) checkSendMsg(cmd esl.Command) error {
	seen := map[string]bool{}
	for _, h := range cmd.Headers {
		if err := verb.CheckName(h.Name, ""); err != nil {
			return fmt.Errorf("header name: %w", err)
		}
		l := strings.ToLower(h.Name)
		if seen[l] && l != "application" {
			return fmt.Errorf("header %s given twice", verb.Quote(h.Name))
		}
		seen[l] = true
	}
	raw := cmd.Headers.Get("call-command")
	cc := fsCallCommand(raw)
	switch {
	case cc == "":
		return fmt.Errorf("call-command %s is not one FreeSWITCH runs (%s)", verb.Quote(raw), strings.Join(fsCallCommands, ", "))
	case !slices.Contains(d.calls, cc):
		return fmt.Errorf("call-command %s is not allowed (execute and hangup; the app's allow_call_commands can add nomedia, unicast, xferext)", verb.Quote(raw))
	}
	switch cc {
	case "execute":
		arg := cmd.Headers.Get("execute-app-arg")
		if arg == "" && strings.EqualFold(cmd.Headers.Get("content-type"), "text/plain") {
			arg = string(cmd.Body)
		}
		return d.checkExecute(cmd.Headers.Get("execute-app-name"), arg)
	case "xferext":
		// Each application header is "NAME ARG", run in turn.
		for _, v := range cmd.Headers.Values("application") {
			app, arg, _ := strings.Cut(v, " ")
			if err := d.checkExecute(app, arg); err != nil {
				return fmt.Errorf("xferext: %w", err)
			}
		}
	case "nomedia":
		if u := cmd.Headers.Get("nomedia-uuid"); u != "" && !strings.EqualFold(u, d.call.ID) {
			return fmt.Errorf("nomedia-uuid %s is not this call's %q", verb.Quote(u), d.call.ID)
		}
	}
	return nil
}

// checkExecute checks an application a Liverpie app asks to run.
func (d *dialog) checkExecute(app, arg string) error {
	if err := verb.CheckName(app, ""); err != nil {
		return fmt.Errorf("execute-app-name: %w", err)
	}
	if !verb.LiverpieAllowsApp(app, d.app.AllowExecute) {
		return fmt.Errorf("application %s is not allowed (the call-local applications callhook documents, and the app's allow_execute)", verb.Quote(app))
	}
	return d.policy.CheckApp(app, arg)
}
