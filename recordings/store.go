package recordings

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/callhook/callhook/proxy"
)

// Config is the recordings delivery, as the config's recordings: section
// gives it. Zero values of the optional fields mean the defaults below.
type Config struct {
	// Dir is the folder callhook keeps uploaded recordings in (created,
	// mode 0700). Required unless Local.
	Dir string
	// URL is the base URL apps fetch recordings from: callhook's
	// recordings listener as the apps reach it (http://host:port, maybe
	// behind a proxy that adds a path).
	URL string
	// SwitchURL is the base URL the switch uploads to ("": URL): the same
	// listener as the switch reaches it.
	SwitchURL string
	// Keep is how long a recording stays fetchable (0: DefaultKeep).
	Keep time.Duration
	// MaxSize bounds one upload (0: DefaultMaxSize).
	MaxSize int64
	// MaxTotal bounds the bytes of all the recordings the Store keeps at
	// once, uploads in progress included (0: DefaultMaxTotal, or MaxSize
	// when that is larger): recordings are kept for Keep, and an app that
	// records many long calls must not fill the disk. An upload past it is
	// refused (507) and its recording fails.
	MaxTotal int64
	// Wait bounds how long callhook waits for the switch's upload once
	// the recording ended (0: DefaultWait). mod_httapi uploads before
	// the record application returns, so it is there at once unless the
	// upload failed.
	Wait time.Duration
	// Stall bounds how long an upload may bring no byte, or a download's
	// client take none, before the connection is cut (0: DefaultStall): a
	// peer that stalls must not hold its connection (and an upload the
	// recording's one upload) for ever.
	Stall time.Duration
	// Local: FreeSWITCH writes into the app's recordings folder as
	// without a delivery, and callhook reads the file there (the same
	// host, or a shared folder mounted at the same path). Nothing is
	// uploaded; the URL serves the switch's file, which callhook never
	// deletes.
	Local bool
}

// Defaults of Config's zero values.
const (
	DefaultKeep     = 24 * time.Hour
	DefaultMaxSize  = 512 << 20
	DefaultWait     = 10 * time.Second
	DefaultStall    = 30 * time.Second
	DefaultMaxTotal = 16 << 30
)

// Check checks a Config's values.
func (c Config) Check() error {
	if !c.Local {
		if c.Dir == "" {
			return errors.New("dir is required (where callhook keeps uploaded recordings), or local: true")
		}
		if !filepath.IsAbs(c.Dir) {
			return fmt.Errorf("dir %q must be an absolute path", c.Dir)
		}
	}
	if err := checkBase(c.URL); err != nil {
		return fmt.Errorf("url: %w", err)
	}
	if c.SwitchURL != "" {
		if err := checkBase(c.SwitchURL); err != nil {
			return fmt.Errorf("switch_url: %w", err)
		}
	}
	if c.Keep < 0 || c.MaxSize < 0 || c.MaxTotal < 0 || c.Wait < 0 || c.Stall < 0 {
		return errors.New("keep, max_size, max_total, wait and stall must not be negative")
	}
	if c.MaxTotal != 0 && c.MaxTotal < c.maxSize() {
		return fmt.Errorf("max_total (%d bytes) must be at least max_size (%d bytes)", c.MaxTotal, c.maxSize())
	}
	return nil
}

// checkBase checks a base URL: absolute http(s), no query or fragment.
func checkBase(s string) error {
	if s == "" {
		return errors.New("is required (the base URL of callhook's recordings listener, e.g. http://callhook.example:8086)")
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q: want an absolute http or https URL", s)
	}
	if u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(s, " ,()") {
		// mod_httapi reads (...) and ',' in a target as its parameters.
		return fmt.Errorf("%q: no query, fragment, spaces, commas or parentheses", s)
	}
	return nil
}

func (c Config) keep() time.Duration  { return orDefault(c.Keep, DefaultKeep) }
func (c Config) wait() time.Duration  { return orDefault(c.Wait, DefaultWait) }
func (c Config) maxSize() int64       { return orDefault(c.MaxSize, DefaultMaxSize) }
func (c Config) stall() time.Duration { return orDefault(c.Stall, DefaultStall) }
func (c Config) maxTotal() int64 {
	if c.MaxTotal > 0 {
		return c.MaxTotal
	}
	return max(DefaultMaxTotal, c.maxSize())
}
func (c Config) switchURL() string { return strings.TrimRight(orDefault(c.SwitchURL, c.URL), "/") }
func (c Config) publicURL() string { return strings.TrimRight(c.URL, "/") }
func orDefault[T comparable](v, d T) T {
	var zero T
	if v == zero {
		return d
	}
	return v
}

