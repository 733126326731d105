package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
)

// maxBodyBytes caps a request body: parameters are a cause or a URL.
const maxBodyBytes = 64 << 10

// errorBody is every error response.
type errorBody struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// A write error means the client went away; there is no one to tell.
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorBody{Error: msg})
}

func writeText(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, text+"\n")
}

// routeMiss turns the mux's plain-text 404 and 405 into JSON errors,
// keeping the status and the Allow header the mux set.
type routeMiss struct {
	http.ResponseWriter
	wrote bool
}

func (m *routeMiss) WriteHeader(status int) {
	if m.wrote {
		return
	}
	m.wrote = true
	m.Header().Del("X-Content-Type-Options")
	writeError(m.ResponseWriter, status, http.StatusText(status))
}

// Write drops the mux's text body: WriteHeader wrote the JSON one.
func (m *routeMiss) Write(p []byte) (int, error) {
	if !m.wrote {
		m.WriteHeader(http.StatusOK)
	}
	return len(p), nil
}

// badRequest is a parameter error, answered with its status (400; 413 for
// a body over maxBodyBytes; 415 for a body of a type not read) and message.
type badRequest struct {
	status int
	msg    string
}

func (e *badRequest) Error() string { return e.msg }

func badRequestf(format string, args ...any) error {
	return &badRequest{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// bodyError is the error of reading a request body.
func bodyError(what string, err error) error {
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return &badRequest{status: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf("body over %d bytes", maxBodyBytes)}
	}
	return badRequestf("%s: %v", what, err)
}

// param reads one string parameter from a JSON object body
// (Content-Type: application/json) or from the form (query or urlencoded
// body); with no body it reads the query. A missing parameter is "". A
// body over maxBodyBytes is a 413, whatever its type; a body of another
// type (or none given) is a 415.
func param(w http.ResponseWriter, r *http.Request, name string) (string, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return "", bodyError("bad form", err)
		}
		return r.FormValue(name), nil
	default:
		// A body of no type or another type is not read as parameters,
		// but it is read, up to the cap: ParseForm would skip it, and an
		// oversized body would pass unnoticed instead of being a 413.
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			return "", bodyError("read body", err)
		}
		if n > 0 {
			return "", &badRequest{status: http.StatusUnsupportedMediaType,
				msg: "a body needs Content-Type application/json or application/x-www-form-urlencoded"}
		}
		return r.URL.Query().Get(name), nil
	}
	var body map[string]json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil && !errors.Is(err, io.EOF) {
		return "", bodyError("bad JSON body", err)
	}
	raw, ok := body[name]
	if !ok || string(raw) == "null" {
		return r.URL.Query().Get(name), nil
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", badRequestf("%s: want a string", name)
	}
	return v, nil
}
