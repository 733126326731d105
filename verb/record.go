package verb

import (
	"strconv"
	"strings"
	"time"

	"github.com/callhook/callhook/esl"
)

// RecordSpec is the record verb.
type RecordSpec struct {
	// Path is the recording's file name (no folders; its extension picks
	// the format). FreeSWITCH writes it into Files' recordings folder.
	Path string
	// Files are the app's folders (ParseOptions.Files).
	Files *FileRules
	// Max is the longest recording, in whole seconds (record's limit).
	Max time.Duration
	// SilenceThreshold is the energy level under which audio counts as
	// silence; 0 turns silence detection off.
	SilenceThreshold int
	// Silence is how long a silence ends the recording, in whole seconds.
	Silence     time.Duration
	Beep        bool   // play a beep first
	Terminators string // digits that stop the recording, or "none"
	Delivery           // upload and recording_status_url
}

// Record's defaults and bounds.
const (
	defaultRecordTerminators = "*" // FreeSWITCH's own default, and record's
	maxSilenceThreshold      = 100000
	beepTone                 = "tone_stream://%(500,0,800)"
)

func parseRecord(a *args) Spec {
	if !a.has("path") {
		a.failf(nil, "path", "is required")
	}
	return &RecordSpec{
		Path:             a.str("path", ""),
		Max:              a.duration("max", 60*time.Second),
		SilenceThreshold: a.integer("silence_threshold", 200),
		Silence:          a.duration("silence", 3*time.Second),
		Beep:             a.boolean("beep", true),
		Terminators:      a.str("terminators", defaultRecordTerminators),
		Files:            a.o.Files,
		Delivery:         a.delivery(),
	}
}

// RecordingName implements Recorder.
func (s *RecordSpec) RecordingName(PlanContext) string { return s.Path }

// RecordingPath implements Recorder.
func (s *RecordSpec) RecordingPath(PlanContext) string { return s.Files.RecordPath(s.Path) }

// RecordingDelivery implements Recorder.
func (s *RecordSpec) RecordingDelivery() Delivery { return s.Delivery }

func (s *RecordSpec) check() error {
	if err := checkRecordName(s.Path); err != nil {
		return &optError{Opt: "path", Msg: err.Error()}
	}
	if err := checkDuration("max", s.Max, time.Second); err != nil {
		return err
	}
	if s.SilenceThreshold < 0 || s.SilenceThreshold > maxSilenceThreshold {
		return optErrorf("silence_threshold", "must be 0 to %d, got %d", maxSilenceThreshold, s.SilenceThreshold)
	}
	if err := checkDuration("silence", s.Silence, time.Second); err != nil {
		return err
	}
	if err := checkTerminators(s.Terminators); err != nil {
		return &optError{Opt: "terminators", Msg: err.Error()}
	}
	return nil
}

// Execs runs [playback <beep>], set playback_terminators=<terminators>,
// mkdir <folder>, record <target> <max_secs> <threshold> <silence_secs>.
// The terminators are set on every record, the default too: the variable
// stays on the channel, and an earlier record's "#" must not carry over.
// mkdir (mod_dptools.c, switch_dir_make_recursive) creates the app's
// recordings folder: record opens its file without creating folders
// (src/switch_ivr_play_say.c, switch_ivr_record_file_event), and the folder
// is on the switch's host, which callhook may not share. A target the
// session planned as a URL (pc.RecordTo) needs no folder: mod_httapi
// records into its own temporary file and uploads it when record closes
// it (src/mod/applications/mod_httapi/mod_httapi.c, http_file_file_close).
func (s *RecordSpec) Execs(pc PlanContext) []Exec {
	var out []Exec
	if s.Beep {
		out = append(out, Exec{App: "playback", Arg: beepTone})
	}
	out = append(out, Exec{App: "set", Arg: "playback_terminators=" + s.Terminators})
	target := recordTarget(pc, s.Files, s.Path)
	if !isURLTarget(target) {
		out = append(out, Exec{App: "mkdir", Arg: dirOf(target)})
	}
	return append(out,
		Exec{App: "record", Arg: target + " " +
			strconv.FormatInt(int64(s.Max/time.Second), 10) + " " +
			strconv.Itoa(s.SilenceThreshold) + " " +
			strconv.FormatInt(int64(s.Silence/time.Second), 10)},
	)
}

// dirOf is the folder of an absolute path.
func dirOf(p string) string {
	if i := strings.LastIndexByte(p, '/'); i > 0 {
		return p[:i]
	}
	return p
}

// Result reports the recording: its name, its full path, record_ms and record_file_size
// (a silent recording is 0 ms and a 44-byte WAV header: FreeSWITCH writes no
// comfort noise). A recording cut off by a hangup is still reported. Its
// Terminator is the key that stopped it (playback_terminator_used, which
// record_function clears before recording, src/mod/applications/
// mod_dptools/mod_dptools.c).
func (s *RecordSpec) Result(pc PlanContext, complete *esl.Event, hungUp bool) *Result {
	c := completionOf(complete, "record")
	r := baseResult("record", c, hungUp)
	if c != nil {
		r.Recording = RecordingFrom(c, s.Path, recordTarget(pc, s.Files, s.Path))
		r.Terminator = c.Var("playback_terminator_used")
	}
	return r
}

// MapText applies f to the path.
func (s *RecordSpec) MapText(f func(string) (string, error)) (Spec, error) {
	c := *s
	return mapped("record", &c, mapStrings(f, &c.Path))
}

// Args implements Spec.
func (s *RecordSpec) Args() []Arg {
	return append([]Arg{{"path", s.Path}, {"max", s.Max}, {"silence", s.Silence},
		{"silence_threshold", s.SilenceThreshold}, {"beep", s.Beep}, {"terminators", s.Terminators}},
		deliveryArgs(s.Delivery)...)
}
