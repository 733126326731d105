package main

import "errors"

// mergeLiverpieConfig adds the apps of a Liverpie liverpie.yml to cfg.
func mergeLiverpieConfig(cfg *Config, path string) error {
	return errors.New("-liverpie-config: Liverpie config files are being wired in (issue 4)")
}
