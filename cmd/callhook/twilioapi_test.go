package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/internal/config"
)

// TestTwilioAPIServe runs the daemon with twilio_api over HTTPS (a
// certificate made for the test) and places a call as the README's curl
// example does: 201, and the twiml app's document is asked for with
// Direction outbound-api.
func TestTwilioAPIServe(t *testing.T) {
	const sid, token = "AC0123456789abcdef0123456789abcdef", "s3cret-token-of-32-characters-xx"
	fs, err := esltest.NewInboundServer("ClueCon")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fs.Close() })
	fs.SetOriginate(esltest.OriginateOptions{Call: esltest.Options{Speed: 1000}})

	docs := make(chan url.Values, 16)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		if r.URL.Path == "/hello" {
			docs <- r.PostForm
		}
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprint(w, `<Response><Hangup/></Response>`)
	}))
	t.Cleanup(app.Close)

	dir := t.TempDir()
	pool := writeCert(t, dir)
	ports := opsFreePorts(t, 3)
	text := fmt.Sprintf("listen: %s\nadmin: ''\nlog: {level: debug}\n"+
		"apps:\n  tw:\n    twiml: %s/voice\n    account_sid: %s\n    auth_token: %s\n"+
		"    dial: {number: 'sofia/gateway/gw/{number}'}\n    allow_to: ['^sofia/gateway/gw/\\+1555\\d+$']\n    allow_from: ['^\\+1555\\d+$']\n"+
		"boxes:\n  - {name: fs1, addr: %s, password: ClueCon, connect_back: %s}\n"+
		"twilio_api: {listen: '%s', tls: {cert: api.crt, key: api.key}}\n",
		ports[0], app.URL, sid, token, fs.Addr(), ports[0], ports[2])
	_, _, logs := startPlacingDaemon(t, dir, text)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	form := url.Values{"To": {"+15550001"}, "From": {"+15559999"}, "Url": {app.URL + "/hello"}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "https://"+ports[2]+"/2010-04-01/Accounts/"+sid+"/Calls.json", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(sid, token)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var res map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&res)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || res["status"] != "queued" {
		t.Fatalf("create = %d %v", resp.StatusCode, res)
	}
	select {
	case p := <-docs:
		if p.Get("Direction") != "outbound-api" || p.Get("CallSid") != res["sid"] || p.Get("To") != "+15550001" {
			t.Errorf("document request = %v", p)
		}
	case <-ctx.Done():
		t.Fatal("the placed call never asked for its document")
	}

	// What the Internet sends any TLS port: bytes that are no TLS. The
	// failed handshake goes to the daemon's log (then the connection
	// closes), not to the process's stderr.
	conn, err := net.Dial("tcp", ports[2])
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := conn.Write([]byte("\x00\x00\x00\x00\x00\x00\x00\x00")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, conn); err != nil {
		t.Fatalf("the listener did not close the connection: %v", err)
	}
	if !strings.Contains(logs.String(), "twilio api: http: TLS handshake error") {
		t.Errorf("the failed handshake is not in the daemon's log:\n%s", logs)
	}
}

// writeCert writes api.crt and api.key for 127.0.0.1 into dir and returns
// a pool that trusts it.
func writeCert(t *testing.T, dir string) *x509.CertPool {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "callhook test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	for name, data := range map[string][]byte{"api.crt": certPEM, "api.key": pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	return pool
}

// The README's twilio_api example is a config that loads.
func TestTwilioAPIREADMEExample(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(readme), "### Placing calls the Twilio way")
	_, block, ok2 := strings.Cut(sec, "```yaml\n")
	block, _, ok3 := strings.Cut(block, "```")
	if !ok || !ok2 || !ok3 {
		t.Fatal("README has no yaml block under Placing calls the Twilio way")
	}
	env := func(name string) (string, bool) { return "x0123456789abcdef0123456789abcde", true }
	c, err := config.Parse("config.yaml", []byte(block), env)
	if err != nil {
		t.Fatalf("README's example:\n%s\n%v", block, err)
	}
	if c.TwilioAPI == nil || c.TwilioAPI.Listen != "0.0.0.0:8443" || c.TwilioAPI.CertFile != "/etc/callhook/api.crt" {
		t.Errorf("TwilioAPI = %+v", c.TwilioAPI)
	}
	a := c.AppByName("voicemail")
	if a == nil || len(a.AllowTo) != 1 || !a.AllowTo[0].MatchString("sofia/gateway/out/+15551230001") {
		t.Errorf("the example's allow_to does not allow the curl example's To: %+v", a)
	}
}

// callhook check loads twilio_api's certificate and key as serve does, so a
// missing file fails the check, not the next start.
func TestCheckTwilioAPITLS(t *testing.T) {
	cfg := writeConfig(t, `twilio_api:
  listen: 127.0.0.1:8443
  tls: {cert: missing.crt, key: missing.key}
boxes:
  - {name: fs1, addr: 127.0.0.1:8021, password: x, connect_back: 127.0.0.1:8084}
apps:
  voicemail:
    twiml: http://127.0.0.1:8000/voice.xml
    account_sid: AC0123456789abcdef0123456789abcdef
    auth_token: tok-0123456789abcdef
`)
	var out, errOut strings.Builder
	if code := runCheck([]string{"-config", cfg}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "config.yaml:2: twilio_api.tls: open ") {
		t.Fatalf("check = %d, stdout %q, stderr %q; want 1 and the missing file with its line", code, out.String(), errOut.String())
	}
	// The files being there (writeCert's api.crt and api.key), the check
	// passes.
	dir := filepath.Dir(cfg)
	writeCert(t, dir)
	text, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte(strings.ReplaceAll(string(text), "missing.", "api.")), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errOut.Reset()
	if code := runCheck([]string{"-config", cfg}, &out, &errOut); code != 0 {
		t.Fatalf("check with the files = %d, stderr %q", code, errOut.String())
	}
}
