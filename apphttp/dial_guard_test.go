package apphttp

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
)

// fakeLocal is a host with one Ethernet interface.
func fakeLocal() ([]net.Addr, error) {
	return []net.Addr{
		&net.IPNet{IP: net.ParseIP("127.0.0.1"), Mask: net.CIDRMask(8, 32)},
		&net.IPNet{IP: net.ParseIP("192.0.2.2").To4(), Mask: net.CIDRMask(24, 32)},
		&net.IPNet{IP: net.ParseIP("::1"), Mask: net.CIDRMask(128, 128)},
		&net.IPNet{IP: net.ParseIP("fd00::2"), Mask: net.CIDRMask(64, 128)},
		&net.IPNet{IP: net.ParseIP("fe80::fc:ff:fe00:1"), Mask: net.CIDRMask(64, 128)},
	}, nil
}

func TestDialGuardCheck(t *testing.T) {
	tests := []struct {
		admin   string
		network string
		address string
		refused bool
	}{
		// Admin on 127.0.0.1: that address, and the unspecified ones the
		// kernel connects to the host itself.
		{"127.0.0.1:9090", "tcp4", "127.0.0.1:9090", true},
		{"127.0.0.1:9090", "tcp6", "[::ffff:127.0.0.1]:9090", true},
		{"127.0.0.1:9090", "tcp4", "0.0.0.0:9090", true},
		{"127.0.0.1:9090", "tcp6", "[::]:9090", true},
		{"127.0.0.1:9090", "tcp4", ":9090", true},
		{"127.0.0.1:9090", "tcp", "127.0.0.1:9091", false},
		{"127.0.0.1:9090", "tcp4", "192.0.2.2:9090", false},
		// A socket bound to 127.0.0.1 takes no connection to 127.0.0.2
		// or ::1: those are other listeners.
		{"127.0.0.1:9090", "tcp4", "127.0.0.2:9090", false},
		{"127.0.0.1:9090", "tcp6", "[::1]:9090", false},
		{"127.0.0.1:9090", "udp", "127.0.0.1:9090", false},
		{"127.0.0.1:9090", "tcp", "not an address", true},
		// Admin on [::1].
		{"[::1]:9090", "tcp6", "[::1]:9090", true},
		{"[::1]:9090", "tcp4", "127.0.0.1:9090", false},
		// Admin on every address: every local address on its port.
		{"[::]:9090", "tcp4", "127.0.0.1:9090", true},
		{"[::]:9090", "tcp4", "127.0.0.2:9090", true},
		{"[::]:9090", "tcp4", "127.255.255.254:9090", true},
		{"[::]:9090", "tcp6", "[::1]:9090", true},
		{"[::]:9090", "tcp4", "0.0.0.0:9090", true},
		{"[::]:9090", "tcp4", "192.0.2.2:9090", true},
		{"[::]:9090", "tcp6", "[::ffff:192.0.2.2]:9090", true},
		{"[::]:9090", "tcp6", "[fd00::2]:9090", true},
		{"[::]:9090", "tcp6", "[fe80::fc:ff:fe00:1%eth0]:9090", true},
		{"[::]:9090", "tcp4", "192.0.2.3:9090", false},
		{"[::]:9090", "tcp6", "[2001:db8::1]:9090", false},
		{"[::]:9090", "tcp4", "192.0.2.2:80", false},
		{"0.0.0.0:9090", "tcp6", "[::1]:9090", true},
		{"0.0.0.0:9090", "tcp4", "192.0.2.2:9090", true},
	}
	for _, tc := range tests {
		g := &DialGuard{localAddrs: fakeLocal}
		g.Refuse(netip.MustParseAddrPort(tc.admin), "callhook's admin API")
		err := g.Check(tc.network, tc.address)
		if got := errors.Is(err, ErrGuardedAddress); got != tc.refused {
			t.Errorf("admin %s: Check(%s, %q) = %v, want refused %v", tc.admin, tc.network, tc.address, err, tc.refused)
		}
	}
}

