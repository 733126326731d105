package proxy

// Recordings on the session's side (recordings.go says what a delivery
// is): each recording verb's target is planned before it runs, and its
// recording collected and reported once it is whole.

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/verb"
)

// eventRecordStop is RECORD_STOP: a recording's file closed
// (src/switch_ivr_async.c send_record_stop_event, and
// src/switch_ivr_play_say.c for record).
const eventRecordStop = "RECORD_STOP"

// recPlan is one verb run's recording: what was planned for it.
type recPlan struct {
	verb     string
	mode     string // record_call's start or stop; "" for the other verbs
	name     string
	target   string
	planned  PlannedRecording // nil without Proxy.Recordings
	delivery verb.Delivery
}

// callRecording is the call's running whole-call recording (record_call
// start), until RECORD_STOP says its file is whole.
type callRecording struct {
	recPlan
	stop *esl.Event // its RECORD_STOP, once seen
}

// beginRecording plans the recording the verb makes, if any, setting
// pc.RecordTo. It returns the verb's result instead when the verb cannot
// run (record_call stop with nothing running, start with one running, a
// failed plan), or errCallGone.
func (s *session) beginRecording(ctx context.Context, v verb.Verb, spec verb.Spec, pc *verb.PlanContext) (*recPlan, *verb.Result, error) {
	rec, ok := spec.(verb.Recorder)
	if !ok {
		return nil, nil, nil
	}
	rp := &recPlan{verb: v.Name, name: rec.RecordingName(*pc), delivery: rec.RecordingDelivery()}
	if rc, ok := spec.(*verb.RecordCallSpec); ok {
		rp.mode = rc.Mode
		switch {
		case rc.Mode == verb.RecordCallStop && s.callRec == nil:
			return nil, verb.PrepareError(v, "record_call: no whole-call recording is running"), nil
		case rc.Mode == verb.RecordCallStop:
			pc.RecordTo = s.callRec.target
			return rp, nil, nil
		case s.callRec != nil:
			return nil, verb.PrepareError(v, "record_call: a whole-call recording is running already (stop it first)"), nil
		}
		if res, err := s.subscribeRecordStop(ctx, v); res != nil || err != nil {
			return nil, res, err
		}
	}
	if rp.name == "" {
		return nil, nil, nil // a bridge without record
	}
	if _, ok := spec.(*verb.BridgeSpec); ok {
		rp.mode = modeBridge
		if res, err := s.subscribeRecordStop(ctx, v); res != nil || err != nil {
			return nil, res, err
		}
	}
	rp.target = rec.RecordingPath(*pc)
	if s.p.Recordings != nil {
		p, err := s.p.Recordings.Plan(s.call, rp.name, rp.target)
		if err != nil {
			s.log.WithError(err).WithField("verb", v.Name).Warn("cannot plan the recording")
			res := verb.PrepareError(v, v.Name+": recording: "+err.Error())
			s.reportUnmade(ctx, rp, res.Message)
			return nil, res, nil
		}
		rp.planned, rp.target = p, p.Target()
		if res, err := s.checkUploadModule(ctx, v, rp); res != nil || err != nil {
			p.Discard()
			if res != nil {
				s.reportUnmade(ctx, rp, res.Message)
			}
			return nil, res, err
		}
	}
	pc.RecordTo = rp.target
	if rp.mode == modeBridge {
		// Its RECORD_STOP comes while the bridge's apps run.
		s.bridgeRec = &callRecording{recPlan: *rp}
	}
	return rp, nil, nil
}

// modeBridge marks a recording bridge's recPlan.
const modeBridge = "bridge"

// checkUploadModule checks that the switch can record to an http(s)
// target: mod_httapi registers the http and https file interfaces
// (src/mod/applications/mod_httapi/mod_httapi.c); without it record and
// record_session fail to open the file and nothing is uploaded. A switch
// that lacks it makes the verb's result an error naming the module, at
// once, rather than after the upload wait.
func (s *session) checkUploadModule(ctx context.Context, v verb.Verb, rp *recPlan) (*verb.Result, error) {
	scheme, _, ok := strings.Cut(rp.target, "://")
	if !ok {
		return nil, nil
	}
	need := verb.Need{Type: "file", Name: scheme, Module: "mod_httapi", For: v.Name + ": recording to callhook (recordings: upload)"}
	miss, isMissing, err := s.p.inv.get(s.coreUUID).missing(ctx, s.conn, []verb.Need{need})
	switch {
	case err != nil && s.gone():
		return nil, errCallGone
	case err != nil:
		s.log.WithError(err).Warn("cannot check the switch's modules")
	case isMissing:
		msg := verb.MissingError(miss)
		s.log.WithField("verb", v.Name).Warn(msg)
		return verb.PrepareError(v, msg), nil
	}
	return nil, nil
}

