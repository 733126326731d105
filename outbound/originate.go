package outbound

import (
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
)

// Originate is one originate command, built from a checked Request: no
// I/O, no defaults taken from anywhere else.
type Originate struct {
	UUID     string // origination_uuid: the new channel's Unique-ID, the call's id
	Instance string // callhook_instance: what the box connection's filter matches
	App      string // callhook_app: the app the call's socket connection runs
	// Token is callhook_placed: a secret only the box's channel carries,
	// by which the call's socket proves it is this call (the UUID alone is
	// known to the API's client, the status_url and the logs).
	Token       string
	ConnectBack string // host:port where the box reaches callhook's listener
	Req         *Request
}

// Variables callhook sets on every placed call.
const (
	// VarInstance marks a channel as placed by one callhook instance: the
	// box connection's one filter (variable_callhook_instance) matches it.
	VarInstance = "callhook_instance"
	// VarApp is the channel variable that picks a call's app when its
	// socket connects (the proxy reads it first).
	VarApp = "callhook_app"
	// VarPlaced carries a placed call's secret token (Originate.Token):
	// a socket connection that claims a placed call's UUID without it is
	// not that call, and changes nothing of it.
	VarPlaced = "callhook_placed"
)

// plainID matches the ids callhook puts into a command itself: UUIDs,
// instance ids and app names.
var plainID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// varName matches a variable name (verb.CheckName's characters).
var varName = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// Command returns the originate API command (without "bgapi ") as
// FreeSWITCH 1.10.12 reads it (originate_function in
// src/mod/applications/mod_commands/mod_commands.c):
//
//	originate {origination_uuid=U,callhook_instance=I,callhook_app=A,callhook_placed=K,originate_timeout=T[,origination_caller_id_number=F][,origination_caller_id_name='N'][,var=value...]}TO '&socket(HOST:PORT async full)'
//
// originate splits its arguments on spaces, honouring single quotes
// (switch_separate_string, src/switch_utils.c), so the socket
// application's argument, which holds spaces, is quoted, and so is the
// caller id name; the {...} block is split on ',' into name=value
// (switch_event_create_brackets, src/switch_event.c). "&app(arg)" runs
// the application on the answered channel: its name ends at '(' and its
// argument at the first ')'. originate_timeout is the ring time
// (switch_ivr_originate, src/switch_ivr_originate.c).
//
// Every value is checked again here, whatever checked it before: one
// that could change how FreeSWITCH splits the command is an error.
func (o *Originate) Command() (string, error) {
	r := o.Req
	if r == nil {
		return "", fmt.Errorf("originate: no request")
	}
	for _, id := range []struct{ name, v string }{{"uuid", o.UUID}, {"instance", o.Instance}, {"app", o.App}, {"token", o.Token}} {
		if !plainID.MatchString(id.v) {
			return "", fmt.Errorf("originate: %s %q: want letters, digits, _ . -", id.name, id.v)
		}
	}
	if err := checkConnectBack(o.ConnectBack); err != nil {
		return "", fmt.Errorf("originate: %w", err)
	}
	if !toChars.MatchString(r.To) || len(r.To) > maxToLen {
		return "", fmt.Errorf("originate: to %q has characters originate would split on, or is too long", r.To)
	}
	if r.From != "" && !fromChars.MatchString(r.From) {
		return "", fmt.Errorf("originate: from %q has characters originate would split on", r.From)
	}
	if r.FromName != "" && !fromNameChars.MatchString(r.FromName) {
		return "", fmt.Errorf("originate: from_name %q has characters originate would split on", r.FromName)
	}
	if r.Timeout < 1 || r.Timeout > MaxTimeout {
		return "", fmt.Errorf("originate: timeout %d out of range", r.Timeout)
	}
	vars := []string{
		"origination_uuid=" + o.UUID,
		VarInstance + "=" + o.Instance,
		VarApp + "=" + o.App,
		VarPlaced + "=" + o.Token,
		"originate_timeout=" + strconv.Itoa(r.Timeout),
	}
	if r.From != "" {
		vars = append(vars, "origination_caller_id_number="+r.From)
	}
	if r.FromName != "" {
		vars = append(vars, "origination_caller_id_name='"+r.FromName+"'")
	}
	for _, name := range sortedNames(r.Vars) {
		v := r.Vars[name]
		if !varName.MatchString(name) || !valueChars.MatchString(v) || len(v) > maxValueLen {
			return "", fmt.Errorf("originate: variable %q=%q has characters originate would split on", name, v)
		}
		if v == "" {
			continue // an empty value sets nothing (switch_event_create_brackets needs name=value)
		}
		vars = append(vars, name+"="+v)
	}
	var b strings.Builder
	b.WriteString("originate {")
	b.WriteString(strings.Join(vars, ","))
	b.WriteString("}")
	b.WriteString(r.To)
	b.WriteString(" '&socket(")
	b.WriteString(o.ConnectBack)
	b.WriteString(" async full)'")
	return b.String(), nil
}

// checkConnectBack checks a connect_back address: host:port with a
// numeric IP (no name to resolve on the box) and nothing originate or the
// socket application would split on. An IPv6 address is written without
// brackets and with its port after the last ':', as socket_function
// reads it (src/mod/event_handlers/mod_event_socket/mod_event_socket.c).
func checkConnectBack(addr string) error {
	i := strings.LastIndexByte(addr, ':')
	if i <= 0 {
		return fmt.Errorf("connect_back %q: want host:port", addr)
	}
	host, port := addr[:i], addr[i+1:]
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("connect_back %q: bad port", addr)
	}
	if net.ParseIP(host) == nil {
		return fmt.Errorf("connect_back %q: the host must be an IP address", addr)
	}
	return nil
}

// ConnectBackFor writes a host:port as the socket application wants it:
// an IPv6 host without brackets (socket_function takes the port after
// the last ':').
func ConnectBackFor(hostPort string) (string, error) {
	host, port, err := net.SplitHostPort(hostPort)
	if err != nil {
		return "", fmt.Errorf("connect_back %q: %w", hostPort, err)
	}
	s := host + ":" + port
	if err := checkConnectBack(s); err != nil {
		return "", err
	}
	return s, nil
}
