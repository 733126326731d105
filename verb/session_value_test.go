package verb

import "testing"

func TestIsJSONNumber(t *testing.T) {
	for _, s := range []string{"0", "-0", "7", "-12", "1.0", "1.5e3", "1E+2", "2e-9", "123456789012345678901234567890"} {
		if !JSONNumber(s) {
			t.Errorf("JSONNumber(%q) = false, want true", s)
		}
	}
	for _, s := range []string{"", "-", "01234", "0044123456", "0x1F", "0o17", "0b1", "1_000", "+1", ".5", "1.", "1e", "1e+", ".inf", "-.inf", ".nan", "1.2.3", "1 ", "٣"} {
		if JSONNumber(s) {
			t.Errorf("JSONNumber(%q) = true, want false", s)
		}
	}
}
