package verb

import (
	"strings"
	"testing"
)

// TestSpeakTTSParams: a leading "{" of speak text, which FreeSWITCH reads
// as TTS engine parameters, is refused in the speak verb and in play and
// gather lists, and "{" anywhere in a gather's speak item (its quotes and
// escapes are stripped on the way); other text is read as before.
func TestSpeakTTSParams(t *testing.T) {
	for _, reply := range []string{
		`- speak: "{voice=x}hi"`,
		`- speak: {text: "   {voice=x}hi", engine: flite}`,
		`- play: [a.wav, {speak: "{voice=x}hi"}]`,
		`- gather: {play: [{speak: "'{voice=x}' hi"}]}`,
		`- gather: {play: [{speak: "\\s{voice=x}hi"}]}`,
	} {
		_, err := ParseReply([]byte(reply), ParseOptions{})
		if err == nil || !strings.Contains(err.Error(), "TTS engine's parameters") {
			t.Errorf("%s: err = %v, want the TTS parameters refused", reply, err)
		}
	}
	for _, reply := range []string{
		`- speak: "it's {not} a parameter"`,
		`- gather: {play: [{speak: "if it's you, press 1"}]}`,
	} {
		if _, err := ParseReply([]byte(reply), ParseOptions{}); err != nil {
			t.Errorf("%s: %v", reply, err)
		}
	}
}
