package verb

import (
	"slices"
	"testing"
)

// TestFileNeeds: what a play's or a gather's files need of the switch.
func TestFileNeeds(t *testing.T) {
	cases := []struct {
		file string
		want []string // type/name
	}{
		{"ivr/welcome.wav", nil},
		{"silence_stream://250", nil},
		{"https://media.example.com/a.wav", []string{"file/https"}},
		{"http://media.example.com/a.MP3?v=1", []string{"file/http", "file/mp3"}},
		{"/var/lib/freeswitch/recordings/x.mp3", []string{"file/mp3"}},
		{"file_string://http://a/b.mp3!https://a/c.mp3!d.wav", []string{"file/http", "file/mp3", "file/https"}},
	}
	for _, tc := range cases {
		var got []string
		for _, n := range fileNeeds("play", tc.file) {
			got = append(got, n.Type+"/"+n.Name)
			if n.Module == "" {
				t.Errorf("fileNeeds(%q): %s names no module", tc.file, n.Name)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("fileNeeds(%q) = %v, want %v", tc.file, got, tc.want)
		}
	}
}
