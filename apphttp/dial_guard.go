package apphttp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
)

// ErrGuardedAddress is the error (under errors.Is) of a connection that a
// DialGuard refused: a request an app made callhook send was headed for
// one of callhook's own listeners, the admin API.
var ErrGuardedAddress = errors.New("refused by callhook: no app's request may reach this address")

// CallIDHeader names the call a request is made for. Every request callhook
// makes on behalf of an app carries it (webhook requests and their
// fallback, status and action requests, flow fetches, Liverpie requests),
// and net/http copies it onto every hop of a redirect chain, as it copies
// every header but credentials. The admin API refuses any request that
// carries it: whatever path such a request took (an HTTP proxy, a NAT, an
// address the DialGuard did not know), it is an app's, not an operator's.
const CallIDHeader = "X-Callhook-Call-Id"

// DialGuard refuses, at connect time, the connections callhook must never
// make for an app: to its own admin API. It decides on the address the
// socket is about to connect to, after name resolution, so no spelling of
// a URL gets past it (localhost, 127.0.0.2, [::1], [::ffff:127.0.0.1],
// 0.0.0.0, a name that resolves to a local address, a DNS answer that
// changed since the URL was checked), and it sees every hop of a redirect
// chain, since each new host is a new connection. A connection to an
// allowed address that the pool keeps alive stays to that address.
//
// Use Control as the net.Dialer's Control of every HTTP client that makes
// requests for apps (NewClient does). The zero value and a nil
// *DialGuard refuse nothing. It is safe for concurrent use; Refuse is in
// effect for every dial that starts after it returns.
type DialGuard struct {
	mu      sync.Mutex // serializes Refuse
	guarded atomic.Pointer[[]guardedListener]
	// localAddrs lists the host's own addresses (nil: net.InterfaceAddrs);
	// tests set it.
	localAddrs func() ([]net.Addr, error)
	// resolver resolves names for the dialer NewClient makes with this
	// guard (nil: the system's); tests set it to a DNS server of their own.
	resolver *net.Resolver
}

// dialResolver is the resolver of dialers guarded by g.
func (g *DialGuard) dialResolver() *net.Resolver {
	if g == nil {
		return nil
	}
	return g.resolver
}

// guardedListener is one listener the guard keeps apps off.
type guardedListener struct {
	addr netip.AddrPort // Unmapped, without a zone
	what string
}

// Refuse adds a listener's bound address: connections to it are refused
// from now on, and when its IP is unspecified (0.0.0.0 or [::], a listener
// on every address of both families as far as the guard is concerned),
// connections to its port at any local address: loopback (all of
// 127.0.0.0/8 and ::1), 0.0.0.0 and [::] (which the kernel connects to the
// host itself) and every address of the host's interfaces. what names the
// listener in errors ("callhook's admin API").
func (g *DialGuard) Refuse(addr netip.AddrPort, what string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var list []guardedListener
	if old := g.guarded.Load(); old != nil {
		list = slices.Clone(*old)
	}
	addr = netip.AddrPortFrom(addr.Addr().Unmap().WithZone(""), addr.Port())
	list = append(list, guardedListener{addr: addr, what: what})
	g.guarded.Store(&list)
}

// Control is a net.Dialer Control function: it refuses a TCP connection to
// a guarded listener with an error that wraps ErrGuardedAddress. address
// is what the socket will connect to, already resolved.
func (g *DialGuard) Control(network, address string, _ syscall.RawConn) error {
	return g.Check(network, address)
}

// Check is Control without the socket: nil when a connection on network
// to address (ip:port, as a net.Dialer resolved it) may be made.
func (g *DialGuard) Check(network, address string) error {
	if g == nil {
		return nil
	}
	list := g.guarded.Load()
	if list == nil || len(*list) == 0 {
		return nil
	}
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil // apps' requests are HTTP, over TCP
	}
	ip, port, err := guardParse(address)
	if err != nil {
		// A dialer always passes ip:port; anything else is not trusted.
		return fmt.Errorf("%w: unexpected address %q", ErrGuardedAddress, address)
	}
	for _, l := range *list {
		if l.addr.Port() != port {
			continue
		}
		hit := ip == l.addr.Addr() || ip.IsUnspecified()
		if !hit && l.addr.Addr().IsUnspecified() {
			hit = g.isLocal(ip)
		}
		if hit {
			return &guardError{addr: address, listener: l}
		}
	}
	return nil
}

// guardParse splits a dialer's ip:port. An empty host (":9090") is the
// unspecified address: the dialer connects to the host itself.
func guardParse(address string) (netip.Addr, uint16, error) {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return netip.Addr{}, 0, err
	}
	if host == "" {
		address = "0.0.0.0" + address
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return netip.Addr{}, 0, err
	}
	return ap.Addr().Unmap().WithZone(""), ap.Port(), nil
}

// isLocal reports whether ip is one of the host's own addresses. It asks
// the kernel on each call (only dials to a guarded port get here), so an
// address added since start-up counts. When the interfaces cannot be read
// it answers true: the guard fails closed.
func (g *DialGuard) isLocal(ip netip.Addr) bool {
	if ip.IsLoopback() || ip.IsUnspecified() {
		return true
	}
	list := net.InterfaceAddrs
	if g.localAddrs != nil {
		list = g.localAddrs
	}
	addrs, err := list()
	if err != nil {
		return true
	}
	for _, a := range addrs {
		var local net.IP
		switch a := a.(type) {
		case *net.IPNet:
			local = a.IP
		case *net.IPAddr:
			local = a.IP
		}
		if l, ok := netip.AddrFromSlice(local); ok && l.Unmap() == ip {
			return true
		}
	}
	return false
}

// guardError is the error of a refused connection; it names the listener.
type guardError struct {
	addr     string
	listener guardedListener
}

func (e *guardError) Error() string {
	every := ""
	if e.listener.addr.Addr().IsUnspecified() {
		every = fmt.Sprintf(" (every local address on port %d is)", e.listener.addr.Port())
	}
	return fmt.Sprintf("refused by callhook: %s is %s%s, which no app's request may reach", e.addr, e.listener.what, every)
}

func (e *guardError) Is(target error) bool { return target == ErrGuardedAddress }
