package recordings

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"regexp"
	"time"

	"github.com/callhook/callhook/verb"
)

// constantEqual compares two secrets' digests in constant time.
func constantEqual(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }

// reqPath is a request's path: /recordings/<id>/<secret>/<name> (GET,
// HEAD) or /uploads/<id>/<secret>/<name> (PUT, POST). The name repeats the
// recording's so that mod_httapi takes it for the file's name (and its
// extension for the format) and a download gets it; the Store never opens
// it.
var reqPath = regexp.MustCompile(`^/(recordings|uploads)/([0-9a-f]{32})/([0-9a-f]{64})/([A-Za-z0-9_.+@=,-]{1,200})$`)

// uploadField is the multipart field mod_httapi's POST carries the file
// in (its "name" parameter's default, recorded_file; mod_httapi.c
// file_open); "file" is taken too.
const uploadField = "recorded_file"

// ServeHTTP serves both ends: the switch's upload and the app's GET. Every
// failure to find a recording is the same 404, so a guess learns nothing.
func (s *Store) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// A write deadline a download left on this keep-alive connection
	// (stallWriter) is not this request's: the server sets none itself.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	m := reqPath.FindStringSubmatch(r.URL.Path)
	if m == nil {
		http.NotFound(w, r)
		return
	}
	upload := m[1] == "uploads"
	switch {
	case upload && (r.Method == http.MethodPut || r.Method == http.MethodPost):
	case !upload && (r.Method == http.MethodGet || r.Method == http.MethodHead):
	default:
		w.Header().Set("Allow", map[bool]string{true: "PUT, POST", false: "GET, HEAD"}[upload])
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	e, other := s.lookup(m[2], m[3], m[4], upload)
	if other {
		// The secret was right: the app learns nothing it did not know,
		// and a Twilio app that appends .mp3 is told why it got nothing.
		http.Error(w, "callhook serves this recording in the format it was recorded in and converts nothing: "+
			"fetch the URL as given (or with its own extension)", http.StatusNotFound)
		return
	}
	if e == nil || (upload && s.cfg.Local) {
		http.NotFound(w, r)
		return
	}
	if upload {
		s.receive(w, r, e)
		return
	}
	s.serve(w, r, e)
}

