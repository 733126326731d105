package config

import (
	"slices"
	"testing"
)

func TestRestartOnly(t *testing.T) {
	const base = "listen: 127.0.0.1:8084\nacl: [127.0.0.0/8, '::1']\nadmin: 127.0.0.1:9090\n"
	old := mustParse(t, base+minimalApps, nil)
	tests := []struct {
		name string
		data string
		want []string
	}{
		{"same", base + minimalApps, nil},
		{"apps, limits and log", base + "limits: {max_calls: 5}\nlog: {level: debug}\napps:\n  b: {flow: b.yaml}\n", nil},
		{"acl reordered", "listen: 127.0.0.1:8084\nacl: ['::1/128', 127.0.0.1/8]\nadmin: 127.0.0.1:9090\n" + minimalApps, nil},
		{"listen", "listen: 127.0.0.1:8085\nacl: [127.0.0.0/8, '::1']\nadmin: 127.0.0.1:9090\n" + minimalApps, []string{"listen"}},
		{"acl", "listen: 127.0.0.1:8084\nacl: [127.0.0.0/8]\nadmin: 127.0.0.1:9090\n" + minimalApps, []string{"acl"}},
		{"admin disabled", "listen: 127.0.0.1:8084\nacl: [127.0.0.0/8, '::1']\nadmin: ''\n" + minimalApps, []string{"admin"}},
		{"all three", "listen: '[::1]:8084'\nacl: [10.0.0.0/8]\nadmin: 127.0.0.1:9091\n" + minimalApps, []string{"listen", "acl", "admin"}},
		// Before RestartOnly, serve compared these four by hand, apart.
		{"the daemon's own settings", base + "admin_token: t\nlinger: 5s\ndrain_timeout: 1m\nlog: {format: json}\n" + minimalApps,
			[]string{"admin_token", "linger", "drain_timeout", "log.format"}},
		{"event_socket", base + "event_socket: {reply_timeout: 2s}\n" + minimalApps, []string{"event_socket"}},
		{"boxes", base + "boxes: [{name: fs1, addr: 127.0.0.1:8021, password: p, connect_back: 127.0.0.1:8084}]\n" + minimalApps, []string{"boxes"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := mustParse(t, tc.data, nil)
			if got := RestartOnly(old, c); !slices.Equal(got, tc.want) {
				t.Errorf("RestartOnly() = %v, want %v", got, tc.want)
			}
		})
	}
}
