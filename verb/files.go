package verb

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// Files a verb may touch. A web app, a flow or a Liverpie app may only
// misdrive its own call, so the file names it gives FreeSWITCH are kept
// inside what the operator gave that app (README "Security model", "Files"):
//
//   - record writes a NAME (no folders) into the app's recordings folder;
//     callhook builds the absolute path, so no app can write over another
//     app's recordings or anywhere else on the switch;
//   - play, gather's prompts and the file arguments of allow-listed
//     applications (execute, Liverpie) read only relative sound names
//     (under FreeSWITCH's sound prefix), absolute paths inside the app's
//     media folders or its own recordings folder, http(s) URLs,
//     tone_stream://, silence_stream://, local_stream:// and file_string://
//     strings whose every part follows these rules.
//
// What FreeSWITCH does with a file string, in 1.10.12:
//
//   - every application argument is variable-expanded first, "${...}" runs
//     API commands, and an expanded argument starting "%[" or "%X[" sets
//     channel variables for the application's run (src/switch_core_session.c,
//     switch_core_session_execute_application_get_flags); "${" is refused
//     everywhere (text.go) and no file string may start with '%';
//   - playback and record read leading "{name=value,...}" blocks as file
//     handle parameters (src/switch_ivr_play_say.c switch_ivr_play_file and
//     switch_ivr_record_file_event, src/switch_core_file.c
//     switch_core_file_open). One of them, spool_path, makes FreeSWITCH run
//     "/bin/mv <spool> <file>" through the shell when the file closes, and an
//     unbalanced '{' makes switch_is_file_path (src/include/switch_utils.h)
//     loop forever: '{' and '}' are refused;
//   - "phrase:" runs a phrase macro and "say:" speaks text with the channel's
//     tts_engine (switch_ivr_play_file): both are refused (the say and speak
//     verbs do those jobs with checked arguments);
//   - a string with "://" goes to the file module registered for its scheme
//     (switch_core_file_open): only the schemes above are allowed, not
//     shout://, vlc://, av:// or any other reader or writer;
//   - any other string not starting with '/' is relative: playback prefixes
//     it with the sound_prefix variable (or the base folder), record with
//     sound_prefix (or the sounds folder), file_string:// with the global
//     sound_prefix (or the sounds folder;
//     src/mod/applications/mod_dptools/mod_dptools.c, next_file). So ".."
//     segments are refused: they would climb out of the prefix;
//   - file_string:// splits its path at '!' (mod_dptools.c
//     file_string_file_open); each part is checked on its own.
//
// Two channel variables change how these strings resolve: sound_prefix
// (the folder of relative names) and playback_delimiter (switch_ivr_play_file
// splits the file at that character, so "a.wav,/etc/x" would be two files).
// No app may set them (fileVars). The values of hold_music,
// temp_hold_music, ringback and transfer_ringback are file strings too
// (checkSetFile).

// DefaultRecordingsDir is where recordings go when an app's FileRules give
// no folder: the recordings folder of FreeSWITCH's Debian packages
// (debian/freeswitch.postinst creates it).
const DefaultRecordingsDir = "/var/lib/freeswitch/recordings"

// FileRules are the folders one app's verbs may use. The zero value (and a
// nil *FileRules) records into DefaultRecordingsDir and plays no absolute
// path but those inside it.
type FileRules struct {
	// RecordingsDir is the absolute folder record writes into; the app
	// may also play the files in it. "" means DefaultRecordingsDir.
	RecordingsDir string
	// MediaDirs are absolute folders whose files play may name by absolute
	// path.
	MediaDirs []string
}

// recordingsDir returns the folder recordings go into.
func (r *FileRules) recordingsDir() string {
	if r == nil || r.RecordingsDir == "" {
		return DefaultRecordingsDir
	}
	return r.RecordingsDir
}

