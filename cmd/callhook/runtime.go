package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"

	"github.com/callhook/callhook/apphttp"
	"github.com/callhook/callhook/internal/config"
	"github.com/callhook/callhook/liverpie"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/statemachine"
	"github.com/callhook/callhook/twilioapi"
	"github.com/callhook/callhook/twiml"
	"github.com/callhook/callhook/verb"
	"github.com/callhook/callhook/webhook"
)

// deps are what every runtime built by one process shares: one HTTP
// connection pool for all webhook apps, flows' fetches and Liverpie apps,
// and the guard every connection of that pool passes, which keeps apps'
// requests off the admin API (the daemon tells it the admin's address
// once it is bound, before the first call).
type deps struct {
	guard *apphttp.DialGuard
	// client retries nothing itself: webhook requests and fetches retry
	// with an apphttp.Retry, counted; a Liverpie request never does (a
	// state machine moves on with every request, so a retried POST would
	// skip a state).
	client *http.Client
	// twilio is Twilio's Calls API, which the twiml apps ask how the
	// calls it placed begin (idle without twilio_api).
	twilio *twilioAPI
}

func newDeps() *deps {
	guard := &apphttp.DialGuard{}
	return &deps{guard: guard, client: apphttp.NewClient(guard), twilio: &twilioAPI{api: &twilioapi.Server{}}}
}

