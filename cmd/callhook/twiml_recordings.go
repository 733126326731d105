package main

import (
	"fmt"

	"github.com/callhook/callhook/internal/config"
)

// twimlRecordingWarnings warns of each TwiML app when the config has no
// recordings: section: a Twilio app's <Record> and <Dial record> give a
// RecordingUrl, which only callhook's recordings delivery can, so without
// it they go to the app's fallback at run time. The config cannot see the
// app's documents: this is a warning, not an error.
func twimlRecordingWarnings(cfg *config.Config) []string {
	if cfg.Recordings != nil {
		return nil
	}
	var out []string
	for _, a := range cfg.Apps {
		if a.Kind == config.KindTwiML {
			out = append(out, fmt.Sprintf("%s:%d: warning: apps.%s: a twiml app, and the config has no recordings: section: "+
				"its <Record> and <Dial record> will go to its fallback (no RecordingUrl to give)", cfg.File, a.Line, a.Name))
		}
	}
	return out
}