// RecordPath returns the absolute path of the recording called name (a name
// checkRecordName accepts).
func (r *FileRules) RecordPath(name string) string {
	return r.recordingsDir() + "/" + name
}

// readDirs returns the folders whose files the app may play.
func (r *FileRules) readDirs() []string {
	dirs := []string{r.recordingsDir()}
	if r != nil {
		dirs = append(dirs, r.MediaDirs...)
	}
	return dirs
}

// Check checks the rules themselves (config values): every folder absolute,
// clean (no "." or ".." segments, no trailing '/') and made of
// CheckDir's characters.
func (r *FileRules) Check() error {
	if r == nil {
		return nil
	}
	if r.RecordingsDir != "" {
		if err := CheckDir(r.RecordingsDir); err != nil {
			return fmt.Errorf("recordings_dir: %w", err)
		}
	}
	for _, d := range r.MediaDirs {
		if err := CheckDir(d); err != nil {
			return fmt.Errorf("media_dirs: %w", err)
		}
	}
	return nil
}

// fileChars are the characters of a recording's name and of a configured
// folder: none of them is special to an application argument (spaces split
// record's arguments, quotes and backslashes are decoded there), to
// file_string:// ('!'), to file handle parameters ('{' '}'), to the
// variable expander ('$'), to scoped variables ('%' '['), to playback's
// prefixes (':'), to a shell or in a URL path (recordings will be served
// by URL).
var fileChars = regexp.MustCompile(`^[A-Za-z0-9_.+@=,-]+$`)

// badPlayChars are the characters a file to play may not have: those
// special to FreeSWITCH as fileChars lists them, and control characters.
// Spaces and non-ASCII letters are fine there: playback takes its whole
// argument as the file, and fsArg escapes play_and_get_digits' prompts.
const badPlayChars = "{}[]!$%:\\'\"`^"

// checkPlayChars checks seg, a segment of a file to play, against
// badPlayChars.
func checkPlayChars(seg, file string) error {
	// Every character refused is ASCII, and an ASCII byte is always a
	// character of its own in UTF-8: a look-up per byte finds the first
	// one, without decoding runes and scanning badPlayChars for each.
	for i := 0; i < len(seg); i++ {
		if c := seg[i]; c < utf8.RuneSelf && badPlayByte[c] {
			return fmt.Errorf("%s has %q, which is not allowed in a file name to play (nor any of %s)", Quote(file), rune(c), badPlayChars)
		}
	}
	return nil
}

// badPlayByte marks the ASCII bytes checkPlayChars refuses: control bytes
// and badPlayChars.
var badPlayByte = func() (t [utf8.RuneSelf]bool) {
	for c := range utf8.RuneSelf {
		t[c] = c < 0x20 || c == 0x7f || strings.ContainsRune(badPlayChars, rune(c))
	}
	return t
}()

// CheckDir checks a configured folder: an absolute, clean path of
// fileChars segments.
func CheckDir(dir string) error {
	if !strings.HasPrefix(dir, "/") {
		return fmt.Errorf("%s must be an absolute path", Quote(dir))
	}
	if dir == "/" {
		return errors.New(`"/" would be the whole file system`)
	}
	if path.Clean(dir) != dir {
		return fmt.Errorf("%s must be a clean path (no \".\" or \"..\" segments, no \"//\" or trailing \"/\"; %s)", Quote(dir), Quote(path.Clean(dir)))
	}
	for _, seg := range strings.Split(dir[1:], "/") {
		if !fileChars.MatchString(seg) {
			return fmt.Errorf("%s: %s has characters other than letters, digits and _ . + @ = , -", Quote(dir), Quote(seg))
		}
	}
	return nil
}

// recordExts are the formats record may write, chosen by the name's
// extension (src/switch_core_file.c picks the file module by extension):
// those of the modules a stock FreeSWITCH loads (mod_sndfile: wav, flac,
// ogg; mod_shout: mp3). Anything else could pick any module that registers
// a file format, so it is refused rather than guessed.
var recordExts = []string{"wav", "mp3", "ogg", "flac"}

