package verb

import (
	"strings"

	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/internal/yamlx"
	"gopkg.in/yaml.v3"
)

// Recordings: what the verbs that write one (record, record_call, a
// bridge with record) ask for beyond the file itself, and how the session
// is told where FreeSWITCH should write it.
//
// The session plans each recording (proxy's Recordings): with a delivery
// configured, FreeSWITCH writes to a target callhook chose (an http(s)
// URL mod_httapi uploads to, or the app's recordings folder when callhook
// reads the file itself), handed to the verb in PlanContext.RecordTo. The
// app never names a path or a target: it names the file (checkRecordName)
// and, optionally, where callhook should upload it and whom to tell.

// Delivery is what an app asks of a recording once it is whole: an upload
// to its own storage, and a status callback. Both are URLs resolved and
// checked as action URLs are (absolute http or https); the connections go
// through the same DialGuard as every request made for an app.
type Delivery struct {
	Upload *Upload // nil: no upload
	// StatusURL is recording_status_url: told once, when the recording is
	// ready or failed ("": nobody).
	StatusURL string
}

// Upload is where callhook uploads a recording for the app.
type Upload struct {
	URL    string
	Method string // PUT (the file as the body) or POST (multipart, field "file")
}

// Upload methods.
const (
	UploadPUT  = "PUT"
	UploadPOST = "POST"
)

// Recorder is a verb that may write a recording. The session asks it
// before the verb runs, to plan where the recording goes.
type Recorder interface {
	// RecordingName is the file name the recording gets (its extension
	// picks the format), "" when this verb writes none.
	RecordingName(pc PlanContext) string
	// RecordingPath is where FreeSWITCH writes it in the app's recordings
	// folder (when nothing else is planned).
	RecordingPath(pc PlanContext) string
	// RecordingDelivery is what the app asked of the recording.
	RecordingDelivery() Delivery
}

// RecordingFormat is a recording's format: its name's extension (wav,
// mp3, ogg, flac; checkRecordName allows no other).
func RecordingFormat(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return strings.ToLower(name[i+1:])
	}
	return ""
}

// RecordingMediaType is a recording format's media type, as the file is
// served and uploaded; application/octet-stream for a format it does not
// know.
func RecordingMediaType(format string) string {
	switch format {
	case "wav":
		return "audio/wav"
	case "mp3":
		return "audio/mpeg"
	case "ogg":
		return "audio/ogg"
	case "flac":
		return "audio/flac"
	}
	return "application/octet-stream"
}

// delivery reads the recording_status_url and upload options.
func (a *args) delivery() Delivery {
	var d Delivery
	if n := a.scalar("recording_status_url", "a URL"); n != nil {
		d.StatusURL = a.appURL(n, "recording_status_url", n.Value)
	}
	n := yamlx.Deref(a.node("upload"))
	if n == nil || yamlx.IsNull(n) {
		return d
	}
	switch n.Kind {
	case yaml.ScalarNode:
		d.Upload = &Upload{URL: a.appURL(n, "upload", n.Value), Method: UploadPUT}
	case yaml.MappingNode:
		sub := newArgs(a.verb+": upload", n.Line, a.o)
		if err := sub.collect(&verbDef{name: a.verb + ": upload", main: "url", opts: []string{"url", "method"}}, n); err != nil {
			a.fail(err)
			return d
		}
		if !sub.has("url") {
			sub.failf(n, "url", "is required")
		}
		u := &Upload{Method: strings.ToUpper(sub.str("method", UploadPUT))}
		if un := sub.scalar("url", "a URL"); un != nil {
			u.URL = sub.appURL(un, "url", un.Value)
		}
		if sub.err == nil && u.Method != UploadPUT && u.Method != UploadPOST {
			sub.failf(sub.node("method"), "method", "%s: want PUT (the file as the body) or POST (a multipart form, field \"file\")", Quote(u.Method))
		}
		a.adopt(sub)
		d.Upload = u
	default:
		a.failf(n, "upload", "want a URL, or a map with url and method, got %s", kindName(n))
	}
	return d
}

// appURL reads a URL option where callhook will send a recording or its
// news: resolved against the document's URL (webhook apps), and in any
// case an absolute http or https URL, as an action is.
func (a *args) appURL(n *yaml.Node, opt, v string) string {
	if v == "" {
		a.failf(n, opt, "must not be empty")
		return ""
	}
	if err := checkLine(v); err != nil {
		a.failf(n, opt, "%v", err)
		return ""
	}
	var (
		u   string
		err error
	)
	if a.o.Base != nil {
		u, err = resolveURL(a.o.Base, v)
	} else {
		u, err = absoluteURL(v)
	}
	if err != nil {
		a.failf(n, opt, "%v", err)
		return ""
	}
	return u
}

// deliveryArgs describes d for Args.
func deliveryArgs(d Delivery) []Arg {
	var out []Arg
	if d.Upload != nil {
		out = append(out, Arg{"upload", []string{d.Upload.Method, d.Upload.URL}})
	}
	if d.StatusURL != "" {
		out = append(out, Arg{"recording_status_url", d.StatusURL})
	}
	return out
}

// isURLTarget reports whether a recording target is a URL (mod_httapi's
// http/https file interfaces: src/switch_core_file.c picks the file
// interface by what comes before "://") rather than a path on the switch's
// host.
func isURLTarget(t string) bool {
	return strings.HasPrefix(t, "http://") || strings.HasPrefix(t, "https://")
}

// recordSession is record_session's argument for target. bridgeOnly
// adds the scope variable RECORD_BRIDGE_REQ, which makes the media bug
// write only while the channel is bridged (src/switch_ivr_async.c,
// switch_ivr_record_session_event reads it; src/switch_core_io.c skips the
// bug's frames while the channel is not CF_BRIDGED); stereo adds
// RECORD_STEREO, which writes the channel's read and write streams (the
// two sides of a bridge) as two channels (SMBF_STEREO, same file). A
// leading %[...] sets variables for that one run of the application
// (src/switch_core_session.c,
// switch_core_session_execute_application_get_flags; ',' separates
// them), so nothing of it stays on the channel.
func recordSession(target string, bridgeOnly, stereo bool) string {
	var vars []string
	if bridgeOnly {
		vars = append(vars, "RECORD_BRIDGE_REQ=true")
	}
	if stereo {
		vars = append(vars, "RECORD_STEREO=true")
	}
	if len(vars) == 0 {
		return target
	}
	return "%[" + strings.Join(vars, ",") + "]" + target
}

// recordTarget is where a recording named name goes: the session's plan,
// else the app's recordings folder.
func recordTarget(pc PlanContext, files *FileRules, name string) string {
	if pc.RecordTo != "" {
		return pc.RecordTo
	}
	return files.RecordPath(name)
}

// RecordingFrom reads a recording's facts from an event that carries the
// channel's variables after it ended (a completion, RECORD_STOP): record_ms
// and record_file_size, which FreeSWITCH sets as it closes the file
// (src/switch_ivr_play_say.c, src/switch_ivr_async.c send_record_stop_event).
// path is "" when the target was a URL.
func RecordingFrom(ev *esl.Event, name, target string) *Recording {
	r := &Recording{Name: name, DurationMS: intVar(ev, "record_ms"), Size: intVar(ev, "record_file_size"), Format: RecordingFormat(name)}
	if !isURLTarget(target) {
		r.Path = target
	}
	return r
}
