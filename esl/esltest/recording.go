package esltest

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Recordings, as FreeSWITCH 1.10.12 writes them (not captured: the
// captures' myevents subscription does not carry RECORD_*; modelled from
// the source):
//
//   - record (src/switch_ivr_play_say.c, switch_ivr_record_file_event)
//     fires RECORD_START once the file is open, and at the end sets
//     record_file_size, closes the file, sets record_seconds, record_ms and
//     record_samples and fires RECORD_STOP, all before the application
//     returns;
//   - record_session (src/switch_ivr_async.c, switch_ivr_record_session)
//     adds a media bug whose start fires RECORD_START, and returns at
//     once; stop_record_session, or the hangup (the channel's CS_HANGUP
//     state removes every bug, src/switch_core_state_machine.c), closes it:
//     record_file_size, the file closed, record_samples, record_seconds,
//     record_ms, record_completion_cause, then RECORD_STOP with
//     Record-File-Path and Record-Completion-Cause (send_record_stop_event);
//   - both events carry the channel's variables (switch_channel_event_set_data
//     adds them to RECORD_*);
//   - a file whose name is an http:// or https:// URL goes to mod_httapi
//     (src/mod/applications/mod_httapi/mod_httapi.c): it records into a
//     temporary file and, when the file closes, uploads it, by PUT (the
//     file as the body) unless the name ends in .cgi or the URL's
//     (method=post) parameter says otherwise, with the profile's
//     parameters in the query string; a failed upload is only logged.
//
// The simulated audio is silence: 8 kHz mono 16-bit WAV, a 44-byte header
// and 16 bytes a millisecond, as a real silent recording is. The simulator
// uploads it to a URL target, and writes it to a path target when
// Options.WriteRecordings is set (it has no file system otherwise).

// sessionRec is a running record_session.
type sessionRec struct {
	path  string
	start time.Time
	// bridgeOnly: RECORD_BRIDGE_REQ was set (src/switch_ivr_async.c); the
	// bug writes only while the channel is bridged (src/switch_core_io.c),
	// bridged being the time written so far.
	bridgeOnly bool
	bridged    time.Duration
	// channels is 2 with RECORD_STEREO (each leg in a channel of its own,
	// SMBF_STEREO, src/switch_ivr_async.c), else 1.
	channels int
}

// endBridged ends a bridged stretch: the RECORD_BRIDGE_REQ bugs count it.
func (c *Call) endBridged() {
	if c.bridgedSince.IsZero() {
		return
	}
	for _, r := range c.sessionRecs {
		if r.bridgeOnly {
			r.bridged += c.now().Sub(maxTime(c.bridgedSince, r.start))
		}
	}
	c.bridgedSince = time.Time{}
}

// scopeVars splits a leading %[name=value,...] off an application's
// argument: variables for that run of the application only
// (src/switch_core_session.c). Not captured.
func scopeVars(arg string) (map[string]string, string) {
	rest, ok := strings.CutPrefix(arg, "%[")
	if !ok {
		return nil, arg
	}
	body, after, ok := strings.Cut(rest, "]")
	if !ok {
		return nil, arg
	}
	vars := map[string]string{}
	for _, kv := range strings.Split(body, ",") {
		k, v, _ := strings.Cut(kv, "=")
		vars[strings.TrimSpace(k)] = v
	}
	return vars, after
}

// recordEvent queues RECORD_START or RECORD_STOP for path.
func (c *Call) recordEvent(name, path, cause string) {
	post := []header{{"Record-File-Path", path}}
	if cause != "" {
		post = append(post, header{"Record-Completion-Cause", cause})
	}
	c.queueEvent(channelEvent(&c.ch, name, c.now(), nil, post))
}

// appRecordSession is record_session <path>: RECORD_START, and the app
// returns while the bug records.
func appRecordSession(c *Call, arg string) {
	scope, arg := scopeVars(strings.TrimSpace(arg))
	path, _, _ := strings.Cut(arg, " ")
	if path != "" {
		bridgeOnly := strings.EqualFold(scope["RECORD_BRIDGE_REQ"], "true")
		if v, ok := c.ch.vars.get("RECORD_BRIDGE_REQ"); ok && strings.EqualFold(v, "true") {
			bridgeOnly = true
		}
		channels := 1
		if strings.EqualFold(scope["RECORD_STEREO"], "true") {
			channels = 2
		}
		c.sessionRecs = append(c.sessionRecs, &sessionRec{path: path, start: c.now(), bridgeOnly: bridgeOnly, channels: channels})
		c.recordEvent("RECORD_START", path, "")
	}
	c.finishApp()
}

// appStopRecordSession is stop_record_session <path|all>: each matching
// bug closes (its file delivered, RECORD_STOP), then the app returns.
func appStopRecordSession(c *Call, arg string) {
	which := strings.TrimSpace(arg)
	keep := c.sessionRecs[:0]
	var stop []*sessionRec
	for _, r := range c.sessionRecs {
		if which == "all" || r.path == which {
			stop = append(stop, r)
		} else {
			keep = append(keep, r)
		}
	}
	c.sessionRecs = keep
	for _, r := range stop {
		c.closeSessionRec(r, "success-maxtime")
	}
	c.finishApp()
}

// closeSessionRecs closes every running record_session at the hangup.
func (c *Call) closeSessionRecs() {
	recs := c.sessionRecs
	c.sessionRecs = nil
	for _, r := range recs {
		// Nobody spoke in a simulated call: no-input-timeout, as
		// send_record_stop_event's caller sets it for a hung-up channel
		// without speech.
		c.closeSessionRec(r, "no-input-timeout")
	}
}

// closeSessionRec ends one record_session: the bug records both legs all
// along, so its length is the time since it started.
func (c *Call) closeSessionRec(r *sessionRec, cause string) {
	ms := max(c.now().Sub(r.start).Milliseconds(), 0)
	if r.bridgeOnly {
		d := r.bridged
		if !c.bridgedSince.IsZero() {
			d += c.now().Sub(maxTime(c.bridgedSince, r.start))
		}
		ms = d.Milliseconds()
	}
	c.setVar("record_file_size", strconv.FormatInt(wavSize(ms, r.channels), 10))
	// The file closes (mod_httapi uploads it even when it is empty),
	// then a bug that wrote nothing discards it: RECORD_DISCARDED,
	// empty-file (src/switch_ivr_async.c record_callback).
	if ms == 0 && r.bridgeOnly {
		if strings.Contains(r.path, "://") {
			c.deliverRecording(r.path, 0, r.channels)
		}
		c.setVar("RECORD_DISCARDED", "true")
		cause = "empty-file"
	} else {
		c.deliverRecording(r.path, ms, r.channels)
	}
	c.setVar("record_samples", strconv.FormatInt(ms*8, 10))
	c.setVar("record_seconds", strconv.FormatInt(ms/1000, 10))
	c.setVar("record_ms", strconv.FormatInt(ms, 10))
	c.setVar("record_completion_cause", cause)
	c.recordEvent("RECORD_STOP", r.path, cause)
}

// wavSize is the size of a silent recording of ms milliseconds in
// channels channels.
func wavSize(ms int64, channels int) int64 { return 44 + ms*16*int64(max(channels, 1)) }

// SilentWAV returns a silent 8 kHz mono 16-bit WAV of ms milliseconds, the
// file the simulator records.
func SilentWAV(ms int64) []byte { return silentWAV(ms, 1) }

// silentWAV is SilentWAV in channels channels (2: a stereo
// record_session's).
func silentWAV(ms int64, channels int) []byte {
	ch := uint16(max(channels, 1))
	data := uint32(ms * 16 * int64(ch))
	var b bytes.Buffer
	b.Grow(44 + int(data))
	b.WriteString("RIFF")
	_ = binary.Write(&b, binary.LittleEndian, 36+data)
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), ch, uint32(8000), uint32(16000) * uint32(ch), 2 * ch, uint16(16)} {
		_ = binary.Write(&b, binary.LittleEndian, v) // PCM, ch channels, 8 kHz, 16 bits
	}
	b.WriteString("data")
	_ = binary.Write(&b, binary.LittleEndian, data)
	b.Write(make([]byte, data))
	return b.Bytes()
}