// TestDialGuardThisHost: with the admin on every address, each address of
// this host's interfaces is refused on the admin's port (checked, not
// dialed: tests connect to loopback only).
func TestDialGuardThisHost(t *testing.T) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Skipf("interface addresses: %v", err)
	}
	g := &DialGuard{}
	g.Refuse(netip.MustParseAddrPort("0.0.0.0:9090"), "callhook's admin API")
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		ip, _ := netip.AddrFromSlice(n.IP)
		ip = ip.Unmap()
		for port, want := range map[string]bool{"9090": true, "9091": false} {
			err := g.Check("tcp", net.JoinHostPort(ip.String(), port))
			if errors.Is(err, ErrGuardedAddress) != want {
				t.Errorf("local address %s port %s: Check = %v, want refused %v", ip, port, err, want)
			}
		}
	}
}

// TestDialGuardFailsClosed: when the host's addresses cannot be read, any
// address on the port of an admin bound to every address is refused.
func TestDialGuardFailsClosed(t *testing.T) {
	g := &DialGuard{localAddrs: func() ([]net.Addr, error) { return nil, errors.New("no netlink") }}
	g.Refuse(netip.MustParseAddrPort("[::]:9090"), "callhook's admin API")
	if err := g.Check("tcp4", "198.51.100.7:9090"); !errors.Is(err, ErrGuardedAddress) {
		t.Errorf("Check = %v, want refused", err)
	}
	if err := g.Check("tcp4", "198.51.100.7:9091"); err != nil {
		t.Errorf("Check of another port = %v, want nil", err)
	}
}

func TestDialGuardZero(t *testing.T) {
	var nilGuard *DialGuard
	for _, g := range []*DialGuard{nilGuard, {}} {
		if err := g.Check("tcp", "127.0.0.1:9090"); err != nil {
			t.Errorf("%#v.Check = %v, want nil: it guards nothing", g, err)
		}
	}
}

// countingListener counts the connections it accepts.
type countingListener struct {
	net.Listener
	n atomic.Int32
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// TestHTTPClientGuard: the shared client never connects to a guarded
// listener, whether the URL names it or a redirect leads there, and the
// refusal is no error a retry could fix.
func TestHTTPClientGuard(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	admin := &countingListener{Listener: ln}
	srv := &httptest.Server{Listener: admin, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			t.Errorf("the admin got %s %s", r.Method, r.URL)
		}
	})}}
	srv.Start()
	t.Cleanup(srv.Close)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, srv.URL+"/drain", http.StatusTemporaryRedirect)
	}))
	t.Cleanup(app.Close)

	guard := &DialGuard{}
	guard.Refuse(netip.MustParseAddrPort(ln.Addr().String()), "callhook's admin API")
	c := NewClient(guard)
	t.Cleanup(c.CloseIdleConnections)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	for _, u := range []string{
		srv.URL + "/drain",
		"http://localhost:" + port + "/drain",
		"http://0.0.0.0:" + port + "/drain",
		"http://[::ffff:127.0.0.1]:" + port + "/drain",
		app.URL + "/ivr",
	} {
		resp, err := c.Post(u, "application/json", strings.NewReader("{}"))
		if err == nil {
			resp.Body.Close()
		}
		if !errors.Is(err, ErrGuardedAddress) || !strings.Contains(err.Error(), "callhook's admin API") {
			t.Errorf("POST %s = %v, want refused naming callhook's admin API", u, err)
			continue
		}
		if err != nil && Retryable(t.Context(), nil, err) {
			t.Errorf("POST %s: the retry policy retries the refusal", u)
		}
	}
	if n := admin.n.Load(); n != 0 {
		t.Errorf("the admin listener accepted %d connections, want none", n)
	}
	// The same client reaches the same listener when nothing guards it:
	// the refusals above are the guard's.
	free := NewClient(nil)
	t.Cleanup(free.CloseIdleConnections)
	resp, err := free.Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatalf("unguarded GET = %v", err)
	}
	resp.Body.Close()
	if n := admin.n.Load(); n != 1 {
		t.Errorf("the admin listener accepted %d connections, want 1", n)
	}
}

