package esltest

import (
	"bytes"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/callhook/callhook/esl"
)

// TestReplayRealTraces drives the simulator with the C> frames of callhook's
// per-call traces from a real FreeSWITCH 1.10.12 (../testdata/real-traces),
// each sent once the simulator has written the F> frames that preceded it,
// and compares the simulator's frames with FreeSWITCH's: the same frames in
// the same order, the same content types, events with the same name,
// application, response, channel, call and answer states, hangup cause and
// key variables (DIALSTATUS, originate_disposition, read_result ...), the
// same reply texts and notices. Header lists are not compared: the traces'
// calls had a caller profile and dialplan variables of their own (the
// older captures, TestReplayCaptures, check the header lists).
//
// The traces start after connect and have no notes, so the scenario is
// read from the events: the channel from the first one; where CHANNEL_PARK
// and the linger notice fell; what each bridge target did (CHANNEL_BRIDGE:
// answered; else its DIALSTATUS); what the extension a transfer reached
// ran; and the caller's actions (a DTMF event, a CHANNEL_HANGUP callhook
// did not ask for), done once the frames before them are written.
func TestReplayRealTraces(t *testing.T) {
	files, err := filepath.Glob("../testdata/real-traces/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no traces in ../testdata/real-traces: %v", err)
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".txt")
		t.Run(name, func(t *testing.T) {
			// Real speed in fake time: a caller action posted after frame N
			// reaches the simulator before any of its timers can fire.
			synctest.Test(t, func(t *testing.T) { replayReal(t, path) })
		})
	}
}

// realScenario reads the simulator's options and the replay's steps from a
// trace that starts after connect.
func realScenario(t *testing.T, c *capture) (Options, []step) {
	t.Helper()
	var first *esl.Event
	for _, f := range c.frames {
		if e := parseEv(t, f); e != nil && e.UniqueID() != "" {
			first = e
			break
		}
	}
	if first == nil {
		t.Fatal("the trace has no channel event")
	}
	o := Options{
		UUID:              first.UniqueID(),
		CallerUUID:        first.Var("other_loopback_leg_uuid"),
		CallerIDName:      first.Get("Caller-Caller-ID-Name"),
		CallerIDNumber:    first.Get("Caller-Caller-ID-Number"),
		DestinationNumber: first.Get("Caller-Destination-Number"),
		ChannelName:       first.Get("Channel-Name"),
		Mode:              ModeAsyncFull,
		Park:              ParkImmediately,
		BridgeTargets:     map[string]BridgeOutcome{},
		Extensions:        map[string][]string{},
	}
	steps := []step{{send: []byte("connect\n\n")}}
	frames, sent := 0, 0
	var lastCmd []byte
	hangupSeen, lingerSeen := false, false
	bridgeArg, bridged := "", false
	transferTo, inExtension := "", false
	for _, e := range c.entries {
		switch e.Dir {
		case "C>":
			// +1: the simulator's connect reply comes first.
			steps = append(steps, step{send: e.Raw, frames: frames + 1})
			sent++
			lastCmd = e.Raw
		case "F>":
			f := c.frames[frames]
			frames++
			if f.ContentType() == esl.TypeDisconnectNotice && f.Headers.Get("Content-Disposition") == "linger" {
				lingerSeen = true
				if !hangupSeen {
					o.LingerNotice = LingerNoticeFirst
				}
				continue
			}
			ev := parseEv(t, f)
			if ev == nil {
				continue
			}
			switch ev.Name() {
			case "CHANNEL_PARK":
				o.Park = ParkAfter(sent)
			case "DTMF":
				digit := ev.DTMFDigit()
				steps = append(steps, step{act: func(c *Call) { c.Digits(digit) }, frames: frames})
			case "CHANNEL_HANGUP":
				hangupSeen = true
				daemon := bytes.Contains(lastCmd, []byte("call-command: hangup")) || bytes.HasPrefix(lastCmd, []byte("api uuid_kill"))
				if !daemon && !inExtension {
					cause := ev.HangupCause()
					steps = append(steps, step{act: func(c *Call) { c.Hangup(cause) }, frames: frames})
				}
			case "CHANNEL_HANGUP_COMPLETE":
				if hangupSeen && lingerSeen && o.LingerNotice != LingerNoticeFirst {
					o.LingerNotice = LingerNoticeAfterHangup
				}
			case "CHANNEL_EXECUTE":
				switch app := ev.Application(); {
				case inExtension:
					o.Extensions[transferTo] = append(o.Extensions[transferTo], strings.TrimSpace(app+" "+ev.Get("Application-Data")))
				case app == "bridge":
					bridgeArg, bridged = ev.Get("Application-Data"), false
				case app == "transfer":
					transferTo = strings.Fields(ev.Get("Application-Data"))[0]
				}
			case "CHANNEL_BRIDGE":
				bridged = true
			case "CHANNEL_EXECUTE_COMPLETE":
				switch ev.Application() {
				case "bridge":
					if target, outcome := bridgeOutcome(bridgeArg, bridged, ev); target != "" {
						o.BridgeTargets[target] = outcome
					}
				case "socket":
					inExtension = transferTo != ""
				case "playback":
					if ev.AppResponse() == "FILE NOT FOUND" {
						if o.PlaybackDurations == nil {
							o.PlaybackDurations = map[string]time.Duration{}
						}
						o.PlaybackDurations[ev.Get("Application-Data")] = -1
					}
				}
			}
		}
	}
	return o, steps
}

