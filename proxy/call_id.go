package proxy

import (
	"context"
	"errors"
	"fmt"
)

// ErrBadCallID is returned by a live hangup or redirect of a call whose
// Unique-ID cannot be put on an api command line safely.
var ErrBadCallID = errors.New("proxy: the call's Unique-ID is not fit for an api command")

// maxCallIDBytes is the longest Unique-ID FreeSWITCH keeps: a session's
// uuid lives in a buffer of SWITCH_UUID_FORMATTED_LENGTH + 1 bytes
// (src/switch_core_session.c), into which switch_core_session_set_uuid
// copies an origination_uuid as it is, cut at 36 bytes.
const maxCallIDBytes = 36

// checkCallID checks a Unique-ID before it goes into "api uuid_kill <id>
// <cause>" or "api uuid_break <id>". FreeSWITCH accepts any text as an
// origination_uuid, but uuid_kill takes its id up to the first space and
// the rest as the cause (mod_commands.c, kill_function), and uuid_break
// splits its arguments with quotes and backslashes (switch_separate_string):
// a Unique-ID such as "<another call's id> x" would end that other call. Only
// FreeSWITCH's own form (hex and '-') and the letters, digits and -_.:@+~
// of a hand-made id pass.
func checkCallID(id string) error {
	if id == "" || len(id) > maxCallIDBytes {
		return fmt.Errorf("%w: %d bytes (1 to %d)", ErrBadCallID, len(id), maxCallIDBytes)
	}
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-' || c == '_' || c == '.' || c == ':' || c == '@' || c == '+' || c == '~':
		default:
			return fmt.Errorf("%w: byte %q at %d", ErrBadCallID, c, i)
		}
	}
	return nil
}

// uuidAPI runs "api <command> <call id>[ <arg>]" on the call's connection,
// once the call id is known to be safe there.
func (s *session) uuidAPI(ctx context.Context, command, arg string) error {
	if err := checkCallID(s.call.ID); err != nil {
		return err
	}
	line := command + " " + s.call.ID
	if arg != "" {
		line += " " + arg
	}
	_, err := s.conn.API(ctx, line)
	return err
}
