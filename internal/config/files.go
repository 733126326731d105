package config

import "github.com/callhook/callhook/internal/safefile"

// maxConfigBytes bounds the config file and a Liverpie liverpie.yml: the
// root config.yaml is 5 KiB. A config named by mistake after /dev/zero or a
// log file must be refused, not read until memory runs out (flow files
// have their own bound, statemachine.MaxFileBytes).
const maxConfigBytes = 1 << 20

// readConfigFile reads the config or liverpie.yml at path: a regular file
// of at most maxConfigBytes.
func readConfigFile(path string) ([]byte, error) {
	return safefile.Read(path, maxConfigBytes, "a config file")
}