// serve sends a recording that is whole.
func (s *Store) serve(w http.ResponseWriter, r *http.Request, e *entry) {
	s.mu.Lock()
	ready := e.ready
	s.mu.Unlock()
	if !ready {
		http.NotFound(w, r)
		return
	}
	f, err := os.Open(e.file)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", verb.RecordingMediaType(e.format))
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": e.name}))
	// The URL is a credential: no shared cache may keep it.
	h.Set("Cache-Control", "private, no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	// The last write's deadline stays for the server's final flush;
	// ServeHTTP clears it for the connection's next request.
	http.ServeContent(&stallWriter{ResponseWriter: w, rc: http.NewResponseController(w), stall: s.cfg.stall()}, r, "", fi.ModTime(), f)
}

// stallWriter is a response each Write of which must go out within stall
// (a client that stops reading must not hold the connection for ever): it
// moves the connection's write deadline before each.
type stallWriter struct {
	http.ResponseWriter
	rc    *http.ResponseController
	stall time.Duration
}

func (w *stallWriter) Write(p []byte) (int, error) {
	_ = w.rc.SetWriteDeadline(time.Now().Add(w.stall))
	return w.ResponseWriter.Write(p)
}

// receive stores the switch's upload of a recording: the body (PUT) or the
// multipart file (POST), at most MaxSize bytes, into a .part file renamed
// into place once whole. One upload per recording.
func (s *Store) receive(w http.ResponseWriter, r *http.Request, e *entry) {
	s.mu.Lock()
	if e.ready || e.uploading {
		s.mu.Unlock()
		http.Error(w, "already uploaded", http.StatusConflict)
		return
	}
	e.uploading = true
	s.mu.Unlock()
	q := &quota{s: s}
	n, err := s.write(w, r, e, q)
	s.mu.Lock()
	e.uploading = false
	if err == nil {
		if _, live := s.byID[e.id]; live {
			e.ready, e.size = true, n
			close(e.done)
		} else {
			// Discarded (or expired) while it came in.
			_ = os.Remove(e.file)
			err = errNotFound
		}
	}
	if err != nil {
		s.used -= q.n // the file is gone
	}
	if errors.Is(err, errFull) {
		e.full = true
	}
	s.mu.Unlock()
	var tooBig *http.MaxBytesError
	switch {
	case err == nil:
		w.WriteHeader(http.StatusCreated)
	case errors.Is(err, errFull):
		http.Error(w, fmt.Sprintf("callhook's recordings storage is full (max_total %d bytes)", s.cfg.maxTotal()), http.StatusInsufficientStorage)
	case errors.As(err, &tooBig):
		http.Error(w, fmt.Sprintf("a recording may be at most %d bytes", s.cfg.maxSize()), http.StatusRequestEntityTooLarge)
	case errors.Is(err, errNotFound):
		http.NotFound(w, r)
	default:
		http.Error(w, "upload failed: "+err.Error(), http.StatusBadRequest)
	}
}

// write copies the upload into e's file. The whole body (a POST's form
// too) is bounded, and each read of it has Config.Stall to bring bytes.
func (s *Store) write(w http.ResponseWriter, r *http.Request, e *entry, q *quota) (int64, error) {
	// The read deadline stays after the handler, unlike serve's write
	// deadline: the server sets its own before reading the next request,
	// and it bounds the draining of what a stalled upload left unread.
	r.Body = &stallReader{ReadCloser: http.MaxBytesReader(w, r.Body, s.cfg.maxSize()+1<<20),
		rc: http.NewResponseController(w), stall: s.cfg.stall()}
	var src io.Reader = http.MaxBytesReader(nil, r.Body, s.cfg.maxSize())
	if r.Method == http.MethodPost {
		mr, err := r.MultipartReader()
		if err != nil {
			return 0, fmt.Errorf("want a multipart form: %w", err)
		}
		for {
			part, err := mr.NextPart()
			if err != nil {
				return 0, fmt.Errorf("no %s or file field in the form", uploadField)
			}
			if part.FormName() == uploadField || part.FormName() == "file" {
				src = http.MaxBytesReader(nil, part, s.cfg.maxSize())
				break
			}
			part.Close()
		}
	}
	tmp := e.file + ".part"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_EXCL, 0o600)
	if err != nil {
		return 0, err
	}
	q.w = f
	n, err := io.Copy(q, src)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, e.file)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return 0, err
	}
	return n, nil
}

// stallReader is a request body each Read of which must bring bytes
// within stall: it moves the connection's read deadline before each.
type stallReader struct {
	io.ReadCloser
	rc    *http.ResponseController
	stall time.Duration
}

func (r *stallReader) Read(p []byte) (int, error) {
	_ = r.rc.SetReadDeadline(time.Now().Add(r.stall))
	return r.ReadCloser.Read(p)
}

// errFull is an upload refused because the Store holds MaxTotal bytes.
var errFull = errors.New("recordings storage full")

// quota is an upload's file, counted against the Store's MaxTotal as it
// is written: a write that would pass it fails (errFull), so the cap holds
// while the upload streams, whatever its Content-Length said. n is what
// it counted, for the receiver to give back when the upload fails.
type quota struct {
	s *Store
	w io.Writer
	n int64
}

func (q *quota) Write(p []byte) (int, error) {
	q.s.mu.Lock()
	if q.s.used+int64(len(p)) > q.s.cfg.maxTotal() {
		q.s.mu.Unlock()
		return 0, errFull
	}
	q.s.used += int64(len(p))
	q.s.mu.Unlock()
	q.n += int64(len(p))
	return q.w.Write(p)
}