// Store keeps the recordings of calls and serves them. Make it with New.
// It is safe for concurrent use: sessions plan and collect, the HTTP
// server uploads and serves.
type Store struct {
	cfg Config
	now func() time.Time // tests move the clock

	mu        sync.Mutex
	byID      map[string]*entry
	lastSweep time.Time
	used      int64 // bytes of the Store's own files, uploads in progress included
}

// entry is one recording.
type entry struct {
	id                  string
	fetchSum, uploadSum [sha256.Size]byte
	name, format        string
	file                string // where its bytes are (the Store's folder, or the switch's file when local)
	owned               bool   // the Store wrote file and deletes it
	expires             time.Time
	done                chan struct{} // closed when the upload arrived
	ready               bool          // the file is whole: served from now on
	uploading           bool
	full                bool // an upload was refused: MaxTotal reached
	size                int64
}

// leftover matches the files a Store writes, so New can clear those a
// previous run left (recordings live in memory: they do not outlive the
// process).
var leftover = regexp.MustCompile(`^[0-9a-f]{32}\.(wav|mp3|ogg|flac)(\.part)?$`)

// New makes a Store, creating its folder and removing the files a previous
// run left in it (only files named as a Store names them).
func New(cfg Config) (*Store, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	s := &Store{cfg: cfg, now: time.Now, byID: map[string]*entry{}}
	if !cfg.Local {
		if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
			return nil, fmt.Errorf("recordings dir: %w", err)
		}
		des, err := os.ReadDir(cfg.Dir)
		if err != nil {
			return nil, fmt.Errorf("recordings dir: %w", err)
		}
		for _, de := range des {
			if de.Type().IsRegular() && leftover.MatchString(de.Name()) {
				_ = os.Remove(filepath.Join(cfg.Dir, de.Name()))
			}
		}
	}
	return s, nil
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail (Go 1.24+)
	return hex.EncodeToString(b)
}

func sum(secret string) [sha256.Size]byte { return sha256.Sum256([]byte(secret)) }

// Plan implements proxy.Recordings: a new recording of call named name
// (a name package verb checked: letters, digits and _ . + @ = , -, and a
// known extension), local being where FreeSWITCH writes it in the app's
// recordings folder.
func (s *Store) Plan(call *proxy.Call, name, local string) (proxy.PlannedRecording, error) {
	if name == "" || strings.ContainsAny(name, "/\\?#%") {
		return nil, fmt.Errorf("recording name %q cannot go in a URL", name)
	}
	id, fetch, up := randomHex(16), randomHex(32), randomHex(32)
	e := &entry{id: id, fetchSum: sum(fetch), uploadSum: sum(up), name: name, format: format(name),
		done: make(chan struct{})}
	p := &planned{s: s, e: e, url: s.cfg.publicURL() + "/recordings/" + id + "/" + fetch + "/" + name}
	if s.cfg.Local {
		e.file, p.target = local, local
	} else {
		e.file, e.owned = filepath.Join(s.cfg.Dir, id+"."+e.format), true
		p.target = s.cfg.switchURL() + "/uploads/" + id + "/" + up + "/" + name
	}
	now := s.now()
	e.expires = now.Add(s.cfg.keep())
	s.mu.Lock()
	s.sweepLocked(now)
	s.byID[id] = e
	s.mu.Unlock()
	return p, nil
}

// format is a name's extension.
func format(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return strings.ToLower(name[i+1:])
	}
	return "wav"
}

// sweepLocked drops expired recordings, at most once a second.
func (s *Store) sweepLocked(now time.Time) {
	if now.Sub(s.lastSweep) < time.Second {
		return
	}
	s.lastSweep = now
	for id, e := range s.byID {
		if !now.Before(e.expires) {
			s.dropLocked(id, e)
		}
	}
}

// Sweep drops the recordings whose keep has passed and deletes their
// files. Requests sweep as they come; the daemon also calls Sweep every
// minute, so that on an idle instance no file outlives its keep by more
// than that.
func (s *Store) Sweep() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastSweep = time.Time{}
	s.sweepLocked(s.now())
}

// dropLocked forgets a recording and deletes its file when the Store
// wrote it.
func (s *Store) dropLocked(id string, e *entry) {
	delete(s.byID, id)
	if e.owned && !e.uploading {
		_ = os.Remove(e.file)
		if e.ready {
			s.used -= e.size
		}
	}
}

// Len returns how many recordings the Store holds (expired ones it has not
// swept yet included).
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byID)
}

