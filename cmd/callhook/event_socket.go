package main

import (
	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/internal/config"
)

// connOptions maps the event_socket key onto the options of every
// connection from FreeSWITCH. max_frame_bytes bounds a frame's header
// block (the connect reply is one) as well as its body.
func connOptions(es config.EventSocket, counter esl.FrameCounter) esl.ConnOptions {
	probe := es.ProbeAfter
	if probe == 0 {
		probe = -1 // the config's 0 is "never"; esl's 0 is its default
	}
	return esl.ConnOptions{
		Limits:         esl.Limits{MaxHeaderBytes: int(es.MaxFrameBytes), MaxBodyBytes: int(es.MaxFrameBytes)},
		MaxQueuedBytes: int(es.MaxQueuedBytes),
		ReplyTimeout:   es.ReplyTimeout,
		APITimeout:     es.APITimeout,
		ProbeAfter:     probe,
		Counter:        counter,
	}
}
