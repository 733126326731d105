package outbound

import (
	"bufio"
	"fmt"
	"net"
	"strings"
)

// ServeFakeBox serves nc as a box's inbound event socket does up to
// callhook's subscriptions (once proceed closes: until then the box is
// connecting), then hands it to script (nil: none); nc closes when script
// returns. Tests play hostile or broken boxes with it.
func ServeFakeBox(nc net.Conn, proceed <-chan struct{}, script func(net.Conn, *bufio.Reader)) {
	defer nc.Close()
	<-proceed
	br := bufio.NewReader(nc)
	fmt.Fprint(nc, "Content-Type: auth/request\n\n")
	for range 4 { // auth, two filters, event
		if _, err := ReadFakeCommand(br); err != nil {
			return
		}
		fmt.Fprint(nc, "Content-Type: command/reply\nReply-Text: +OK\n\n")
	}
	if script != nil {
		script(nc, br)
	}
}

// ReadFakeCommand reads one command: its lines up to the blank one.
func ReadFakeCommand(br *bufio.Reader) ([]string, error) {
	var lines []string
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return nil, err
		}
		if line = strings.TrimSpace(line); line == "" {
			return lines, nil
		}
		lines = append(lines, line)
	}
}