// uploadTimeout bounds the simulated mod_httapi upload (real time: the
// receiver is a program).
const uploadTimeout = 10 * time.Second

// deliverRecording puts the closed file where FreeSWITCH would: an upload
// to a URL target (synchronous, as mod_httapi's close is: the channel
// waits for it), a file at a path when Options.WriteRecordings is set.
// Failures are logged on the switch and change nothing on the socket, as
// in FreeSWITCH; Recordings lists the outcome for tests.
func (c *Call) deliverRecording(target string, ms int64, channels int) {
	out := RecordingOut{Target: target, DurationMS: ms}
	switch {
	case strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "https://"):
		out.Err = upload(target, silentWAV(ms, channels), c.ch.uuid)
		out.Written = out.Err == nil
	case c.o.WriteRecordings && filepath.IsAbs(target):
		err := os.MkdirAll(filepath.Dir(target), 0o755)
		if err == nil {
			err = os.WriteFile(target, silentWAV(ms, channels), 0o644)
		}
		out.Err, out.Written = err, err == nil
	default:
		return
	}
	c.mu.Lock()
	c.recordings = append(c.recordings, out)
	c.mu.Unlock()
}

// upload is mod_httapi's PUT of a closed recording: the file as the body,
// the profile's parameters in the query string (httapi_sync).
func upload(target string, body []byte, session string) error {
	u := target + "?file_driver=true&HTTAPI_SESSION_ID=" + session
	if strings.Contains(target, "?") {
		u = target + "&file_driver=true&HTTAPI_SESSION_ID=" + session
	}
	ctx, cancel := context.WithTimeout(context.Background(), uploadTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", "mod_httapi/1.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("upload %s: %s", target, resp.Status)
	}
	return nil
}

// RecordingOut is a recording the simulated switch delivered: uploaded to
// a URL, or written to a path.
type RecordingOut struct {
	Target     string
	DurationMS int64
	Written    bool  // uploaded (2xx) or written
	Err        error // why not
}

// Recordings returns the recordings the call delivered so far.
func (c *Call) Recordings() []RecordingOut {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]RecordingOut(nil), c.recordings...)
}
