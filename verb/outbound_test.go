package verb

import "testing"

// TestCheckPlacedVar: a placed call's variables may not route it or set
// its caller id past allow_to and allow_from, unless allow_vars says so;
// data variables and X- headers pass.
func TestCheckPlacedVar(t *testing.T) {
	open := NewPolicy([]string{"sip_invite_req_uri", "sip_h_p-*"}, nil, nil)
	for _, tc := range []struct {
		name      string
		p         *Policy
		wantError bool
	}{
		{"order", nil, false},
		{"sip_h_X-Order", nil, false},
		{"ignore_early_media", nil, false},
		{"sip_invite_req_uri", nil, true},
		{"SIP_INVITE_REQ_URI", nil, true},
		{"sip_invite_domain", nil, true},
		{"sip_route_uri", nil, true},
		{"sip_from_display", nil, true},
		{"sip_cid_type", nil, true},
		{"sip_h_P-Asserted-Identity", nil, true},
		{"sip_h_Remote-Party-ID", nil, true},
		{"effective_caller_id_name", nil, true},
		{"origination_callee_id_name", nil, true},
		{"execute_on_answer", nil, true},
		{"originate_retries", nil, true},
		{"originate_retry_sleep_ms", nil, true},
		{"sip_invite_req_uri", open, false},
		{"sip_h_P-Asserted-Identity", open, false},
		{"sip_from_uri", open, true},
	} {
		err := tc.p.CheckPlacedVar(tc.name)
		if (err != nil) != tc.wantError {
			t.Errorf("CheckPlacedVar(%q) with allow_vars %v = %v, want error %v", tc.name, tc.p != nil, err, tc.wantError)
		}
	}
}
