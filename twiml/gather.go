package twiml

// Gather: a gather verb whose prompt list is the Gather's nouns.

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/callhook/callhook/verb"
)

// gatherDigits is the regex a Gather's digits must match: any keys
// (Twilio reports what was pressed; callhook's gather wants digits only).
const gatherDigits = `[0-9*#]+`

// gather: a gather verb whose prompt list is the nested Say, Play and
// Pause; the first key stops the whole list, as Twilio's does.
func (p *planner) gather(n *Node, s *Step) error {
	if in, ok := n.Attr("input"); ok && in != "dtmf" {
		return &Unsupported{Line: n.Line, What: fmt.Sprintf("<Gather input=%q> (speech needs a recognizer a stock switch lacks)", in)}
	}
	if n.Text != "" {
		return &ParseError{Line: n.Line, Msg: "<Gather> holds text outside its nouns"}
	}
	num, err := integer(n, "numDigits", 128, 1, 128)
	if err != nil {
		return err
	}
	timeout, err := integer(n, "timeout", 5, 1, 600)
	if err != nil {
		return err
	}
	finish := "#"
	if v, ok := n.Attr("finishOnKey"); ok {
		finish = v
		if finish == "" {
			finish = "none"
		} else if len(finish) != 1 || !strings.Contains("0123456789*#", finish) {
			return &ParseError{Line: n.Line, Msg: fmt.Sprintf("<Gather finishOnKey=%q>: want one key, 0-9 * or #, or empty", v)}
		}
	}
	if s.OnEmpty, err = boolean(n, "actionOnEmptyResult", false); err != nil {
		return err
	}
	list, err := p.prompts(n)
	if err != nil {
		return err
	}
	opts := map[string]any{"min": 1, "max": num, "timeout": strconv.Itoa(timeout) + "s", "terminators": finish, "regex": gatherDigits}
	if len(list) > 0 {
		opts["play"] = list
	}
	if s.Verb, err = p.verb(n.Line, "gather", opts); err != nil {
		return err
	}
	return p.action(n, s)
}

// prompts are a Gather's nouns as one prompt list, each repeated as its
// loop says. The list's limit (verb.MaxPrompts) is checked as it grows,
// before any repetition is made: a document may loop each of hundreds of
// nouns a thousand times. A noun with loop="0" repeats, on Twilio, until a
// key ends the Gather, so nothing after it is ever heard: it fills the
// rest of the list, and the nouns after it are checked but not played.
func (p *planner) prompts(n *Node) ([]any, error) {
	var list []any
	endless := false
	for _, c := range n.Children {
		item, l, err := p.prompt(c)
		if err != nil {
			return nil, err
		}
		if endless {
			continue
		}
		room := verb.MaxPrompts - len(list)
		if l == 0 {
			l, endless = max(room, 1), true
		}
		if l > room {
			return nil, &Unsupported{Line: c.Line, What: fmt.Sprintf("<Gather> whose nouns, looped, are more than %d prompts", verb.MaxPrompts)}
		}
		for range l {
			list = append(list, item)
		}
	}
	return list, nil
}

// prompt is one noun of a Gather as a prompt list item, and its loop (0:
// until a key is pressed).
func (p *planner) prompt(c *Node) (any, int, error) {
	attrs, ok := map[string][]string{"Say": supported["Say"], "Play": {"loop"}, "Pause": supported["Pause"]}[c.Name]
	if !ok {
		return nil, 0, &ParseError{Line: c.Line, Msg: "<Gather> holds <" + c.Name + ">: it holds Say, Play and Pause"}
	}
	if _, digits := c.Attr("digits"); digits && c.Name == "Play" {
		return nil, 0, &Unsupported{Line: c.Line, What: "<Play digits> inside <Gather>"}
	}
	if err := checkAttrs(c, attrs); err != nil {
		return nil, 0, err
	}
	var item any
	switch c.Name {
	case "Say":
		opts, err := p.speakOpts(c)
		if err != nil {
			return nil, 0, err
		}
		opts["text"] = inGather.Replace(opts["text"].(string))
		item = map[string]any{"speak": opts}
	case "Play":
		if len(c.Children) > 0 || c.Text == "" {
			return nil, 0, &ParseError{Line: c.Line, Msg: "<Play> in <Gather> wants a URL"}
		}
		u, err := p.resolve(c, "URL", c.Text)
		if err != nil {
			return nil, 0, err
		}
		item = map[string]any{"file": u}
	case "Pause":
		if err := noContent(c); err != nil {
			return nil, 0, err
		}
		l, err := integer(c, "length", 1, 1, 3600)
		if err != nil {
			return nil, 0, err
		}
		return map[string]any{"pause": strconv.Itoa(l) + "s"}, 1, nil
	}
	l, err := integer(c, "loop", 1, 0, maxLoop)
	return item, l, err
}

// inGather rewrites a Say's text for a Gather's prompt list, where "!"
// separates the list's files (file_string://, src/mod/applications/
// mod_dptools/mod_dptools.c): "Welcome!" is said "Welcome.".
var inGather = strings.NewReplacer("!", ".")
