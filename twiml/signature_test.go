package twiml

import (
	"encoding/json"
	"net/url"
	"os"
	"testing"
)

// TestSignatureDocumented is the example of Twilio's documentation
// (https://www.twilio.com/docs/usage/security#validating-requests).
func TestSignatureDocumented(t *testing.T) {
	params := url.Values{
		"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+12349013030"}, "Digits": {"1234"},
		"From": {"+12349013030"}, "To": {"+18005551212"},
	}
	const want = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
	if got := Signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params); got != want {
		t.Errorf("Signature = %q, want %q", got, want)
	}
}

// TestSignatureVectors checks the vectors Twilio's helper library
// computed (testdata/signatures/README.md).
func TestSignatureVectors(t *testing.T) {
	data, err := os.ReadFile("testdata/signatures/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Vectors []struct {
			Name, Token, URL, Signature string
			Params                      map[string]any
		}
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, v := range file.Vectors {
		names[v.Name] = true
		t.Run(v.Name, func(t *testing.T) {
			params := url.Values{}
			for k, val := range v.Params {
				switch x := val.(type) {
				case string:
					params.Add(k, x)
				case []any:
					for _, s := range x {
						params.Add(k, s.(string))
					}
				default:
					t.Fatalf("param %s: %T", k, val)
				}
			}
			if got := Signature(v.Token, v.URL, params); got != v.Signature {
				t.Errorf("Signature(%q) = %q, want %q", v.URL, got, v.Signature)
			}
			if !ValidSignature(v.Token, v.URL, params, v.Signature) {
				t.Error("ValidSignature refused the library's signature")
			}
			if ValidSignature("54321", v.URL, params, v.Signature) {
				t.Error("ValidSignature accepted another token's signature")
			}
		})
	}
	for _, n := range []string{"documented", "post", "get", "port", "repeated"} {
		if !names[n] {
			t.Errorf("no %s vector", n)
		}
	}
}