// bridgeOutcome says what the target of a bridge did, from its events: ""
// for an error/<cause> target, which the simulator knows by itself.
func bridgeOutcome(arg string, bridged bool, complete *esl.Event) (string, BridgeOutcome) {
	if i := strings.LastIndexByte(arg, '}'); i >= 0 {
		arg = arg[i+1:]
	}
	if strings.HasPrefix(arg, "error/") {
		return "", ""
	}
	switch {
	case bridged:
		return arg, BridgeAnswer
	case complete.Var("DIALSTATUS") == "BUSY":
		return arg, BridgeBusy
	case complete.Var("DIALSTATUS") == "NOANSWER":
		return arg, BridgeNoAnswer
	}
	return arg, BridgeFail(complete.Var("originate_failed_cause"))
}

func replayReal(t *testing.T, path string) {
	capt := loadCapture(t, path)
	o, steps := realScenario(t, capt)
	ctx := t.Context()
	simEnd, nc := net.Pipe()
	call := NewCall(simEnd, o)
	t.Cleanup(func() { call.Close() })
	defer nc.Close()
	go func() { _, _ = io.Copy(io.Discard, nc) }()
	for i, s := range steps {
		written, err := call.WaitFrames(ctx, s.frames)
		if err != nil || len(written) < s.frames {
			t.Fatalf("step %d: simulator wrote %d frames, the trace had %d before this step (%v)\nsimulator:\n%s\ntrace:\n%s",
				i, len(written), s.frames, err, frameSummary(written), frameSummary(capt.frames))
		}
		if s.act != nil {
			s.act(call)
			continue
		}
		if _, err := nc.Write(s.send); err != nil {
			t.Fatalf("step %d: write %q: %v", i, clipBytes(s.send), err)
		}
	}
	if _, err := call.Wait(ctx); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	written := call.Written()[1:] // the connect reply is not in the trace
	if len(written) != len(capt.frames) {
		t.Errorf("simulator wrote %d frames after the connect reply, the trace has %d\nsimulator:\n%s\ntrace:\n%s",
			len(written), len(capt.frames), frameSummary(written), frameSummary(capt.frames))
	}
	for i := range min(len(written), len(capt.frames)) {
		compareFrameLoose(t, i, capt.frames[i], written[i])
	}
}

// looseValues are the values compareFrameLoose checks in each event.
var looseValues = []string{
	"Event-Name", "Channel-State", "Channel-Call-State", "Channel-State-Number", "Answer-State",
	"Hangup-Cause", "Application", "Application-Response", "DTMF-Digit",
	"variable_read_result", "variable_playback_terminator_used", "variable_originate_disposition",
	"variable_DIALSTATUS", "variable_originate_failed_cause", "variable_last_bridge_hangup_cause",
	"variable_bridge_hangup_cause", "variable_last_bridge_role", "variable_hangup_cause",
	"variable_endpoint_disposition", "variable_current_application",
}

// compareFrameLoose compares a frame of the simulator with the trace's by
// content type, reply text, notice and the events' key values.
func compareFrameLoose(t *testing.T, i int, want, got *esl.Frame) {
	t.Helper()
	if w, g := want.ContentType(), got.ContentType(); w != g {
		t.Errorf("frame %d: Content-Type = %q, want %q", i, g, w)
		return
	}
	switch want.ContentType() {
	case esl.TypeCommandReply:
		if w, g := want.ReplyText(), got.ReplyText(); w != g {
			t.Errorf("frame %d: Reply-Text = %q, want %q", i, g, w)
		}
	case esl.TypeAPIResponse:
		if w, g := string(want.Body), string(got.Body); w != g {
			t.Errorf("frame %d: api/response = %q, want %q", i, g, w)
		}
	case esl.TypeDisconnectNotice:
		if w, g := want.Headers.Get("Content-Disposition"), got.Headers.Get("Content-Disposition"); w != g {
			t.Errorf("frame %d: notice disposition = %q, want %q", i, g, w)
		}
	default:
		we, ge := parseEv(t, want), parseEv(t, got)
		if we == nil || ge == nil {
			return
		}
		for _, h := range looseValues {
			wv, wok := we.Lookup(h)
			gv, gok := ge.Lookup(h)
			if wok != gok || wv != gv {
				t.Errorf("frame %d (%s %s): %s = %q (present %t), want %q (present %t)", i, we.Name(), we.Application(), h, gv, gok, wv, wok)
			}
		}
	}
}
