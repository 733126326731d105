package esl

import "testing"

func TestCarriesAllVars(t *testing.T) {
	ev := func(name string, extra ...EventHeader) *Event {
		return &Event{ContentType: TypeEventPlain, Headers: append([]EventHeader{{Name: "Event-Name", Value: name}}, extra...)}
	}
	tests := []struct {
		name string
		e    *Event
		want bool
	}{
		{"execute complete", ev("CHANNEL_EXECUTE_COMPLETE"), true},
		{"answer", ev("CHANNEL_ANSWER"), true},
		{"hangup complete", ev("CHANNEL_HANGUP_COMPLETE"), true},
		{"connect reply", ev("CHANNEL_DATA"), true},
		{"dtmf", ev("DTMF", EventHeader{Name: "DTMF-Digit", Value: "1"}), false},
		{"channel state", ev("CHANNEL_STATE"), false},
		{"verbose dtmf", ev("DTMF", EventHeader{Name: "variable_x", Value: "1"}), true},
		{"custom without channel data", ev("CUSTOM"), false},
		{"disconnect notice", &Event{ContentType: TypeDisconnectNotice}, false},
		{"nil", nil, false},
	}
	for _, tc := range tests {
		if got := tc.e.CarriesAllVars(); got != tc.want {
			t.Errorf("%s: CarriesAllVars() = %v, want %v", tc.name, got, tc.want)
		}
	}
}
