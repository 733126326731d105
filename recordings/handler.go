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
	h.Set("Content-Type", contentType(e.format))
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": e.name}))
	// The URL is a credential: no shared cache may keep it.
	h.Set("Cache-Control", "private, no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", fi.ModTime(), f)
}

// contentType is a format's media type.
func contentType(format string) string {
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
	n, err := s.write(r, e)
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
	s.mu.Unlock()
	var tooBig *http.MaxBytesError
	switch {
	case err == nil:
		w.WriteHeader(http.StatusCreated)
	case errors.As(err, &tooBig):
		http.Error(w, fmt.Sprintf("a recording may be at most %d bytes", s.cfg.maxSize()), http.StatusRequestEntityTooLarge)
	case errors.Is(err, errNotFound):
		http.NotFound(w, r)
	default:
		http.Error(w, "upload failed: "+err.Error(), http.StatusBadRequest)
	}
}

// write copies the upload into e's file.
func (s *Store) write(r *http.Request, e *entry) (int64, error) {
	body := http.MaxBytesReader(nil, r.Body, s.cfg.maxSize()+1<<20)
	var src io.Reader = http.MaxBytesReader(nil, body, s.cfg.maxSize())
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
	n, err := io.Copy(f, src)
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
