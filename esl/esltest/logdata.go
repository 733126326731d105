package esltest

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/callhook/callhook/esl"
)

// logLine is one line FreeSWITCH logs, as a `log`-enabled listener gets it
// (log/data frame). Lines on text channel 1 (the EXECUTE trace) carry no
// timestamp prefix, as captured.
type logLine struct {
	level   int
	channel int
	file    string
	fn      string
	line    int
	uuid    string // User-Data: the channel's UUID, "" for global lines
	text    string
}

var logLevelNames = map[int]string{
	0: "CONSOLE", 1: "ALERT", 2: "CRIT", 3: "ERR", 4: "WARNING", 5: "NOTICE", 6: "INFO", 7: "DEBUG",
}

// parseLogLevel is switch_log_str2level: a number or a level name.
func parseLogLevel(s string) (int, bool) {
	if n, err := strconv.Atoi(s); err == nil {
		if n >= 0 && n <= 7 {
			return n, true
		}
		return 0, false
	}
	for n, name := range logLevelNames {
		if strings.EqualFold(name, s) || (name == "ERR" && strings.EqualFold(s, "error")) {
			return n, true
		}
	}
	return 0, false
}

// log queues l for the listener when logging covers its level.
func (c *Call) log(l logLine) {
	if c.logLevel < 0 || l.level > c.logLevel || c.closing || c.finished {
		return
	}
	body := l.text + "\n"
	if l.channel != 1 {
		body = fmt.Sprintf("%s 98.03%% [%s] %s:%d %s\n",
			c.now().Local().Format("2006-01-02 15:04:05.000000"), logLevelNames[l.level], l.file, l.line, l.text)
	}
	c.queueFrame(&esl.Frame{
		Headers: esl.Headers{
			{Name: "Content-Type", Value: esl.TypeLogData},
			{Name: "Content-Length", Value: strconv.Itoa(len(body))},
			{Name: "Log-Level", Value: strconv.Itoa(l.level)},
			{Name: "Text-Channel", Value: strconv.Itoa(l.channel)},
			{Name: "Log-File", Value: l.file},
			{Name: "Log-Func", Value: l.fn},
			{Name: "Log-Line", Value: strconv.Itoa(l.line)},
			{Name: "User-Data", Value: l.uuid},
		},
		Body: []byte(body),
	})
}

// logCommandExecute is switch_ivr_parse_event's line for a queued execute.
func (c *Call) logCommandExecute(app, arg string) {
	c.log(logLine{7, 3, "switch_ivr.c", "switch_ivr_parse_event", 632, c.ch.uuid,
		fmt.Sprintf("%s Command Execute [depth=0] %s(%s)", c.ch.name, app, arg)})
}

// logExecute is switch_core_session_exec's trace line.
func (c *Call) logExecute(ch *channel, app, arg string) {
	c.log(logLine{6, 1, "switch_core_session.c", "switch_core_session_exec", 2902, ch.uuid,
		fmt.Sprintf("EXECUTE [depth=0] %s %s(%s)", ch.name, app, arg)})
}

// answerLogs are the lines answering a loopback B leg produces (captured in
// full-commands): both legs' answer and call-state lines, then the A leg's
// originate finishing and the A leg starting its park.
func (c *Call) answerLogs() []logLine {
	b := &c.ch
	lines := []logLine{}
	if a := c.aleg; a != nil {
		lines = append(lines,
			logLine{5, 0, "mod_loopback.c", "channel_receive_message", 1021, a.uuid,
				fmt.Sprintf("Channel [%s] has been answered", a.name)},
			logLine{7, 0, "switch_channel.c", "switch_channel_perform_mark_answered", 3912, a.uuid,
				fmt.Sprintf("(%s) Callstate Change DOWN -> ACTIVE", a.name)})
	}
	lines = append(lines,
		logLine{5, 0, "mod_dptools.c", "answer_function", 1406, b.uuid,
			fmt.Sprintf("Channel [%s] has been answered", b.name)},
		logLine{7, 0, "switch_channel.c", "switch_channel_perform_mark_answered", 3912, b.uuid,
			fmt.Sprintf("(%s) Callstate Change RINGING -> ACTIVE", b.name)})
	if a := c.aleg; a != nil {
		p := &a.prof
		lines = append(lines,
			logLine{7, 3, "switch_ivr_originate.c", "switch_ivr_originate", 3913, "",
				fmt.Sprintf("Originate Resulted in Success: [%s] Peer UUID: %s", a.name, a.uuid)},
			logLine{6, 3, "switch_channel.c", "switch_channel_flip_cid", 3289, a.uuid,
				fmt.Sprintf("%s Flipping CID from \"%s\" <%s> to \"%s\" <%s>", a.name, p.cidName, p.cidNumber, p.calleeName, p.calleeNumber)},
			logLine{7, 0, "mod_commands.c", "originate_function", 5164, a.uuid,
				fmt.Sprintf("(%s) State Change CS_CONSUME_MEDIA -> CS_EXECUTE", a.name)},
			logLine{7, 0, "switch_core_state_machine.c", "switch_core_session_run", 581, a.uuid,
				fmt.Sprintf("(%s) Running State Change CS_EXECUTE (Cur 2 Tot 26)", a.name)},
			logLine{7, 3, "switch_core_state_machine.c", "switch_core_session_run", 647, a.uuid,
				fmt.Sprintf("(%s) State EXECUTE", a.name)},
			logLine{7, 3, "mod_loopback.c", "channel_on_execute", 454, a.uuid,
				fmt.Sprintf("%s CHANNEL EXECUTE", a.name)},
			logLine{7, 3, "switch_core_state_machine.c", "switch_core_standard_on_execute", 323, a.uuid,
				fmt.Sprintf("%s Standard EXECUTE", a.name)},
			logLine{6, 1, "switch_core_session.c", "switch_core_session_exec", 2902, a.uuid,
				fmt.Sprintf("EXECUTE [depth=0] %s park()", a.name)})
	}
	return lines
}
