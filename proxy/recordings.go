package proxy

import (
	"context"
	"io"

	"github.com/callhook/callhook/verb"
)

// Recordings delivers the recordings a call's verbs make (package
// recordings; README "Recordings"). Proxy.Recordings nil: none is
// delivered, a recording is reported by the path FreeSWITCH wrote it to,
// and a verb that asks for an upload or a recording_status_url gets a
// result that says why neither happened.
type Recordings interface {
	// Plan makes a place for a recording of call named name (a name
	// package verb checked), local being where FreeSWITCH would write it in
	// the app's recordings folder.
	Plan(call *Call, name, local string) (PlannedRecording, error)
}

// PlannedRecording is one recording on its way. The session uses it from
// the call's goroutine.
type PlannedRecording interface {
	// Target is what FreeSWITCH records to (an http(s) URL, or a path).
	Target() string
	// Collect waits (boundedly) until the recording is whole where
	// callhook can read it, and returns where the app can fetch it.
	Collect(ctx context.Context) (*DeliveredRecording, error)
	// Open returns the recording's bytes and size (after Collect).
	Open() (io.ReadCloser, int64, error)
	// Discard forgets a recording that was never made (the call ended
	// before the application that records ran).
	Discard()
}

// DeliveredRecording is where a collected recording can be fetched.
type DeliveredRecording struct {
	URL  string
	Size int64
}

// RecordingReporter is a VerbDialog that delivers a recording further
// (webhook, flow and TwiML apps, with package recordings/delivery): the
// upload the app asked for, then its recording_status_url (a TwiML app's
// recordingStatusCallback). RecordingDone is called once per recording, from
// the call's goroutine, ready or failed, before the verb's result goes to
// its action (so the result says where the upload went), or at the call's
// end for a whole-call recording stopped by the hangup. ctx is not ended
// by the hangup.
type RecordingReporter interface {
	RecordingDone(ctx context.Context, r *RecordingReport)
}

// RecordingReport is one finished recording.
type RecordingReport struct {
	Verb      string          // the verb that made it: record, record_call, bridge
	Recording *verb.Recording // its facts; RecordingDone fills Recording.Upload
	// Failure says why the recording cannot be had ("" when it is ready).
	Failure  string
	Delivery verb.Delivery
	// Open returns its bytes (nil when it failed).
	Open func() (io.ReadCloser, int64, error)
}