// subscribeRecordStop asks for RECORD_STOP, once a call: myevents does not
// include it, and `event` adds to what myevents subscribed while the
// myevents filter keeps only this channel's events
// (src/mod/event_handlers/mod_event_socket/mod_event_socket.c,
// parse_command "event" and "myevents").
func (s *session) subscribeRecordStop(ctx context.Context, v verb.Verb) (*verb.Result, error) {
	if s.recordStopSub {
		return nil, nil
	}
	if _, err := s.conn.Send(ctx, esl.Events(esl.FormatPlain, eventRecordStop)); err != nil {
		if s.gone() {
			return nil, errCallGone
		}
		// Without RECORD_STOP callhook could not tell when the file is
		// whole: the verb does not run.
		s.log.WithError(err).WithField("verb", v.Name).Warn("cannot subscribe to RECORD_STOP")
		return verb.PrepareError(v, v.Name+": cannot subscribe to RECORD_STOP: "+err.Error()), nil
	}
	s.recordStopSub = true
	return nil, nil
}

// endRecording follows a recording verb's run: a whole-call recording
// that started is kept until it stops; a finished recording is collected
// and reported, its URL (or its failure) put in res.
func (s *session) endRecording(ctx context.Context, rp *recPlan, res *verb.Result, complete *esl.Event) {
	if rp == nil {
		return
	}
	switch rp.mode {
	case modeBridge:
		cr := s.bridgeRec
		stop := s.awaitRecordStop(ctx, cr)
		s.bridgeRec = nil
		if res.Bridge == nil || res.Bridge.Status != "SUCCESS" {
			// Never bridged: the bug wrote nothing (FreeSWITCH discards
			// the empty file, RECORD_DISCARDED); there is no recording.
			if rp.planned != nil {
				rp.planned.Discard()
			}
			return
		}
		if stop == nil {
			stop = complete
		}
		res.Recording = verb.RecordingFrom(stop, cr.name, cr.target)
		s.deliver(ctx, &cr.recPlan, res.Recording, res)
		return
	case verb.RecordCallStart:
		if complete == nil {
			// record_session never ran: no bug records anything.
			if rp.planned != nil {
				rp.planned.Discard()
			}
			return
		}
		s.callRec = &callRecording{recPlan: *rp}
		return
	case verb.RecordCallStop:
		cr := s.callRec
		stop := s.awaitRecordStop(ctx, cr)
		s.callRec = nil
		if stop == nil {
			stop = complete // its variables are the ones RECORD_STOP carried
		}
		res.Recording = verb.RecordingFrom(stop, cr.name, cr.target)
		s.deliver(ctx, &cr.recPlan, res.Recording, res)
		return
	}
	if res.Recording == nil {
		// Cut off before its record application ran.
		if rp.planned != nil {
			rp.planned.Discard()
		}
		return
	}
	s.deliver(ctx, rp, res.Recording, res)
}

// awaitRecordStop returns cr's RECORD_STOP, reading events for it (within
// the linger) when it has not come yet. FreeSWITCH fires it before
// stop_record_session returns, and at a hangup before
// CHANNEL_HANGUP_COMPLETE; nil when it never came (the connection ended,
// or CHANNEL_HANGUP_COMPLETE came first). cr must be s.callRec or
// s.bridgeRec, whose RECORD_STOP handle notes (seeRecordStop).
func (s *session) awaitRecordStop(ctx context.Context, cr *callRecording) *esl.Event {
	deadline := time.Now().Add(s.p.linger() + time.Second)
	for cr.stop == nil && !s.ended && s.hangupComplete == nil && time.Now().Before(deadline) {
		wctx, cancel := context.WithDeadline(ctx, deadline)
		_, err := s.nextEvent(wctx)
		cancel()
		if err != nil {
			break
		}
	}
	return cr.stop
}

// seeRecordStop notes a RECORD_STOP of the call's whole-call recording,
// or of the running bridge's.
func (s *session) seeRecordStop(ev *esl.Event) {
	for _, cr := range []*callRecording{s.callRec, s.bridgeRec} {
		if cr != nil && cr.stop == nil && ev.Get("Record-File-Path") == cr.target {
			cr.stop = ev
		}
	}
}

// errNoDelivery is the failure of a recording whose app asked for an
// upload or a status callback when callhook delivers no recordings.
var errNoDelivery = errors.New("callhook delivers no recordings (no recordings: section in its config), so it cannot upload this one or report on it")

