package config

import (
	"errors"
	"fmt"
	"io/fs"
)

// LiverpieSource is a Liverpie liverpie.yml whose apps were added to the
// config (callhook serve -liverpie-config).
type LiverpieSource struct {
	File string
	Apps []*App // in the file's order, already in Config.Apps
	// NoConfigFile is set when there was no config file: the config is
	// the defaults and these apps.
	NoConfigFile bool
	// ReplacedDefaultApp is the config's own default_app when the flat
	// format's single app took its place ("" when it had none).
	ReplacedDefaultApp string
}

// LoadWithLiverpie loads the config file and, when liverpiePath is given,
// the apps of that Liverpie liverpie.yml with it. A Liverpie user switches
// with one flag, in a directory with no config.yaml: when the config is the
// default path and there is no such file, the config is the defaults plus
// the Liverpie apps. The config file then needs no apps of its own; the
// flat format's single app becomes the default_app (it took every call in
// Liverpie).
func LoadWithLiverpie(path, liverpiePath string, lookupEnv func(string) (string, bool)) (*Config, error) {
	if liverpiePath == "" {
		return Load(path, lookupEnv)
	}
	apps, err := LoadLiverpie(liverpiePath)
	if err != nil {
		return nil, err
	}
	src := &LiverpieSource{File: liverpiePath, Apps: apps}
	data, err := readConfigFile(path)
	if errors.Is(err, fs.ErrNotExist) && path == DefaultPath {
		data, err, src.NoConfigFile = nil, nil, true
	}
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return parseConfigWith(path, data, lookupEnv, src)
}

// addLiverpieApps appends the Liverpie apps to the config file's own; an
// app name on both sides is an error at the Liverpie file's line.
func (d *decoder) addLiverpieApps(c *Config) []*App {
	src := d.liverpieSrc
	apps := c.Apps
	for _, a := range src.Apps {
		if old := c.AppByName(a.Name); old != nil {
			d.problems.Add(old.Line, fmt.Errorf("%s:%d: webapp %q is also an app of %s (line %d); rename one of them",
				src.File, a.Line, a.Name, d.file, old.Line))
			continue
		}
		// The config's folders apply to them as to its own apps.
		if a.RecordingsDir == "" {
			a.RecordingsDir = c.RecordingsDir + "/" + a.Name
		}
		if a.MediaDirs == nil {
			a.MediaDirs = c.MediaDirs
		}
		apps = append(apps, a)
	}
	c.Liverpie = src
	return apps
}