// maxFileName bounds a recording's name (file systems take 255 bytes).
const maxFileName = 200

// checkRecordName checks a recording's name: fileChars, not starting with
// '.', no "..", and one of recordExts as its extension. With no '/' it
// cannot leave the recordings folder, whatever templates filled into it.
func checkRecordName(name string) error {
	switch {
	case name == "":
		return errors.New("must not be empty")
	case strings.ContainsAny(name, `/\`):
		return fmt.Errorf("%s must be a file name, not a path: recordings go into the app's recordings folder (recordings_dir)", Quote(name))
	case strings.HasPrefix(name, "."):
		return fmt.Errorf("%s must not start with \".\"", Quote(name))
	case strings.Contains(name, ".."):
		return fmt.Errorf("%s must not contain \"..\"", Quote(name))
	case len(name) > maxFileName:
		return fmt.Errorf("%s is longer than %d bytes", Quote(name), maxFileName)
	case !fileChars.MatchString(name):
		return fmt.Errorf("%s has characters other than letters, digits and _ . + @ = , -", Quote(name))
	}
	ext := name[strings.LastIndexByte(name, '.')+1:]
	if !strings.Contains(name, ".") || !slices.Contains(recordExts, ext) {
		return fmt.Errorf("%s must end in .%s (the extension picks the format)", Quote(name), strings.Join(recordExts, ", ."))
	}
	return nil
}

// Patterns of the file strings play accepts besides paths.
var (
	toneStream    = regexp.MustCompile(`^[A-Za-z0-9%(),;=.+<>@#*_-]+$`)
	silenceStream = regexp.MustCompile(`^-?[0-9]+(,[0-9]+)?$`)
	localStream   = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	urlChars      = regexp.MustCompile(`^[A-Za-z0-9_.~:/?#@&=+;,%*()-]+$`)
)

// checkPlayFile checks a file string for playback or play_and_get_digits.
func checkPlayFile(file string, r *FileRules) error {
	return checkPlayPart(file, r, true)
}

// checkPlayPart checks file; nested tells whether file_string:// may still
// appear (not inside one).
func checkPlayPart(file string, r *FileRules, nested bool) error {
	if file == "" {
		return errors.New("must not be empty")
	}
	if err := checkLine(file); err != nil {
		return err
	}
	scheme, rest, hasScheme := strings.Cut(file, "://")
	if hasScheme {
		return checkStream(strings.ToLower(scheme), rest, file, r, nested)
	}
	switch {
	case strings.HasPrefix(file, "{"):
		return fmt.Errorf("%s starts with \"{\": FreeSWITCH reads it as file handle parameters, which can run commands", Quote(file))
	case strings.Contains(file, ":"):
		return fmt.Errorf("%s: \":\" is not allowed (phrase: and say: are refused; use the say or speak verb)", Quote(file))
	case strings.HasPrefix(file, "/"):
		return checkAbsFile(file, r)
	}
	return checkRelFile(file)
}

// checkStream checks a file string with a scheme.
func checkStream(scheme, rest, file string, r *FileRules, nested bool) error {
	switch scheme {
	case "http", "https":
		if host, _, _ := strings.Cut(rest, "/"); host == "" {
			return fmt.Errorf("%s has no host", Quote(file))
		}
		if !urlChars.MatchString(rest) || strings.Contains(rest, "://") {
			return fmt.Errorf("%s has characters not allowed in a URL to play", Quote(file))
		}
		return nil
	case "tone_stream":
		if !toneStream.MatchString(rest) {
			return fmt.Errorf("%s is not a tone_stream:// tone (letters, digits and %% ( ) , ; = . + < > @ # * _ -)", Quote(file))
		}
		return nil
	case "silence_stream":
		if !silenceStream.MatchString(rest) {
			return fmt.Errorf("%s is not silence_stream://<ms>[,<factor>]", Quote(file))
		}
		return nil
	case "local_stream":
		if !localStream.MatchString(rest) {
			return fmt.Errorf("%s is not local_stream://<name>", Quote(file))
		}
		return nil
	case "file_string":
		if !nested {
			return fmt.Errorf("%s: file_string:// inside file_string:// is not allowed", Quote(file))
		}
		for part := range strings.SplitSeq(rest, "!") {
			if err := checkPlayPart(part, r, false); err != nil {
				return fmt.Errorf("file_string part: %w", err)
			}
		}
		return nil
	}
	return fmt.Errorf("%s: %s:// is not allowed (play takes sound names, files in media_dirs, http(s)://, tone_stream://, silence_stream://, local_stream:// and file_string://)", Quote(file), scheme)
}

// checkRelFile checks a sound name relative to FreeSWITCH's sound prefix.
func checkRelFile(file string) error {
	if err := checkSegments(file, file); err != nil {
		return err
	}
	return nil
}

// checkAbsFile checks an absolute path: clean, and inside one of the
// app's media folders or its recordings folder.
func checkAbsFile(file string, r *FileRules) error {
	if err := checkSegments(file[1:], file); err != nil {
		return err
	}
	for _, d := range r.readDirs() {
		if strings.HasPrefix(file, d+"/") {
			return nil
		}
	}
	return fmt.Errorf("%s is outside the app's media folders (media_dirs: %s) and its recordings folder (%s)",
		Quote(file), strings.Join(mediaDirsOf(r), ", "), r.recordingsDir())
}

// mediaDirsOf lists r's media folders for an error message.
func mediaDirsOf(r *FileRules) []string {
	if r == nil || len(r.MediaDirs) == 0 {
		return []string{"none"}
	}
	return r.MediaDirs
}

// checkSegments checks the '/'-separated segments of rel (file without its
// leading '/'): each non-empty, not "." or "..", and of fileChars.
func checkSegments(rel, file string) error {
	for seg := range strings.SplitSeq(rel, "/") {
		switch {
		case seg == "":
			return fmt.Errorf("%s has an empty path segment (\"//\" or a trailing \"/\")", Quote(file))
		case seg == "." || seg == "..":
			return fmt.Errorf("%s has a %q segment, which could climb out of its folder", Quote(file), seg)
		}
		if err := checkPlayChars(seg, file); err != nil {
			return err
		}
	}
	return nil
}

// CheckExecuteFiles checks the file arguments of an application that an
// app runs itself (the execute verb, a Liverpie app's sendmsg execute),
// with r the app's rules: playback's file, record's path (an absolute path
// in the app's recordings folder: the app built it, callhook did not),
// play_and_get_digits' prompts. Other applications take no file this
// checks. app is compared as FreeSWITCH compares application names, without
// case.
func CheckExecuteFiles(app, arg string, r *FileRules) error {
	if arg == "" {
		return nil // nothing to open: the application fails on its own
	}
	if strings.HasPrefix(arg, "%") {
		// %[...] or %X[...] sets variables for the application's run.
		return errors.New(`an argument starting with "%" is not allowed (FreeSWITCH reads "%[...]" as variables to set)`)
	}
	switch strings.ToLower(app) {
	case "set", "push", "unshift", "set_global", "export", "bridge_export", "multiset":
		// Every application that sets a variable, read as FreeSWITCH
		// reads it (fsapps.go): set's NAME,VALUE form and multiset's list
		// set sound_prefix as surely as set's NAME=VALUE does.
		for _, item := range setArgItems(strings.ToLower(app), arg) {
			name, value := setArgNameValue(item)
			if err := checkSetFile(strings.TrimSpace(stripNolocal(name)), value, r); err != nil {
				return err
			}
		}
		return nil
	case "read":
		// read <min> <max> <sound file> <var> ... (mod_dptools.c
		// read_function splits at spaces).
		if f := strings.Fields(arg); len(f) > 2 {
			if err := checkPlayFile(f[2], r); err != nil {
				return fmt.Errorf("read: %w", err)
			}
		}
	case "playback", "endless_playback":
		return checkPlayFile(arg, r)
	case "record", "record_session":
		file, _, _ := strings.Cut(arg, " ")
		if err := checkLine(file); err != nil {
			return err
		}
		if !strings.HasPrefix(file, r.recordingsDir()+"/") {
			return fmt.Errorf("%s %s: must write into the app's recordings folder %s", strings.ToLower(app), Quote(file), r.recordingsDir())
		}
		return checkRecordName(file[len(r.recordingsDir())+1:])
	case "play_and_get_digits":
		// <min> <max> <tries> <timeout> <terminators> <prompt> <invalid> ...
		// (mod_dptools.c play_and_get_digits_function splits at spaces).
		f := strings.Fields(arg)
		for i := 5; i < 7 && i < len(f); i++ {
			if err := checkPlayFile(f[i], r); err != nil {
				return fmt.Errorf("play_and_get_digits: %w", err)
			}
		}
	}
	return nil
}

// fileVars are the channel variables that change which file a checked file
// string opens (src/switch_ivr_play_say.c, switch_ivr_play_file and
// switch_ivr_record_file_event; mod_dptools.c, next_file). An
// app that could set them would get round every rule here.
var fileVars = []string{"sound_prefix", "playback_delimiter",
	// Files FreeSWITCH writes: conference_auto_record records the whole
	// conference its setter creates (mod_conference.c; a leading
	// {spool_path=...} makes the close run /bin/mv through the shell,
	// src/switch_core_file.c), sofia_record_file is where a SIP INFO
	// "record" request records (mod_sofia/sofia.c), bert_debug_io_file a
	// debug dump (src/switch_ivr.c). An app records with record only.
	"conference_auto_record", "sofia_record_file", "bert_debug_io_file"}

// Channel variables whose values FreeSWITCH plays as file strings.
var (
	// holdMusicVars are played with switch_ivr_play_file, whatever they
	// hold (src/switch_channel.c, switch_channel_get_hold_music).
	holdMusicVars = []string{"hold_music", "temp_hold_music",
		// played when the caller enters, leaves or waits in a conference
		// (mod_conference/conference_member.c, mod_conference.c), and as the
		// masking sound of dropped DTMF (mod_commands.c, uuid_drop_dtmf).
		"conference_enter_sound", "conference_exit_sound", "conference_moh_sound",
		"conference_perpetual_sound", "drop_dtmf_masking_file"}
	// ringbackVars are files when switch_is_file_path says so (absolute,
	// a URL, or a leading '{'), else tone specs such as %(2000,4000,440)
	// (src/switch_ivr_originate.c, setup_ringback).
	ringbackVars = []string{"ringback", "transfer_ringback"}
)

// checkSetFile checks a channel variable an app sets (the set verb, an
// execute of set or export): fileVars are refused, and the values of
// holdMusicVars and of ringbackVars (when they name files) follow play's
// rules. FreeSWITCH compares variable names without case (src/switch_event.c,
// switch_event_get_header_ptr).
func checkSetFile(name, value string, r *FileRules) error {
	in := func(list []string) bool {
		for _, v := range list {
			if strings.EqualFold(name, v) {
				return true
			}
		}
		return false
	}
	switch {
	case in(fileVars):
		return fmt.Errorf("%s cannot be set by an app: it changes which files play and record open (README \"Files\")", Quote(name))
	case in(holdMusicVars),
		in(ringbackVars) && (strings.HasPrefix(value, "/") || strings.HasPrefix(value, "{") || strings.Contains(value, "://")):
		if err := checkPlayFile(value, r); err != nil {
			return fmt.Errorf("%s is played as a file: %w", name, err)
		}
	}
	return nil
}
