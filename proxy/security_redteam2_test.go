package proxy_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestRedteam2WebhookRefused: replies a third attack pass got through,
// each refused as a whole now: YAML aliases that made a 2 KB reply one
// hundred set verbs of 200 variables each (every "- *a" read the
// anchored set again: 20,100 executes, past max_reply_bytes and
// max_verbs); speak text starting with "{" (switch_core_speech_feed_tts,
// src/switch_core_speech.c, reads a leading {...} as TTS engine
// parameters: {voice=...} overrode the voice callhook checks), and in a
// gather's prompt list a "{" after quotes or "\s" that FreeSWITCH's
// splitters strip on the way to mod_ssml.
func TestRedteam2WebhookRefused(t *testing.T) {
	var sets strings.Builder
	sets.WriteString("- answer\n- &a {set: {")
	for i := range 200 {
		fmt.Fprintf(&sets, "v%d: x, ", i)
	}
	sets.WriteString("z: x}}\n" + strings.Repeat("- *a\n", 98))
	tests := []refusedReply{
		{"aliased sets", sets.String(), "too many aliases", nil},
		{"speak {voice=}", `[answer, {speak: "{voice=../../../tmp/x}hello"}]`, "TTS engine's parameters", nil},
		{"play list speak {", `[answer, {play: [ivr/a.wav, {speak: "  {voice=x}hello"}]}]`, "TTS engine's parameters", nil},
		{"gather speak quoted {", `[answer, {gather: {play: [{speak: "'{voice=x}' press 1"}]}}]`, "TTS engine's parameters", nil},
		{"gather speak \\s{", `[answer, {gather: {play: [{speak: "\\s{voice=x}press 1"}]}}]`, "TTS engine's parameters", nil},
	}
	refusedReplies(t, tests)
}
