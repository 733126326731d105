package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/callhook/callhook/internal/config"
	"github.com/callhook/callhook/outbound"
)

// varFlags collects repeated -var NAME=VALUE flags.
type varFlags map[string]string

func (v varFlags) String() string { return "" }

func (v varFlags) Set(s string) error {
	name, value, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return fmt.Errorf("want NAME=VALUE, got %q", s)
	}
	v[name] = value
	return nil
}

// runOriginate is `callhook originate`: POST /calls to a running daemon's
// admin API, which places the call on one of its boxes. The admin address
// and token come from the flags, else from the config (admin,
// admin_token, with ${VAR} expanded), else $CALLHOOK_ADMIN_TOKEN.
func runOriginate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("originate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "config.yaml", "config file (for the admin address and token)")
	adminURL := fs.String("admin", "", "the daemon's admin API (default: http:// + the config's admin)")
	token := fs.String("token", "", "the admin token (default: the config's admin_token, else $CALLHOOK_ADMIN_TOKEN)")
	to := fs.String("to", "", "where to call: a dial target such as user/1000 (required)")
	app := fs.String("app", "", "the app that runs the answered call (required)")
	from := fs.String("from", "", "caller id number")
	fromName := fs.String("from-name", "", "caller id name")
	timeout := fs.Int("timeout", 0, "ring time in seconds (default 60)")
	statusURL := fs.String("status-url", "", "where the status events go")
	vars := varFlags{}
	fs.Var(vars, "var", "a channel variable NAME=VALUE (repeatable)")
	rest, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if len(rest) > 0 || *to == "" || *app == "" {
		fmt.Fprintln(stderr, "usage: callhook originate -to TARGET -app NAME [-from N] [-from-name NAME] [-var NAME=VALUE] [-timeout S] [-status-url URL] [-admin URL] [-token T] [-config FILE]")
		return 2
	}
	base, tok := *adminURL, *token
	if base == "" || tok == "" {
		if cfg, err := config.Load(*configPath, os.LookupEnv); err == nil {
			if base == "" && cfg.Admin != "" {
				base = "http://" + cfg.Admin
			}
			if tok == "" {
				tok = cfg.AdminToken
			}
		} else if base == "" {
			fmt.Fprintf(stderr, "callhook originate: %v (or give -admin)\n", err)
			return 1
		}
	}
	if tok == "" {
		tok = os.Getenv("CALLHOOK_ADMIN_TOKEN")
	}
	if base == "" {
		fmt.Fprintln(stderr, "callhook originate: the config has no admin API; give -admin URL")
		return 1
	}
	req := outbound.Request{To: *to, App: *app, From: *from, FromName: *fromName, Timeout: *timeout, StatusURL: *statusURL}
	if len(vars) > 0 {
		req.Vars = vars
	}
	body, _ := json.Marshal(req)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(base, "/")+"/calls", bytes.NewReader(body))
	if err != nil {
		fmt.Fprintf(stderr, "callhook originate: %v\n", err)
		return 1
	}
	hr.Header.Set("Content-Type", "application/json")
	if tok != "" {
		hr.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		fmt.Fprintf(stderr, "callhook originate: %v\n", err)
		return 1
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusCreated {
		var e struct{ Error string }
		if json.Unmarshal(out, &e) == nil && e.Error != "" {
			fmt.Fprintf(stderr, "callhook originate: %s: %s\n", resp.Status, e.Error)
		} else {
			fmt.Fprintf(stderr, "callhook originate: %s\n", resp.Status)
		}
		return 1
	}
	var p outbound.Placed
	if err := json.Unmarshal(out, &p); err != nil {
		fmt.Fprintf(stderr, "callhook originate: reply %q: %v\n", out, err)
		return 1
	}
	fmt.Fprintf(stdout, "placed call %s on box %s\n", p.ID, p.Box)
	return 0
}
