package config

import (
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLoadLiverpieConfig(t *testing.T) {
	tests := []struct {
		file string
		want []App // OnFailure checked apart
	}{
		{"liverpie.yml", []App{
			{Name: "my_webapp", Line: 11, Kind: KindLiverpie, Liverpie: &LiverpieApp{
				IP: "192.168.0.19", Port: 3002, StateMachineURI: "/ivr/state_machine", ResetURI: "/ivr/reset",
				DTMFURI: "/ivr/dtmf", AllowCommands: []string{"sendmsg"}, Timeout: 10 * time.Second,
			}},
			{Name: "conference", Line: 21, Kind: KindLiverpie, Liverpie: &LiverpieApp{
				IP: "192.168.0.19", Port: 3003, StateMachineURI: "/ivr/state_machine", ResetURI: "/ivr/reset",
				DTMFURI: "/ivr/dtmf", HangupURI: "/ivr/hangup", AllowCommands: []string{"sendmsg", "api"},
				AllowCallCommands: []string{"xferext"}, Timeout: 3 * time.Second,
			}, AllowExecute: []string{"conference"}, AllowVars: []string{"conference_member_flags"}},
		}},
		{"liverpie-flat.yml", []App{
			{Name: "default", Line: 1, Kind: KindLiverpie, Liverpie: &LiverpieApp{
				IP: "192.168.0.19", Port: 3002, StateMachineURI: "/ivr/state_machine", ResetURI: "/ivr/reset",
				DTMFURI: "/ivr/dtmf", AllowCommands: []string{"sendmsg"}, Timeout: 10 * time.Second, Flat: true,
			}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			apps, err := LoadLiverpie(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatalf("LoadLiverpie(%q): %v", tc.file, err)
			}
			if len(apps) != len(tc.want) {
				t.Fatalf("LoadLiverpie(%q) = %d apps, want %d", tc.file, len(apps), len(tc.want))
			}
			for i, a := range apps {
				if got := verbNames(a.OnFailure); !slices.Equal(got, []string{"hangup"}) {
					t.Errorf("%s.OnFailure = %v, want the default [hangup]", a.Name, got)
				}
				got := *a
				got.OnFailure = nil
				if !reflect.DeepEqual(got, tc.want[i]) {
					t.Errorf("app %d = %+v (liverpie %+v),\nwant %+v (liverpie %+v)", i, got, *got.Liverpie, tc.want[i], *tc.want[i].Liverpie)
				}
			}
		})
	}
}

func TestLiverpieConfigErrors(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
	}{
		{"empty", "", []string{"liverpie.yml:1: no web app: a Liverpie config has webapps (Liverpie 0.5) or configuration.webapp_ip and webapp_uri (0.4)"}},
		{"not yaml", "webapps: [", []string{"liverpie.yml:1:10: did not find expected node content"}},
		{"unknown top key", "webapp: {}\n", []string{
			"liverpie.yml:1: webapp: unknown key",
			"liverpie.yml:1: no web app"}},
		{"webapps empty", "webapps: {}\n", []string{"liverpie.yml:1: webapps: empty: no call could be driven without a web app"}},
		{"webapp missing keys", "webapps:\n  a:\n    ip: 10.0.0.1\n", []string{
			"liverpie.yml:3: webapps.a.port: required",
			"liverpie.yml:3: webapps.a.state_machine_uri: required",
			"liverpie.yml:3: webapps.a.reset_uri: required"}},
		{"webapp bad values", "webapps:\n  a:\n    ip: not a host\n    port: 70000\n    state_machine_uri: ivr/sm\n" +
			"    reset_uri: /r\n    dtmf_uri: ''\n    typo: 1\n", []string{
			`liverpie.yml:3: webapps.a.ip: invalid IP or host name "not a host"`,
			"liverpie.yml:4: webapps.a.port: must be 1..65535, got 70000",
			`liverpie.yml:5: webapps.a.state_machine_uri: must be a path starting with /, got "ivr/sm"`,
			"liverpie.yml:8: webapps.a.typo: unknown key"}},
		{"bad app name", "webapps:\n  -x: {ip: h, port: 1, state_machine_uri: /s, reset_uri: /r}\n", []string{
			"liverpie.yml:2: webapps.-x: invalid app name"}},
		{"flat missing keys", "configuration:\n  bind_port: 8084\n  webapp_ip: 10.0.0.1\n", []string{
			"liverpie.yml:1: configuration.webapp_port: required",
			"liverpie.yml:1: configuration.webapp_uri: required",
			"liverpie.yml:1: configuration.webapp_reset_uri: required"}},
		{"flat bad values", "configuration:\n  bind_ip: 'a b'\n  bind_port: x\n  webapp_ip: 10.0.0.1\n  webapp_port: 0\n" +
			"  webapp_uri: /sm\n  webapp_reset_uri: reset\n  webapp_dtmf_uri: /d t\n  webapp_hangup_uri: /h\n", []string{
			`liverpie.yml:2: configuration.bind_ip: invalid IP or host name "a b"`,
			`liverpie.yml:3: configuration.bind_port: invalid integer "x"`,
			"liverpie.yml:5: configuration.webapp_port: must be 1..65535, got 0",
			`liverpie.yml:7: configuration.webapp_reset_uri: must be a path starting with /, got "reset"`,
			`liverpie.yml:8: configuration.webapp_dtmf_uri: must be a path starting with /, got "/d t"`,
			"liverpie.yml:9: configuration.webapp_hangup_uri: unknown key"}},
		{"two documents", "webapps: {}\n---\nwebapps: {}\n", []string{"liverpie.yml:2: a config file holds one YAML document"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			apps, err := ParseLiverpie("liverpie.yml", []byte(tc.text))
			if err == nil {
				t.Fatalf("ParseLiverpie(%q) = %d apps, nil; want errors %q", tc.text, len(apps), tc.want)
			}
			got := strings.Split(err.Error(), "\n")
			if len(got) != len(tc.want) {
				t.Fatalf("ParseLiverpie(%q) errors =\n%s\nwant %d:\n%s", tc.text, err, len(tc.want), strings.Join(tc.want, "\n"))
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tc.want[i]) {
					t.Errorf("error %d = %q, want it to start with %q", i, got[i], tc.want[i])
				}
			}
		})
	}
}

// TestLiverpieConfigWebappsWin: with webapps, the flat keys are ignored, as
// in Liverpie 0.5.
func TestLiverpieConfigWebappsWin(t *testing.T) {
	apps, err := ParseLiverpie("liverpie.yml", []byte("configuration:\n  webapp_ip: 10.0.0.9\n  webapp_uri: /old\n"+
		"webapps:\n  new: {ip: 10.0.0.1, port: 80, state_machine_uri: /sm, reset_uri: /r}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(apps) != 1 || apps[0].Name != "new" || apps[0].Liverpie.StateMachineURI != "/sm" {
		t.Errorf("apps = %+v, want the webapps entry only", apps)
	}
}

// TestExampleLiverpieConfig keeps the example app's liverpie.yml loadable.
func TestExampleLiverpieConfig(t *testing.T) {
	apps, err := LoadLiverpie(filepath.Join("..", "..", "examples", "liverpie-app", "liverpie.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(apps) != 1 || apps[0].Name != "liverpie_app" || apps[0].Liverpie.HangupURI != "/ivr/hangup" {
		t.Errorf("apps = %+v, want liverpie_app with a hangup_uri", apps)
	}
}