// buildRuntime turns a loaded config into the apps, routes and limits of
// proxy.Runtime, parsing and validating every flow the config names. Every
// problem is reported (errors.Join), each flow error with its file:line.
func buildRuntime(cfg *config.Config, d *deps) (*proxy.Runtime, error) {
	rt := &proxy.Runtime{
		Apps:       make(map[string]*proxy.App, len(cfg.Apps)),
		DefaultApp: cfg.DefaultApp,
		MaxCalls:   cfg.Limits.MaxCalls,
		// Built with each runtime, so live redirects get the reloaded
		// limits.
		RedirectBackend: redirectBackend(cfg, d),
	}
	for _, r := range cfg.Routes {
		rt.Routes = append(rt.Routes, proxy.Route{Destination: r.Destination, App: r.App})
	}
	var errs []error
	for _, a := range cfg.Apps {
		backend, err := buildBackend(cfg, a, d)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		// The session runs on_failure for every kind of app (a webhook
		// app's dialog fails only after its fallback did).
		rt.Apps[a.Name] = &proxy.App{Name: a.Name, Backend: backend, MaxCalls: a.MaxCalls, OnFailure: a.OnFailure}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return rt, nil
}

func buildBackend(cfg *config.Config, a *config.App, d *deps) (proxy.Backend, error) {
	switch a.Kind {
	case config.KindWebhook:
		return &webhook.App{
			Name:           a.Name,
			URL:            a.URL,
			Form:           a.Format == "form",
			FallbackURL:    a.FallbackURL,
			Timeout:        a.Timeout,
			Retries:        a.Retries,
			Secret:         a.Secret,
			StatusURL:      a.StatusURL,
			StatusEvents:   a.StatusEvents,
			Vars:           a.Vars,
			AllowExecute:   a.AllowExecute,
			AllowVars:      a.AllowVars,
			AllowEndpoints: a.AllowEndpoints,
			AllowDialplans: a.AllowDialplans,
			Files:          a.Files(),
			MaxReplyBytes:  cfg.Limits.MaxReplyBytes,
			MaxVerbs:       cfg.Limits.MaxVerbs,
			MaxRedirects:   redirectLimit(cfg),
			Client:         d.client,
		}, nil
	case config.KindFlow:
		flow, err := statemachine.ParseFileWith(a.Flow, statemachine.Options{Files: a.Files()})
		if err != nil && statemachine.Errors(err) == nil {
			// The file could not be read (missing, not a regular file,
			// too big): point at the config entry that names it. A
			// flow's own problems carry the flow's file:line.
			hint := ""
			if errors.Is(err, fs.ErrNotExist) {
				// A config copied elsewhere breaks exactly this way.
				hint = fmt.Sprintf(" (a relative flow path is relative to the folder of %s)", cfg.File)
			}
			return nil, fmt.Errorf("%s:%d: apps.%s.flow: %w%s", cfg.File, a.FlowLine, a.Name, err, hint)
		}
		if err != nil {
			return nil, err
		}
		for _, to := range flow.Handoffs() {
			switch target := cfg.AppByName(to); {
			case target == nil:
				return nil, fmt.Errorf("%s:%d: apps.%s: flow %s hands calls to app %q, which the config does not define",
					cfg.File, a.Line, a.Name, a.Flow, to)
			case target.Kind == config.KindLiverpie:
				// The session refuses it at run time (proxy's handoff: a
				// raw dialog cannot take a call mid-way); say so at load.
				return nil, fmt.Errorf("%s:%d: apps.%s: flow %s hands calls to app %q, a Liverpie app, which cannot take a call mid-way (hand it to a webhook app or a flow)",
					cfg.File, a.Line, a.Name, a.Flow, to)
			}
		}
		return &statemachine.Backend{Flow: flow, HTTPClient: d.client, Secret: a.Secret}, nil
	case config.KindLiverpie:
		return liverpieBackend(cfg, a, d.client), nil
	case config.KindTwiML:
		b := twimlBackend(cfg, a, d.client)
		b.Placed = d.twilio.api.Placed
		return b, nil
	}
	return nil, fmt.Errorf("%s:%d: apps.%s: unknown kind %q", cfg.File, a.Line, a.Name, a.Kind)
}

// redirectBackend is the backend a live redirect switches a flow call to: a
// webhook app for that one URL with the config's limits.
func redirectBackend(cfg *config.Config, d *deps) func(url string) proxy.Backend {
	return func(url string) proxy.Backend {
		return &webhook.App{
			Name:          "redirect",
			URL:           url,
			Files:         redirectFiles(cfg),
			MaxReplyBytes: cfg.Limits.MaxReplyBytes,
			MaxVerbs:      cfg.Limits.MaxVerbs,
			MaxRedirects:  redirectLimit(cfg),
			Client:        d.client,
		}
	}
}

// redirectFiles are the file rules of a live redirect's web app: the
// config's media folders, and a recordings folder named redirect.
func redirectFiles(cfg *config.Config) *verb.FileRules {
	dir := cfg.RecordingsDir
	if dir == "" {
		dir = verb.DefaultRecordingsDir
	}
	return &verb.FileRules{RecordingsDir: dir + "/redirect", MediaDirs: cfg.MediaDirs}
}

// redirectLimit maps limits.max_redirects onto webhook.App.MaxRedirects,
// whose zero means "the default": the config's 0 forbids redirects.
func redirectLimit(cfg *config.Config) int {
	if cfg.Limits.MaxRedirects == 0 {
		return -1
	}
	return cfg.Limits.MaxRedirects
}

// liverpieBackend maps a Liverpie app of the config (from config.yaml or
// liverpie.yml) onto its backend. client must not retry: a state machine
// moves on with each request, so a replayed POST would skip a state
// (apphttp.NewClient's pool retries nothing by itself).
func liverpieBackend(cfg *config.Config, a *config.App, client *http.Client) *liverpie.App {
	l := a.Liverpie
	return &liverpie.App{
		Name: a.Name, IP: l.IP, Port: l.Port,
		StateMachineURI: l.StateMachineURI, ResetURI: l.ResetURI, DTMFURI: l.DTMFURI, HangupURI: l.HangupURI,
		AllowCommands: l.AllowCommands, AllowCallCommands: l.AllowCallCommands, Timeout: l.Timeout,
		AllowExecute: a.AllowExecute, AllowVars: a.AllowVars, AllowEndpoints: a.AllowEndpoints, AllowDialplans: a.AllowDialplans,
		Files:         a.Files(),
		MaxReplyBytes: int(min(cfg.Limits.MaxReplyBytes, 1<<30)),
		Client:        client,
	}
}

// twimlBackend maps a TwiML app of the config onto its backend.
func twimlBackend(cfg *config.Config, a *config.App, client *http.Client) *twiml.App {
	t := a.TwiML
	app := &twiml.App{
		Name: a.Name, URL: t.URL, Method: t.Method, AccountSID: t.AccountSID, AuthToken: t.AuthToken,
		FallbackURL: a.FallbackURL, StatusCallback: t.StatusCallback, Timeout: a.Timeout,
		Dial:              twiml.DialRules{Number: t.DialNumber, Sip: t.DialSip, Client: t.DialClient},
		ConferenceProfile: t.ConferenceProfile,
		Recordings:        cfg.Recordings != nil,
		Files:             a.Files(), AllowVars: a.AllowVars, AllowEndpoints: a.AllowEndpoints, AllowDialplans: a.AllowDialplans,
		MaxReplyBytes: int(min(cfg.Limits.MaxReplyBytes, 1<<30)),
		MaxVerbs:      cfg.Limits.MaxVerbs,
		MaxRedirects:  redirectLimit(cfg),
		Client:        client,
	}
	if t.Voices != nil {
		app.Voices = make(map[string]twiml.Voice, len(t.Voices))
		for k, v := range t.Voices {
			app.Voices[k] = twiml.Voice{Engine: v.Engine, Voice: v.Voice}
		}
	}
	return app
}
