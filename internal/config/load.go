package config

// Loading: reading the file, parsing it as one YAML document, and the
// decoder that collects every problem with its line.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/callhook/callhook/internal/yamlx"

	"gopkg.in/yaml.v3"
)

// DefaultPath is the config serve, check and simulate read unless
// -config names another.
const DefaultPath = "config.yaml"

// Load reads and parses the config file at path. Environment variables
// in it are expanded by lookupEnv (os.LookupEnv in the daemon).
func Load(path string, lookupEnv func(string) (string, bool)) (*Config, error) {
	data, err := readConfigFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, data, lookupEnv)
}

// Parse parses a config file's contents; name is used in error messages
// and is the base of relative flow paths. Environment variables are
// expanded by lookupEnv. Every problem is reported, joined with
// errors.Join, each as "name:line: key.path: message", in line order.
func Parse(name string, data []byte, lookupEnv func(string) (string, bool)) (*Config, error) {
	return parseConfigWith(name, data, lookupEnv, nil)
}

// parseConfigWith is Parse with the apps of a Liverpie liverpie.yml
// (nil: none) added to the file's own.
func parseConfigWith(name string, data []byte, lookupEnv func(string) (string, bool), liverpie *LiverpieSource) (*Config, error) {
	root, err := parseDocument(name, data)
	if err != nil {
		return nil, err
	}
	d := &decoder{
		file:        name,
		dir:         filepath.Dir(name),
		lookupEnv:   lookupEnv,
		reported:    map[*yaml.Node]bool{},
		merging:     map[*yaml.Node]bool{},
		liverpieSrc: liverpie,
	}
	d.expand(root, "")
	c := d.config(root)
	if err := d.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// parseDocument parses data as one YAML document and returns its root node
// (an empty mapping for an empty file).
func parseDocument(name string, data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	err := dec.Decode(&doc)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlError(name, data, err)
	}
	if len(doc.Content) == 0 {
		return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: 1, Column: 1}, nil
	}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, yamlError(name, data, err)
		}
		return nil, fmt.Errorf("%s:%d: a config file holds one YAML document", name, next.Line)
	}
	return doc.Content[0], nil
}

// yamlError puts a yaml.v3 syntax error in the file:line:column form, at
// the place where the document stops parsing (yaml.v3's own line is often
// where the enclosing mapping began).
func yamlError(name string, data []byte, err error) error {
	if pos := yamlx.Locate(data, err); pos.Line > 0 {
		return fmt.Errorf("%s:%s", name, pos)
	} else {
		return fmt.Errorf("%s: %s", name, pos.Msg)
	}
}

// decoder collects the problems of one file while it decodes it, so that
// they are all reported at once.
type decoder struct {
	file      string
	dir       string // base of relative flow paths
	lookupEnv func(string) (string, bool)
	problems  yamlx.Problems
	// reported holds the scalars already reported (an environment
	// reference that failed), so that nothing reports them again.
	reported map[*yaml.Node]bool
	// merging holds the mappings whose merge keys are being followed, so
	// that an anchor merged into itself is an error, not endless recursion.
	merging map[*yaml.Node]bool
	// merges counts the merge keys followed, up to maxMerges.
	merges int
	// liverpie holds the apps of a Liverpie liverpie.yml, added to the
	// file's own before routes and default_app name them (nil: none).
	liverpieSrc *LiverpieSource
}

// maxMerges bounds the merge keys one file may follow: merges of merges
// grow exponentially, and `callhook check` must finish on any file.
const maxMerges = 1000

// errorf records a problem with the value at n, whose key path is path
// ("" for the whole file).
func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	d.wrap(n.Line, path, fmt.Errorf(format, args...))
}

// wrap records err, found on line of the value whose key path is path.
func (d *decoder) wrap(line int, path string, err error) {
	where := fmt.Sprintf("%s:%d: ", d.file, line)
	if path != "" {
		where += path + ": "
	}
	d.problems.Add(line, fmt.Errorf("%s%w", where, err))
}

// err returns every recorded problem in line order, or nil.
func (d *decoder) err() error { return d.problems.Err() }