// fakeDNS serves DNS on a loopback UDP port: A queries are answered with
// answer(name) (no address when nil), AAAA queries with none. It returns
// a resolver that asks it and nothing else.
func fakeDNS(t *testing.T, answer func(name string) net.IP) *net.Resolver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return // closed
			}
			if reply := dnsReply(buf[:n], answer); reply != nil {
				pc.WriteTo(reply, from)
			}
		}
	}()
	t.Cleanup(func() { pc.Close(); <-done })
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", pc.LocalAddr().String())
	}}
}

// dnsReply answers one DNS query (RFC 1035 §4.1): its question, and an A
// record when the question is an A query for a name answer knows.
func dnsReply(q []byte, answer func(string) net.IP) []byte {
	if len(q) < 12 {
		return nil
	}
	i := 12
	var labels []string
	for {
		if i >= len(q) {
			return nil
		}
		l := int(q[i])
		i++
		if l == 0 {
			break
		}
		if l&0xC0 != 0 || i+l > len(q) {
			return nil
		}
		labels = append(labels, string(q[i:i+l]))
		i += l
	}
	if i+4 > len(q) {
		return nil
	}
	question := q[12 : i+4]
	var ip net.IP
	if binary.BigEndian.Uint16(q[i:]) == 1 { // A
		ip = answer(strings.ToLower(strings.Join(labels, "."))).To4()
	}
	r := make([]byte, 12, 12+len(question)+16)
	copy(r, q[:2])                                              // ID
	binary.BigEndian.PutUint16(r[2:], 0x8480|uint16(q[2]&1)<<8) // QR, AA, RD as asked, RA
	binary.BigEndian.PutUint16(r[4:], 1)                        // QDCOUNT
	if ip != nil {
		binary.BigEndian.PutUint16(r[6:], 1) // ANCOUNT
	}
	r = append(r, question...)
	if ip != nil {
		r = append(r, 0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4) // the question's name, A, IN, TTL 0, 4 bytes
		r = append(r, ip...)
	}
	return r
}

// TestHTTPClientGuardNames: the guard decides on the address a name
// resolves to when the connection is made: a name that resolves to the
// admin is refused, and so is a name that resolved to an app before and
// resolves to the admin now (DNS rebinding), while the app's own address
// on the same port stays reachable.
func TestHTTPClientGuardNames(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	admin := &countingListener{Listener: ln}
	adminSrv := &httptest.Server{Listener: admin, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the admin got %s %s", r.Method, r.URL)
	})}}
	adminSrv.Start()
	t.Cleanup(adminSrv.Close)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	appLn, err := net.Listen("tcp", "127.0.0.2:"+port)
	if err != nil {
		t.Skipf("an app on the admin's port at 127.0.0.2: %v", err)
	}
	app := &httptest.Server{Listener: appLn, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "[answer]")
	})}}
	app.Start()
	t.Cleanup(app.Close)

	var rebound atomic.Bool
	guard := &DialGuard{resolver: fakeDNS(t, func(name string) net.IP {
		switch {
		case name == "admin.test", name == "rebind.test" && rebound.Load():
			return net.IPv4(127, 0, 0, 1)
		case name == "rebind.test":
			return net.IPv4(127, 0, 0, 2)
		}
		return nil
	})}
	guard.Refuse(netip.MustParseAddrPort(ln.Addr().String()), "callhook's admin API")
	c := NewClient(guard)
	t.Cleanup(c.CloseIdleConnections)
	post := func(u string) error {
		resp, err := c.Post(u, "application/json", strings.NewReader("{}"))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("status %s", resp.Status)
			}
		}
		return err
	}

	if err := post("http://admin.test:" + port + "/drain"); !errors.Is(err, ErrGuardedAddress) {
		t.Errorf("POST to a name of the admin = %v, want refused", err)
	}
	if err := post("http://rebind.test:" + port + "/ivr"); err != nil {
		t.Fatalf("POST to the app's name, resolving to the app = %v, want 200", err)
	}
	c.CloseIdleConnections() // else the next request reuses the app's connection
	rebound.Store(true)
	if err := post("http://rebind.test:" + port + "/drain"); !errors.Is(err, ErrGuardedAddress) {
		t.Errorf("POST to the app's name, now resolving to the admin = %v, want refused", err)
	}
	if n := admin.n.Load(); n != 0 {
		t.Errorf("the admin listener accepted %d connections, want none", n)
	}
}