// deliver collects a finished recording and reports it to the app's
// dialog (upload, recording_status_url). A recording that cannot be had
// makes res's reason error, with a message (res nil: a whole-call
// recording stopped by the hangup, whose result is call.end's).
func (s *session) deliver(ctx context.Context, rp *recPlan, rec *verb.Recording, res *verb.Result) {
	rec.Format = verb.RecordingFormat(rp.name)
	dctx := context.WithoutCancel(ctx)
	var failure error
	report := &RecordingReport{Verb: rp.verb, Recording: rec, Delivery: rp.delivery}
	switch {
	case rp.planned != nil:
		d, err := rp.planned.Collect(dctx)
		if err != nil {
			failure = err
			break
		}
		rec.URL, rec.Size = d.URL, d.Size
		report.Open = rp.planned.Open
	case rp.delivery.Upload != nil || rp.delivery.StatusURL != "":
		failure = errNoDelivery
	default:
		return // no delivery asked for, none configured: the path is all
	}
	if failure != nil {
		report.Failure = failure.Error()
		s.log.WithError(failure).WithField("verb", rp.verb).Warn("recording failed")
		if res != nil {
			if res.Reason == verb.ReasonOK {
				res.Reason = verb.ReasonError
			}
			res.Message = "recording: " + failure.Error()
		}
	}
	s.report(dctx, report)
}

// endCallRecording delivers a whole-call recording still running when the
// call ended: its RECORD_STOP comes in the hangup tail, before
// CHANNEL_HANGUP_COMPLETE, which finish has read up to. It returns the
// recording, for call.end.
func (s *session) endCallRecording(ctx context.Context) *verb.Recording {
	cr := s.callRec
	if cr == nil {
		return nil
	}
	if s.outcome == OutcomeTransferred {
		// The channel went on to another extension with the recording
		// running: it ends there, out of callhook's sight.
		return s.lostCallRecording(ctx, cr, "the call was transferred while the whole-call recording ran (record_call: stop before transfer)")
	}
	stop := s.awaitRecordStop(ctx, cr)
	if stop == nil {
		s.log.WithField("verb", cr.verb).Warn("the whole-call recording's RECORD_STOP never came")
		return s.lostCallRecording(ctx, cr, "FreeSWITCH did not say the recording ended (no RECORD_STOP before the call's end)")
	}
	s.callRec = nil
	rec := verb.RecordingFrom(stop, cr.name, cr.target)
	s.deliver(ctx, &cr.recPlan, rec, nil)
	return rec
}

// lostCallRecording ends the whole-call recording cr, which callhook will
// never have: its planned delivery is discarded and the app told why. It
// returns the recording, for call.end.
func (s *session) lostCallRecording(ctx context.Context, cr *callRecording, why string) *verb.Recording {
	s.callRec = nil
	if cr.planned != nil {
		cr.planned.Discard()
	}
	rec := &verb.Recording{Name: cr.name, Format: verb.RecordingFormat(cr.name)}
	s.report(ctx, &RecordingReport{Verb: cr.verb, Recording: rec, Delivery: cr.delivery, Failure: why})
	return rec
}

// reportUnmade tells the app of a recording that could not even start
// (its recording_status_url says failed).
func (s *session) reportUnmade(ctx context.Context, rp *recPlan, why string) {
	rec := &verb.Recording{Name: rp.name, Format: verb.RecordingFormat(rp.name)}
	s.report(ctx, &RecordingReport{Verb: rp.verb, Recording: rec, Delivery: rp.delivery, Failure: why})
}

// report hands a finished recording to the dialog, when it delivers
// recordings further.
func (s *session) report(ctx context.Context, r *RecordingReport) {
	if vd, ok := s.dialog.(verbDialog); ok {
		if rr, ok := vd.VerbDialog.(RecordingReporter); ok {
			rr.RecordingDone(context.WithoutCancel(ctx), r)
			return
		}
	}
	// A dialog that delivers nothing further (webhook, flow and TwiML
	// apps' do): what the verb asked for is not done, and says so.
	if u := r.Delivery.Upload; u != nil {
		r.Recording.Upload = &verb.Uploaded{URL: u.URL, Method: u.Method, Error: "not uploaded: only webhook, flow and TwiML apps deliver recordings"}
	}
	if r.Delivery.Upload != nil || r.Delivery.StatusURL != "" {
		s.log.WithField("verb", r.Verb).Warn("upload and recording_status_url are carried out for webhook, flow and TwiML apps only")
	}
}
