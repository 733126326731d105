package recordings

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/callhook/callhook/proxy"
)

// testStore is a Store with a clock the test moves, served over HTTP.
func testStore(t *testing.T, cfg Config) (*Store, *httptest.Server, *time.Time) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	cfg.URL = "http://" + srv.Listener.Addr().String()
	if cfg.Dir == "" && !cfg.Local {
		cfg.Dir = t.TempDir()
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return now }
	srv.Config.Handler = s
	srv.Start()
	t.Cleanup(srv.Close)
	return s, srv, &now
}

func do(t *testing.T, method, u string, body io.Reader, ctype string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// plan plans a recording and uploads data to it by PUT, as mod_httapi
// does (its parameters in the query string).
func plan(t *testing.T, s *Store, data string) (proxy.PlannedRecording, string) {
	t.Helper()
	p, err := s.Plan(&proxy.Call{ID: "c1"}, "msg.wav", "/var/lib/freeswitch/recordings/msg.wav")
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := do(t, http.MethodPut, p.Target()+"?file_driver=true&HTTAPI_SESSION_ID=x", strings.NewReader(data), ""); code != http.StatusCreated {
		t.Fatalf("PUT upload = %d, want 201", code)
	}
	d, err := p.Collect(context.Background())
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	return p, d.URL
}

// TestTokenGuessing: only the exact URL serves a recording; every wrong
// id, secret or name is the same 404, and the upload URL cannot be read
// nor the fetch URL written.
func TestTokenGuessing(t *testing.T) {
	s, _, _ := testStore(t, Config{})
	p, u := plan(t, s, "RIFFdata")
	if code, b := do(t, http.MethodGet, u, nil, ""); code != 200 || string(b) != "RIFFdata" {
		t.Fatalf("GET url = %d %q", code, b)
	}
	i := strings.Index(u, "/recordings/") + len("/recordings/")
	id, secret := u[i:i+32], u[i+33:i+33+64]
	flip := func(h string) string { // the same hex string but its last digit
		if h[len(h)-1] == 'a' {
			return h[:len(h)-1] + "b"
		}
		return h[:len(h)-1] + "a"
	}
	base := u[:i]
	for _, bad := range []string{
		base + id + "/" + flip(secret) + "/msg.wav",
		base + flip(id) + "/" + secret + "/msg.wav",
		base + id + "/" + secret + "/other.wav",
		base + id + "/" + secret + "/../msg.wav",
		base + id + "/" + secret[:63] + "/msg.wav",
		base + id + "/" + secret + "/msg.wav/",
		strings.Replace(p.Target(), "/uploads/", "/recordings/", 1), // the upload secret
	} {
		if code, b := do(t, http.MethodGet, bad, nil, ""); code != 404 || bytes.Contains(b, []byte("RIFF")) {
			t.Errorf("GET %s = %d, want 404", bad, code)
		}
	}
	if code, _ := do(t, http.MethodPut, u, strings.NewReader("x"), ""); code != http.StatusMethodNotAllowed {
		t.Errorf("PUT to the fetch URL = %d, want 405", code)
	}
	if code, _ := do(t, http.MethodGet, p.Target(), nil, ""); code != http.StatusMethodNotAllowed {
		t.Errorf("GET the upload URL = %d, want 405", code)
	}
	if code, _ := do(t, http.MethodPut, p.Target(), strings.NewReader("again"), ""); code != http.StatusConflict {
		t.Errorf("a second upload = %d, want 409", code)
	}
	if _, b := do(t, http.MethodGet, u, nil, ""); string(b) != "RIFFdata" {
		t.Errorf("after a second upload GET = %q, want the first", b)
	}
}

// TestExpiry: past Keep the URL is a 404 and the file is gone.
func TestExpiry(t *testing.T) {
	s, _, now := testStore(t, Config{Keep: time.Hour})
	_, u := plan(t, s, "RIFFdata")
	files, _ := os.ReadDir(s.cfg.Dir)
	if len(files) != 1 {
		t.Fatalf("%d files in the folder, want 1", len(files))
	}
	*now = now.Add(59 * time.Minute)
	if code, _ := do(t, http.MethodGet, u, nil, ""); code != 200 {
		t.Errorf("GET before expiry = %d", code)
	}
	*now = now.Add(time.Minute)
	if code, _ := do(t, http.MethodGet, u, nil, ""); code != 404 {
		t.Errorf("GET after expiry = %d, want 404", code)
	}
	if files, _ := os.ReadDir(s.cfg.Dir); len(files) != 0 || s.Len() != 0 {
		t.Errorf("after expiry: %d files, %d recordings, want none", len(files), s.Len())
	}
}

// TestSweep: Sweep deletes an expired recording's file with no request
// coming (the daemon calls it every minute), and keeps one still in time.
func TestSweep(t *testing.T) {
	s, _, now := testStore(t, Config{Keep: time.Hour})
	plan(t, s, "RIFFold")
	*now = now.Add(30 * time.Minute)
	plan(t, s, "RIFFnew")
	*now = now.Add(30 * time.Minute)
	s.Sweep()
	if files, _ := os.ReadDir(s.cfg.Dir); len(files) != 1 || s.Len() != 1 {
		t.Errorf("after the first's keep: %d files, %d recordings, want 1 and 1", len(files), s.Len())
	}
	*now = now.Add(30 * time.Minute)
	s.Sweep()
	if files, _ := os.ReadDir(s.cfg.Dir); len(files) != 0 || s.Len() != 0 {
		t.Errorf("after both keeps: %d files, %d recordings, want none", len(files), s.Len())
	}
}

// TestUploadPOST: mod_httapi's POST form (field recorded_file) is taken.
func TestUploadPOST(t *testing.T) {
	s, _, _ := testStore(t, Config{})
	p, err := s.Plan(&proxy.Call{ID: "c1"}, "msg.wav", "")
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("url", "x")
	fw, _ := mw.CreateFormFile("recorded_file", "msg.wav")
	fw.Write([]byte("RIFFpost"))
	mw.Close()
	if code, _ := do(t, http.MethodPost, p.Target(), &body, mw.FormDataContentType()); code != http.StatusCreated {
		t.Fatalf("POST = %d", code)
	}
	d, err := p.Collect(context.Background())
	if err != nil || d.Size != 8 {
		t.Fatalf("Collect = %v, %v", d, err)
	}
	if _, b := do(t, http.MethodGet, d.URL, nil, ""); string(b) != "RIFFpost" {
		t.Errorf("GET = %q", b)
	}
}

// TestUploadTooBig: an upload over MaxSize is refused and the recording
// fails.
func TestUploadTooBig(t *testing.T) {
	s, _, _ := testStore(t, Config{MaxSize: 10, Wait: time.Millisecond})
	p, _ := s.Plan(&proxy.Call{ID: "c1"}, "msg.wav", "")
	if code, _ := do(t, http.MethodPut, p.Target(), strings.NewReader(strings.Repeat("x", 11)), ""); code != http.StatusRequestEntityTooLarge {
		t.Errorf("PUT 11 bytes = %d, want 413", code)
	}
	if _, err := p.Collect(context.Background()); err == nil {
		t.Error("Collect after a refused upload = nil, want an error")
	}
	if files, _ := os.ReadDir(s.cfg.Dir); len(files) != 0 {
		t.Errorf("%d files left", len(files))
	}
}

// TestNewClearsLeftovers: files a previous run left (named as a Store
// names them) are removed; others are not.
func TestNewClearsLeftovers(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(dir+"/0123456789abcdef0123456789abcdef.wav", []byte("x"), 0o600)
	os.WriteFile(dir+"/keep.txt", []byte("x"), 0o600)
	if _, err := New(Config{Dir: dir, URL: "http://127.0.0.1:1"}); err != nil {
		t.Fatal(err)
	}
	files, _ := os.ReadDir(dir)
	if len(files) != 1 || files[0].Name() != "keep.txt" {
		t.Errorf("files = %v, want keep.txt only", files)
	}
}

func TestConfigCheck(t *testing.T) {
	for _, c := range []Config{
		{URL: "http://x"},                            // no dir
		{Dir: "rel", URL: "http://x"},                // relative
		{Dir: "/d"},                                  // no url
		{Dir: "/d", URL: "ftp://x"},                  // scheme
		{Dir: "/d", URL: "http://x?a=b"},             // query
		{Dir: "/d", URL: "http://x/a,b"},             // mod_httapi's separators
		{Dir: "/d", URL: "http://x", Keep: -1},       // negative
		{Dir: "/d", URL: "http://x", SwitchURL: "x"}, // bad switch url
	} {
		if err := c.Check(); err == nil {
			t.Errorf("Check(%+v) = nil, want an error", c)
		}
	}
	if err := (Config{Local: true, URL: "https://rec.example/cb"}).Check(); err != nil {
		t.Errorf("Check(local) = %v", err)
	}
}

// TestStalledUpload: an upload that stops sending is cut after Stall
// rather than holding its connection, and the recording's one upload, for
// ever; the switch's retry then goes through.
func TestStalledUpload(t *testing.T) {
	s, srv, _ := testStore(t, Config{Stall: 50 * time.Millisecond})
	p, err := s.Plan(&proxy.Call{ID: "c1"}, "msg.wav", "/x/msg.wav")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(p.Target())
	if err != nil {
		t.Fatal(err)
	}
	nc, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	// Ten bytes of a thousand, then nothing.
	fmt.Fprintf(nc, "PUT %s HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nRIFF012345", u.Path)
	_ = nc.SetReadDeadline(time.Now().Add(20 * time.Second)) // the test's own bound, not the server's
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil {
		t.Fatalf("the stalled upload got no answer: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusCreated {
		t.Fatalf("stalled upload = %d, want an error", resp.StatusCode)
	}
	if code, _ := do(t, http.MethodPut, p.Target(), strings.NewReader("RIFFdata"), ""); code != http.StatusCreated {
		t.Errorf("upload after the stalled one = %d, want 201", code)
	}
}

// TestStalledDownload: a client that stops reading a recording has its
// connection cut after Stall rather than holding it for ever.
func TestStalledDownload(t *testing.T) {
	srv := httptest.NewUnstartedServer(nil)
	closed := make(chan string, 16)
	srv.Config.ConnState = func(c net.Conn, st http.ConnState) {
		if st == http.StateClosed {
			closed <- c.RemoteAddr().String()
		}
	}
	s, err := New(Config{URL: "http://" + srv.Listener.Addr().String(), Dir: t.TempDir(), Stall: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = s
	srv.Start()
	t.Cleanup(srv.Close)
	// Larger than every socket buffer between the two ends.
	const size = 32 << 20
	_, u := plan(t, s, strings.Repeat("x", size))
	pu, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.(*net.TCPConn).SetReadBuffer(4096)
	fmt.Fprintf(nc, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", pu.Path)
	// Read nothing: the download cannot finish (it is larger than the
	// buffers), so only the server giving up closes the connection.
	deadline := time.After(20 * time.Second)
	for done := false; !done; {
		select {
		case a := <-closed:
			done = a == nc.LocalAddr().String()
		case <-deadline:
			t.Fatal("the server still holds the connection of a client that stopped reading")
		}
	}
}

// TestStoreFull: the recordings kept at once, uploads in progress
// included, stay under MaxTotal: an upload past it is refused (507) while
// it streams, leaves no file, and its recording fails saying why; once a
// recording is let go its bytes count no more.
func TestStoreFull(t *testing.T) {
	s, _, _ := testStore(t, Config{MaxSize: 10, MaxTotal: 16, Wait: time.Millisecond})
	a, _ := plan(t, s, strings.Repeat("a", 10))
	b, err := s.Plan(&proxy.Call{ID: "c1"}, "b.wav", "")
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := do(t, http.MethodPut, b.Target(), strings.NewReader(strings.Repeat("b", 10)), ""); code != http.StatusInsufficientStorage {
		t.Errorf("PUT past max_total = %d, want 507", code)
	}
	if _, err := b.Collect(context.Background()); err == nil || !strings.Contains(err.Error(), "max_total") {
		t.Errorf("Collect of the refused upload = %v, want an error naming max_total", err)
	}
	if files, _ := os.ReadDir(s.cfg.Dir); len(files) != 1 {
		t.Errorf("%d files in the store, want 1 (the first recording's)", len(files))
	}
	a.Discard()
	plan(t, s, strings.Repeat("c", 10)) // fits again
}

// TestNameWithoutExtension: a download may leave the name's extension off
// (a Twilio RecordingUrl's form, to which apps append the format); its
// own extension names it too, another one is a 404 that says nothing is
// converted, and an upload must name it whole. A wrong secret with the
// other extension learns nothing more than any guess.
func TestNameWithoutExtension(t *testing.T) {
	s, _, _ := testStore(t, Config{})
	p, u := plan(t, s, "RIFFdata")
	base := strings.TrimSuffix(u, ".wav")
	for _, v := range []string{base, base + ".wav"} {
		if code, b := do(t, http.MethodGet, v, nil, ""); code != 200 || string(b) != "RIFFdata" {
			t.Errorf("GET %s = %d %q, want 200 and the recording", v, code, b)
		}
	}
	if code, b := do(t, http.MethodGet, base+".mp3", nil, ""); code != 404 || !strings.Contains(string(b), "converts nothing") {
		t.Errorf("GET .mp3 = %d %q, want a 404 that says callhook converts nothing", code, b)
	}
	i := strings.LastIndex(base, "/")
	j := strings.LastIndex(base[:i], "/")
	wrong := base[:j+1] + strings.Repeat("0", 64) + base[i:] + ".mp3"
	if code, b := do(t, http.MethodGet, wrong, nil, ""); code != 404 || strings.Contains(string(b), "converts") {
		t.Errorf("GET with a wrong secret = %d %q, want the plain 404", code, b)
	}
	up := strings.TrimSuffix(p.Target(), ".wav")
	if code, _ := do(t, http.MethodPut, up, strings.NewReader("x"), ""); code != 404 {
		t.Errorf("PUT without the extension = %d, want 404", code)
	}
}