// planned is one recording the session planned.
type planned struct {
	s      *Store
	e      *entry
	target string
	url    string
}

func (p *planned) Target() string { return p.target }

// Collect implements proxy.PlannedRecording: it waits (Config.Wait at
// most) for the switch's upload, or checks the local file, and returns the
// recording's URL and size. A recording that cannot be had is forgotten.
func (p *planned) Collect(ctx context.Context) (*proxy.DeliveredRecording, error) {
	s, e := p.s, p.e
	if s.cfg.Local {
		fi, err := os.Lstat(e.file)
		if err == nil && !fi.Mode().IsRegular() {
			err = fmt.Errorf("%s is not a regular file", e.file)
		}
		if err == nil {
			var f *os.File
			if f, err = os.Open(e.file); err == nil {
				f.Close()
			}
		}
		if err != nil {
			p.Discard()
			return nil, fmt.Errorf("cannot read the recording: %w", err)
		}
		s.mu.Lock()
		e.ready, e.size = true, fi.Size()
		s.mu.Unlock()
		return &proxy.DeliveredRecording{URL: p.url, Size: fi.Size()}, nil
	}
	t := time.NewTimer(s.cfg.wait())
	defer t.Stop()
	select {
	case <-e.done:
	case <-t.C:
	case <-ctx.Done():
	}
	s.mu.Lock()
	ready, size, full := e.ready, e.size, e.full
	s.mu.Unlock()
	if !ready {
		p.Discard()
		if full {
			return nil, fmt.Errorf("callhook's recordings storage is full (max_total %d bytes): the upload was refused", s.cfg.maxTotal())
		}
		return nil, fmt.Errorf("the switch did not upload the recording within %s (is mod_httapi loaded, and can the switch reach %s?)",
			s.cfg.wait(), s.cfg.switchURL())
	}
	return &proxy.DeliveredRecording{URL: p.url, Size: size}, nil
}

// Open implements proxy.PlannedRecording: the recording's bytes, for an
// upload to the app's storage.
func (p *planned) Open() (io.ReadCloser, int64, error) {
	f, err := os.Open(p.e.file)
	if err != nil {
		return nil, 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, fi.Size(), nil
}

// Discard implements proxy.PlannedRecording: the recording is forgotten
// (its uploaded file deleted).
func (p *planned) Discard() {
	p.s.mu.Lock()
	defer p.s.mu.Unlock()
	if p.s.byID[p.e.id] == p.e {
		p.s.dropLocked(p.e.id, p.e)
	}
}

// lookup finds the recording a request names, checking its secret in
// constant time against the upload's or the fetch's; nil when there is
// none, it expired, or the secret or name is wrong. A download may name
// the recording without its extension too (nameFits); other says a
// download named it with another format's extension (otherFormat).
func (s *Store) lookup(id, secret, name string, upload bool) (e *entry, other bool) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked(now)
	e = s.byID[id]
	want := sum(randomHex(16)) // compare against something either way
	if e != nil {
		want = e.fetchSum
		if upload {
			want = e.uploadSum
		}
	}
	got := sum(secret)
	if !constantEqual(got[:], want[:]) || e == nil {
		return nil, false
	}
	if !e.nameFits(name, upload) {
		return nil, !upload && e.otherFormat(name) && now.Before(e.expires)
	}
	if !now.Before(e.expires) {
		s.dropLocked(id, e)
		return nil, false
	}
	return e, false
}

var errNotFound = fs.ErrNotExist

// nameFits says whether a request's name names e: its own name, or, for a
// download, its name without the extension. That is the form of a
// Twilio RecordingUrl, to which Twilio apps append the format they want
// (package twiml hands its apps that form); its own extension then names
// the recording again. Another extension names nothing: callhook serves
// the file as the switch wrote it and converts nothing (otherFormat).
func (e *entry) nameFits(name string, upload bool) bool {
	if name == e.name {
		return true
	}
	return !upload && name+"."+e.format == e.name
}

// otherFormat says whether name is e's name without its extension and
// with another one (a Twilio app appending .mp3 to a WAV's URL).
func (e *entry) otherFormat(name string) bool {
	base, ext, ok := cutExt(name)
	return ok && ext != e.format && base+"."+e.format == e.name
}

// cutExt splits a name at its last dot.
func cutExt(name string) (base, ext string, ok bool) {
	i := strings.LastIndexByte(name, '.')
	if i < 0 {
		return name, "", false
	}
	return name[:i], strings.ToLower(name[i+1:]), true
}
