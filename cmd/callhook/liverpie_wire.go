package main

import "fmt"

// mergeLiverpieConfig adds the apps of a Liverpie liverpie.yml (either of
// its formats) to cfg, so a Liverpie user switches with their own file. An
// app name the config already has is an error, reported with both places.
func mergeLiverpieConfig(cfg *Config, path string) error {
	apps, err := LoadLiverpieConfig(path)
	if err != nil {
		return err
	}
	for _, a := range apps {
		if old := cfg.AppByName(a.Name); old != nil {
			return fmt.Errorf("%s:%d: webapp %q is also an app of %s (line %d); rename one of them",
				path, a.Line, a.Name, cfg.File, old.Line)
		}
		cfg.Apps = append(cfg.Apps, a)
	}
	return nil
}
