package delivery

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"mime/multipart"
	"strconv"

	"github.com/callhook/callhook/verb"
)

// uploadBody returns an upload's body, its content type and its length
// (-1: unknown): the file itself for PUT, or for POST a multipart form
// whose field "file" holds it, streamed through a pipe so that a large
// recording is never held in memory. done must be called once the
// request is over: it ends the pipe's writer when the request stopped
// reading early.
func uploadBody(method string, f io.Reader, size int64, rec *verb.Recording) (body io.Reader, ctype string, length int64, done func()) {
	if method != verb.UploadPOST {
		return f, verb.RecordingMediaType(rec.Format), size, func() {}
	}
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		part, err := mw.CreateFormFile("file", rec.Name)
		if err == nil {
			_, err = io.Copy(part, f)
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	return pr, mw.FormDataContentType(), -1, func() { pr.Close() }
}

// fileSignature returns a function that makes each attempt's
// X-Callhook-Signature over the recording's bytes (t=<unix
// seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<bytes>")>, apphttp.Signature's
// form), the file hashed once per attempt's t; "" without a secret.
func (s *Sender) fileSignature(open func() (io.ReadCloser, int64, error)) (func() string, error) {
	if s.Secret == "" {
		return func() string { return "" }, nil
	}
	// Read the file once to check it can be, the MAC is made per attempt.
	f, _, err := open()
	if err != nil {
		return nil, err
	}
	f.Close()
	return func() string {
		t := strconv.FormatInt(s.now().Unix(), 10)
		mac := hmac.New(sha256.New, []byte(s.Secret))
		mac.Write([]byte(t + "."))
		if f, _, err := open(); err == nil {
			_, _ = io.Copy(mac, f)
			f.Close()
		}
		return "t=" + t + ",v1=" + hex.EncodeToString(mac.Sum(nil))
	}, nil
}
